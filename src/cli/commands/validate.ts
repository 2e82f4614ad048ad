import type { Command } from "commander";
import { readdirSync } from "node:fs";
import type { Diagnostic } from "../../config/diagnostic";
import type { LoadResult } from "../../config/load";
import { getLogger } from "../../log/logger";
import { contextOf } from "../context";
import { EXIT } from "../../errors";
import { lazy } from "../../util/lazy";
import { renderData } from "../output";

const config = lazy(() => require("../../config/load") as typeof import("../../config/load"));
const diagnostics = lazy(
  () => require("../../config/diagnostic") as typeof import("../../config/diagnostic"),
);
const host = lazy(() => ({
  ...(require("../../backends/host-manager") as typeof import("../../backends/host-manager")),
  ...(require("../../backends/host-manager-watch") as typeof import("../../backends/host-manager-watch")),
}));

/** What system.backend gives on this host: the backend in use, why, and a configured one that is absent. */
interface BackendHere {
  setting: string;
  in_use: string;
  reason: string;
  problem: string | null;
}

async function backendHere(r: LoadResult): Promise<BackendHere | null> {
  const c = r.config;
  if (!c) return null;
  const h = host();
  const facts = await h.probeHost(c.backends.dhclient.lease_files, getLogger("backend"));
  const setting = c.system.backend;
  if (setting === "auto") {
    const choice = h.chooseBackend(facts);
    return { setting, in_use: choice.backend, reason: choice.reason, problem: null };
  }
  const problem = h.absentManagerProblem(setting, facts, diagnostics().backendWhere(r));
  return { setting, in_use: setting, reason: "configured", problem };
}

export function registerValidate(program: Command): void {
  program
    .command("validate")
    .description("check the configuration file; errors exit 78")
    .action(async (_opts, cmd: Command) => {
      const ctx = contextOf(cmd);
      // The links here: a Rust netevd configuration is told which ones it would now leave alone.
      const result = config().loadConfigFile(ctx.configPath, ctx.configExplicit, { links: presentLinks() });
      // On this host: which backend the daemon would use, and a configured manager that is not running.
      const backend = await backendHere(result);
      if (backend?.problem)
        result.diagnostics.push({
          severity: "warning",
          file: result.file,
          line: result.backendLine ?? 1,
          col: 1,
          path: "system.backend",
          message: backend.problem,
        });
      const errors = result.diagnostics.filter((d) => d.severity === "error");
      const warnings = result.diagnostics.filter((d) => d.severity === "warning");
      // Findings go to stderr in the compiler-style form editors understand; the
      // verdict goes to stdout in the chosen format.
      for (const d of result.diagnostics) ctx.err(`${diagnostics().formatDiagnostic(d)}\n`);
      if (ctx.format === "table") {
        const where = result.fileFound ? result.file : `${result.file} (absent: built-in defaults)`;
        const counts = `${errors.length} error(s), ${warnings.length} warning(s)`;
        ctx.out(errors.length ? `${where}: invalid: ${counts}\n` : `${where}: valid, ${counts}\n`);
        if (backend)
          ctx.out(
            backend.setting === "auto"
              ? `backend on this host: ${backend.in_use} (auto: ${backend.reason})\n`
              : `backend on this host: ${backend.in_use} (configured${backend.problem ? ", not running" : ""})\n`,
          );
      } else {
        ctx.out(
          renderData(
            {
              file: result.file,
              found: result.fileFound,
              valid: errors.length === 0,
              errors: errors.map(plain),
              warnings: warnings.map(plain),
              backend,
            },
            ctx.format,
          ),
        );
      }
      process.exitCode = errors.length ? EXIT.CONFIG : EXIT.OK;
    });
}

function presentLinks(): string[] | undefined {
  try {
    return readdirSync("/sys/class/net");
  } catch {
    return undefined;
  }
}

function plain(d: Diagnostic) {
  return {
    line: d.line,
    col: d.col,
    path: d.path,
    message: d.message,
    allowed: d.allowed ?? null,
    text: diagnostics().formatDiagnostic(d),
  };
}
