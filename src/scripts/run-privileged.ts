// Runs one privileged script through netevd-privileged.socket, reported like
// any other script's run; its output is in the journal under its own name.
import type { Logger } from "../log/logger";
import { askPrivileged, privilegedSocket } from "../privileged/client";
import type { PrivilegedRequest } from "../privileged/request";
import { KILL_GRACE_MS } from "../config/script-rules";
import type { ScriptResult } from "./run-script";

/** What the executor may take beyond the hook's own timeout: its start, systemd's stop. */
const SLACK_MS = 15_000;

export async function runPrivileged(
  script: { name: string; path: string },
  o: { socket?: string; request: PrivilegedRequest; timeoutMs: number; log: Logger },
): Promise<ScriptResult> {
  const started = performance.now();
  const reply = await askPrivileged(
    o.socket ?? privilegedSocket(),
    o.request,
    o.timeoutMs + KILL_GRACE_MS + SLACK_MS,
  );
  const base = {
    name: script.name,
    path: script.path,
    durationMs: performance.now() - started,
    outputTruncated: false,
  };
  if (!reply.ok)
    return {
      ...base,
      exitCode: null,
      signal: null,
      timedOut: false,
      spawnError: `refused by netevd-privileged: ${reply.refused}`,
      privilegedRefusal: true,
    };
  o.log.debug(`${script.path} ran as root in ${reply.unit}`, { script: script.name, unit: reply.unit });
  return {
    ...base,
    exitCode: reply.exitCode,
    signal: reply.signal as NodeJS.Signals | null,
    timedOut: reply.timedOut,
  };
}
