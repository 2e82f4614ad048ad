// What every subcommand gets from the global options.
import type { Command } from "commander";
import type { LoadResult } from "../config/load";
import { resolveConfigPath } from "../config/path";
import type { Config } from "../config/schema";
import { configureLogging, type Level, type LogFormat } from "../log/logger";
import { FatalError, EXIT } from "../errors";
import { lazy } from "../util/lazy";
import { type Format, resolveFormat } from "./output";

interface GlobalOptions {
  config?: string;
  format?: string;
  logFormat?: LogFormat;
  logLevel?: Level;
}

export interface Context {
  format: Format;
  configPath: string;
  configExplicit: boolean;
  out: (text: string) => void;
  err: (text: string) => void;
}

export function contextOf(cmd: Command): Context {
  const g = cmd.optsWithGlobals<GlobalOptions>();
  if (g.logFormat || g.logLevel) {
    configureLogging({
      ...(g.logFormat ? { format: g.logFormat } : {}),
      ...(g.logLevel ? { level: g.logLevel, pinLevel: true } : {}),
    });
  }
  const { path, explicit } = resolveConfigPath(g.config);
  return {
    format: resolveFormat(g.format),
    configPath: path,
    configExplicit: explicit,
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
  };
}

// The schema and its checks load only for commands that read the configuration.
const config = lazy(() => require("../config/load") as typeof import("../config/load"));
const diagnostics = lazy(() => require("../config/diagnostic") as typeof import("../config/diagnostic"));

/** Loads the configuration; prints its warnings; exits 78 on errors. */
export function requireConfig(ctx: Context): { config: Config; result: LoadResult } {
  const result = config().loadConfigFile(ctx.configPath, ctx.configExplicit);
  for (const d of result.diagnostics) ctx.err(`${diagnostics().formatDiagnostic(d)}\n`);
  if (!result.config) {
    throw new FatalError(`netevd: ${ctx.configPath}: configuration is invalid`, EXIT.CONFIG);
  }
  return { config: result.config, result };
}
