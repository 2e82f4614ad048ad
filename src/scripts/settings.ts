// The scripts.* settings as the runner takes them: one mapping for the daemon
// and for `netevd test`.
import type { Config } from "../config/schema";
import type { RunnerOptions } from "./runner";

export function runnerSettings(c: Config, dryRun: boolean): RunnerOptions {
  return {
    dir: c.scripts.dir,
    timeoutMs: c.scripts.timeout,
    maxParallel: c.scripts.max_parallel,
    emitJson: c.backends.systemd_networkd.emit_json,
    dryRun,
  };
}
