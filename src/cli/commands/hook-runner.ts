// `netevd hook-runner`: the process of netevd-hooks@USER.service, which runs
// the daemon's hooks as USER (netevd-scripts.7, HOW A SCRIPT RUNS).
import type { Command } from "commander";
import { createServer } from "node:net";
import { contextOf } from "../context";
import { EXIT, FatalError } from "../../errors";
import { lazy } from "../../util/lazy";
import { getLogger } from "../../log/logger";

const runner = lazy(() => require("../../scripts/hook-runner") as typeof import("../../scripts/hook-runner"));
const config = lazy(() => require("../../config/load") as typeof import("../../config/load"));
const door = lazy(() => require("../../util/request-door") as typeof import("../../util/request-door"));
const cgroup = lazy(() => require("../../scripts/cgroup") as typeof import("../../scripts/cgroup"));
const native = lazy(() => require("../../native/real") as typeof import("../../native/real"));
const journal = lazy(
  () => require("../../system/journal-sender") as typeof import("../../system/journal-sender"),
);

export function registerHookRunner(program: Command): void {
  program
    .command("hook-runner")
    .description("run the daemon's hooks as the user this runs as (netevd-hooks@USER.service's ExecStart)")
    .option("--listen <path>", "listen on this socket instead of systemd's (runs by hand, tests)")
    .option(
      "--daemon-user <user>",
      "the daemon's user, who may ask (default: system.user of the configuration)",
    )
    .action(async (opts: { listen?: string; daemonUser?: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const binding = native().realBinding();
      journal().useNativeJournal(binding);
      const daemonUser =
        opts.daemonUser ??
        config().loadConfigFile(ctx.configPath, ctx.configExplicit).config?.system.user ??
        "netevd";
      const entry = binding.lookupUser(daemonUser);
      if (!entry) throw new FatalError(`netevd hook-runner: no user ${daemonUser}`, EXIT.CONFIG);
      const { detectKillScope, describeKillScope } = cgroup();
      const killScope = detectKillScope();
      if (killScope.kind === "process-group") binding.setChildSubreaper();
      const { HookRunner } = runner();
      const served = new HookRunner({ binding, daemonUid: entry.uid, daemonUser, killScope });
      const server = await door()
        .listenDoor(
          createServer({ allowHalfOpen: true }),
          opts.listen,
          "no socket: start netevd-hooks@USER.socket, or give --listen PATH",
        )
        .catch((err: Error) => {
          throw new FatalError(`netevd hook-runner: ${err.message}`, EXIT.FAILURE);
        });
      served.serve(server);
      getLogger("hooks").info(`hooks: ${describeKillScope(killScope)}`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          server.close();
          void served.stop().then(resolve);
        };
        process.once("SIGTERM", stop);
        process.once("SIGINT", stop);
      });
    });
}
