// The scripts.* settings as the runner takes them: one mapping for the daemon
// and for `netevd test`.
import type { Config } from "../config/schema";
import { scriptDirectories } from "../config/script-styles";
import type { RunnerOptions } from "./runner";
import { createStyle } from "./styles/index";
import { privilegedSocket } from "../privileged/client";

export function runnerSettings(c: Config, dryRun: boolean): Omit<RunnerOptions, "binding"> {
  return {
    dir: c.scripts.dir,
    directories: scriptDirectories(c).map((d) => ({
      paths: d.paths,
      style: createStyle(d),
      key: JSON.stringify([d.style, d.paths, d.ignoreStates]),
      privilege: d.privilege,
      ...(d.user ? { user: d.user } : {}),
    })),
    privilegedSocket: privilegedSocket(),
    timeoutMs: c.scripts.timeout,
    maxParallel: c.scripts.max_parallel,
    emitJson: c.backends.systemd_networkd.emit_json,
    dryRun,
  };
}
