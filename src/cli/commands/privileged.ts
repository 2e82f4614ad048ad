import type { Command } from "commander";
import { executorServer, PrivilegedExecutor } from "../../privileged/executor";
import { TransientUnits } from "../../privileged/transient-unit";
import { contextOf } from "../context";

export function registerPrivileged(program: Command): void {
  program
    .command("privileged-executor")
    .description("run the hooks marked privileged, as root (netevd-privileged.service's ExecStart)")
    .option("--listen <path>", "listen on this socket instead of systemd's (tests)")
    .action(async (opts: { listen?: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const units = new TransientUnits();
      const executor = new PrivilegedExecutor({
        configPath: ctx.configPath,
        configExplicit: ctx.configExplicit,
        units,
      });
      const server = await executorServer(opts.listen);
      executor.serve(server);
      await new Promise<void>((resolve) => {
        const stop = () => {
          server.close();
          units.close();
          resolve();
        };
        process.once("SIGTERM", stop);
        process.once("SIGINT", stop);
      });
    });
}
