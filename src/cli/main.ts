#!/usr/bin/env node
// Entry point of the one executable. Multi-call: started as `netevd-migrate`
// (a symlink) it is the migration tool.
import { basename } from "node:path";
import { CommanderError } from "commander";
import { getLogger } from "../log/logger";
import { FatalError, EXIT } from "../errors";
import { lazy } from "../util/lazy";
import { buildProgram } from "./program";

const migrate = lazy(() => require("../../migrate/main") as typeof import("../../migrate/main"));

/** Started through the `netevd-migrate` symlink (argv[0] as exec'd, or the script path). */
function startedAsMigrate(argv: readonly string[]): boolean {
  return [process.argv0, argv[1]].some((name) => name !== undefined && basename(name) === "netevd-migrate");
}

/** Where the subcommand stands: after the global options (and the values of those that take one). */
function subcommandIndex(argv: readonly string[]): number {
  const withValue = new Set(["--config", "--format", "--log-format", "--log-level"]);
  let i = 2;
  while (i < argv.length && (argv[i] ?? "").startsWith("-")) i += withValue.has(argv[i] ?? "") ? 2 : 1;
  return i;
}

export async function main(argv: readonly string[]): Promise<number> {
  if (startedAsMigrate(argv)) return migrate().migrateMain(argv.slice(2));
  // `netevd [global options] migrate …` is the same tool with its own options
  // (--format, --config … after `migrate` mean its own).
  const at = subcommandIndex(argv);
  if (argv[at] === "migrate") return migrate().migrateMain(argv.slice(at + 1));
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : EXIT.OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      const ok = ["commander.helpDisplayed", "commander.version", "commander.help"].includes(err.code);
      return ok ? EXIT.OK : EXIT.USAGE;
    }
    if (err instanceof FatalError) {
      process.stderr.write(`${err.message}\n`);
      return err.exitCode;
    }
    getLogger("main").error(`unexpected error: ${(err as Error).stack ?? String(err)}`);
    return EXIT.FAILURE;
  }
}

if (require.main === module) {
  void main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
