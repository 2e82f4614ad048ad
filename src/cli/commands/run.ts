import type { Command } from "commander";
import { contextOf } from "../context";
import { lazy } from "../../util/lazy";

const daemon = lazy(() => require("../../daemon/run") as typeof import("../../daemon/run"));
const native = lazy(() => require("../../native/real") as typeof import("../../native/real"));

export function registerRun(program: Command): void {
  program
    .command("run")
    .description("run the daemon in the foreground (the service's ExecStart)")
    .option("--dry-run", "observe and log; list scripts instead of running them; change nothing")
    .action(async (opts: { dryRun?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      process.exitCode = await daemon().runDaemon({
        configPath: ctx.configPath,
        configExplicit: ctx.configExplicit,
        dryRun: opts.dryRun === true,
        binding: native().realBinding(),
      });
    });
}
