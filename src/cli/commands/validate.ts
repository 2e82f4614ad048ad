import type { Command } from "commander";
import { readdirSync } from "node:fs";
import type { Diagnostic } from "../../config/diagnostic";
import { contextOf } from "../context";
import { EXIT } from "../../errors";
import { lazy } from "../lazy";
import { renderData } from "../output";

const config = lazy(() => require("../../config/load") as typeof import("../../config/load"));
const diagnostics = lazy(
  () => require("../../config/diagnostic") as typeof import("../../config/diagnostic"),
);

export function registerValidate(program: Command): void {
  program
    .command("validate")
    .description("check the configuration file; errors exit 78")
    .action((_opts, cmd: Command) => {
      const ctx = contextOf(cmd);
      // The links here: a Rust netevd configuration is told which ones it would now leave alone.
      const result = config().loadConfigFile(ctx.configPath, ctx.configExplicit, { links: presentLinks() });
      const errors = result.diagnostics.filter((d) => d.severity === "error");
      const warnings = result.diagnostics.filter((d) => d.severity === "warning");
      // Findings go to stderr in the compiler-style form editors understand; the
      // verdict goes to stdout in the chosen format.
      for (const d of result.diagnostics) ctx.err(`${diagnostics().formatDiagnostic(d)}\n`);
      if (ctx.format === "table") {
        const where = result.fileFound ? result.file : `${result.file} (absent: built-in defaults)`;
        const counts = `${errors.length} error(s), ${warnings.length} warning(s)`;
        ctx.out(errors.length ? `${where}: invalid: ${counts}\n` : `${where}: valid, ${counts}\n`);
      } else {
        ctx.out(
          renderData(
            {
              file: result.file,
              found: result.fileFound,
              valid: errors.length === 0,
              errors: errors.map(plain),
              warnings: warnings.map(plain),
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
