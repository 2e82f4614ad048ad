import type { Command } from "commander";
import { isSea } from "node:sea";
import { contextOf } from "../context";
import { lazy } from "../../util/lazy";
import { FatalError, EXIT } from "../../errors";

const demo = lazy(() => require("../../demo/demo") as typeof import("../../demo/demo"));
const native = lazy(() => require("../../native/real") as typeof import("../../native/real"));

/** argv that starts this same netevd: the packaged executable, or node and this script. */
function self(): string[] {
  const script = process.argv[1];
  return isSea() || script === undefined ? [process.execPath] : [process.execPath, script];
}

export function registerDemo(program: Command): void {
  program
    .command("demo")
    .description(
      "show netevd at work in a throwaway network namespace: a veth link goes up, gets an address and routes, goes down; each event and what its hook received are printed (needs root; the host's network is not touched)",
    )
    .option("--user <name>", "the user the demo daemon runs as (default: netevd if it exists, else nobody)")
    .action(async (opts: { user?: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      if (process.getuid?.() !== 0)
        throw new FatalError("netevd demo: makes a network namespace, so it needs root", EXIT.NOPERM);
      const user = opts.user ?? (native().realBinding().lookupUser("netevd") ? "netevd" : "nobody");
      process.exitCode = await demo().runDemo({ self: self(), out: ctx.out, user });
    });
}
