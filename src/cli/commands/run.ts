import type { Command } from "commander";
import { contextOf, requireConfig } from "../context";
import { CliError, EXIT } from "../exit-codes";

export function registerRun(program: Command): void {
  program
    .command("run")
    .description("run the daemon in the foreground (the service's ExecStart)")
    .option("--dry-run", "observe and log; list scripts instead of running them; change nothing")
    .action((_o, cmd: Command) => {
      // Validate first: a broken configuration must say so (exit 78) before anything else.
      requireConfig(contextOf(cmd));
      throw new CliError(
        "netevd run: the event daemon (netlink, backends) is not part of this version yet; nothing was started",
        EXIT.FAILURE,
      );
    });
}
