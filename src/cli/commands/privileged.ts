import type { Command } from "commander";
import { contextOf } from "../context";
import { EXIT, FatalError } from "../../errors";
import { lazy } from "../../util/lazy";

const executor = lazy(
  () => require("../../privileged/executor") as typeof import("../../privileged/executor"),
);
const native = lazy(() => require("../../native/real") as typeof import("../../native/real"));
const journal = lazy(
  () => require("../../system/journal-sender") as typeof import("../../system/journal-sender"),
);
const systemd = lazy(
  () => require("../../privileged/transient-unit") as typeof import("../../privileged/transient-unit"),
);

export function registerPrivileged(program: Command): void {
  program
    .command("privileged-executor")
    .description("run the hooks marked privileged, as root (netevd-privileged.service's ExecStart)")
    .option("--listen <path>", "listen on this socket instead of systemd's (tests)")
    .action(async (opts: { listen?: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      // Its lines carry INTERFACE= and NETEVD_* in the journal, as the daemon's do.
      const binding = native().realBinding();
      journal().useNativeJournal(binding);
      const units = new (systemd().TransientUnits)();
      const { executorServer, PrivilegedExecutor } = executor();
      const served = new PrivilegedExecutor({
        configPath: ctx.configPath,
        configExplicit: ctx.configExplicit,
        units,
        binding,
      });
      const server = await executorServer(opts.listen).catch((err: Error) => {
        throw new FatalError(`netevd privileged-executor: ${err.message}`, EXIT.FAILURE);
      });
      served.serve(server);
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
