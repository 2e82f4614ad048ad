import type { Command } from "commander";
import { runDaemon } from "../../daemon/run";
import { realBinding } from "../../native/real";
import { contextOf } from "../context";

export function registerRun(program: Command): void {
  program
    .command("run")
    .description("run the daemon in the foreground (the service's ExecStart)")
    .option("--dry-run", "observe and log; list scripts instead of running them; change nothing")
    .action(async (opts: { dryRun?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      process.exitCode = await runDaemon({
        configPath: ctx.configPath,
        configExplicit: ctx.configExplicit,
        dryRun: opts.dryRun === true,
        binding: realBinding(),
      });
    });
}
