// Each finished script, as the metrics and the audit log see it.
import type { RunBody } from "../api/types";
import type { AuditEntry } from "../audit/audit-log";
import type { NetworkEvent } from "../events/event";
import type { Metrics } from "../metrics/metrics";
import type { ScriptResult } from "../scripts/run-script";

const resultOf = (r: ScriptResult): RunBody["result"] =>
  r.spawnError ? "error" : r.timedOut ? "timeout" : r.exitCode === 0 ? "success" : "failure";

/** A finished run as GET /v1/runs shows it. */
export function runBody(e: NetworkEvent, r: ScriptResult): RunBody {
  return {
    time: new Date().toISOString(),
    link: e.link.name,
    event: e.event,
    script: r.name,
    path: r.path,
    result: resultOf(r),
    exit_status: r.signal ?? r.exitCode,
    duration_ms: Math.round(r.durationMs),
  };
}

export function recordScriptResult(
  e: NetworkEvent,
  r: ScriptResult,
  metrics: Metrics | undefined,
  audit: (entry: AuditEntry) => void,
): void {
  if (metrics) {
    const result = resultOf(r);
    metrics.scriptRuns.inc({ result, script: r.name });
    metrics.scriptFailing.set({ script: r.name }, result === "success" ? 0 : 1);
    if (r.privilegedRefusal) metrics.privilegedRefusals.inc();
    metrics.scriptDuration.observe(r.durationMs / 1000);
    metrics.eventToScript.observe(Math.max(0, Date.now() - r.durationMs - e.time.getTime()) / 1000);
  }
  audit({
    action: "script.run",
    link: e.link.name,
    event: e.event,
    script: r.path,
    exit_code: r.exitCode,
    signal: r.signal,
    timed_out: r.timedOut,
    duration_ms: Math.round(r.durationMs),
    ...(r.spawnError ? { error: r.spawnError } : {}),
  });
}
