// Turns events into script runs: discovery, environment, per-link order,
// bounded parallelism across links, results reported to the caller.
import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import type { NetworkEvent } from "../events/event";
import { type Dropped, sanitizeEvent } from "../events/sanitize";
import { getLogger, type Logger } from "../log/logger";
import { type Discovery, discoverScripts, selects, type Skipped } from "./discover";
import { scriptEnvironment } from "./environment";
import { LinkQueues } from "./link-queue";
import { type KillScope, ScriptCgroup } from "./cgroup";
import { KILL_GRACE_MS, killGroup, runScript, type ScriptResult } from "./run-script";

export interface RunnerOptions {
  dir: string;
  timeoutMs: number;
  maxParallel: number;
  emitJson: boolean;
  dryRun?: boolean;
  killGraceMs?: number;
  parentEnv?: NodeJS.ProcessEnv;
  /** Per-script cgroups (where netevd has a delegated one) or process groups. */
  killScope?: KillScope;
  /** Each finished script (the audit log). */
  onResult?: (event: NetworkEvent, result: ScriptResult) => void;
}

export interface EventPlan extends Discovery {
  event: NetworkEvent;
  env: Record<string, string>;
  dropped: Dropped[];
}

export interface EventReport {
  event: string;
  link: string;
  results: ScriptResult[];
  skipped: Skipped[];
  /** From dispatch() to the first script's start: time spent queued. */
  queuedMs: number;
}

export class ScriptRunner {
  private readonly queues: LinkQueues;
  private readonly live = new Set<ChildProcess>();
  /** Cgroups of finished scripts whose background jobs still run: removed once empty. */
  private readonly lingering = new Set<ScriptCgroup>();
  private runs = 0;
  private readonly warned = new Set<string>();
  private readonly log: Logger;

  constructor(
    private opts: RunnerOptions,
    log: Logger = getLogger("scripts"),
  ) {
    this.queues = new LinkQueues(opts.maxParallel);
    this.log = log;
  }

  /** New settings (on reload) apply to events dispatched from now on. */
  update(opts: RunnerOptions): void {
    this.opts = opts;
    this.queues.setLimit(opts.maxParallel);
  }

  eventDir(event: string): string {
    return join(this.opts.dir, `${event}.d`);
  }

  /** What would run for this event, with the exact environment, without running it. */
  plan(raw: NetworkEvent, found: Discovery = discoverScripts(this.eventDir(raw.event))): EventPlan {
    const { event, dropped } = sanitizeEvent(raw);
    const env = scriptEnvironment(event, { emitJson: this.opts.emitJson, parent: this.opts.parentEnv });
    return { event, env, dropped, ...found };
  }

  /**
   * Queues the event behind earlier ones of the same link (by index: a rename
   * keeps its place). With `only`, just the scripts it selects run (filters).
   */
  dispatch(
    raw: NetworkEvent,
    only: readonly string[] | null = null,
    /** Completes the event inside the link's queue (e.g. a D-Bus lookup), keeping the order. */
    prepare?: (e: NetworkEvent) => Promise<NetworkEvent>,
  ): Promise<EventReport> {
    const queuedAt = performance.now();
    // An event without scripts skips `prepare`: no D-Bus round trip holds up the
    // link's queue for nothing (a link coming up brings several routes events).
    return this.queues.enqueue(String(raw.link.index), async () => {
      const found = discoverScripts(this.eventDir(raw.event));
      const runs = found.scripts.some((s) => selects(only, s));
      return this.runEvent(prepare && runs ? await prepare(raw) : raw, found, queuedAt, only);
    });
  }

  private async runEvent(
    raw: NetworkEvent,
    found: Discovery,
    queuedAt: number,
    only: readonly string[] | null,
  ): Promise<EventReport> {
    const plan = this.plan(raw, found);
    plan.scripts = plan.scripts.filter((s) => selects(only, s));
    const log = this.log.child({ link: plan.event.link.name, event: plan.event.event });
    for (const d of plan.dropped) log.warn(`dropped a value from the network: ${d.field} ${d.reason}`);
    for (const s of plan.skipped) this.warnSkipped(s, log);
    const report: EventReport = {
      event: plan.event.event,
      link: plan.event.link.name,
      results: [],
      skipped: plan.skipped,
      queuedMs: performance.now() - queuedAt,
    };
    if (this.opts.dryRun) {
      for (const s of plan.scripts) log.info(`dry run: would run ${s.path}`);
      return report;
    }
    for (const script of plan.scripts) {
      const scope = this.opts.killScope;
      const cgroup =
        scope?.kind === "cgroup"
          ? ScriptCgroup.create(scope.dir, `run-${process.pid}-${++this.runs}`)
          : undefined;
      const result = await runScript(script.name, script.path, {
        env: plan.env,
        timeoutMs: this.opts.timeoutMs,
        killGraceMs: this.opts.killGraceMs,
        log,
        cgroup,
        onSpawn: (child) => {
          this.live.add(child);
          child.once("exit", () => this.live.delete(child));
        },
      });
      if (cgroup) this.lingering.add(cgroup);
      this.removeEmptyCgroups();
      logResult(result, log);
      this.opts.onResult?.(plan.event, result);
      report.results.push(result);
    }
    return report;
  }

  private removeEmptyCgroups(): void {
    for (const cg of this.lingering) if (cg.remove()) this.lingering.delete(cg);
  }

  /** One warning per skipped file, repeated only when the file changes. */
  private warnSkipped(s: Skipped, log: Logger): void {
    const key = `${s.path}\0${s.rule}\0${s.stamp}`;
    if (this.warned.has(key)) return;
    this.warned.add(key);
    log.warn(`skipping ${s.path}: ${s.rule}: ${s.detail}`);
  }

  /** Ends every running script's process group: SIGTERM, then SIGKILL after the grace time. */
  async stop(): Promise<void> {
    const children = [...this.live];
    if (children.length === 0) return;
    for (const child of children) killGroup(child.pid, "SIGTERM");
    const grace = this.opts.killGraceMs ?? KILL_GRACE_MS;
    const exited = Promise.all(
      children.map((c) =>
        c.exitCode !== null || c.signalCode !== null
          ? Promise.resolve()
          : new Promise<void>((r) => c.once("exit", () => r())),
      ),
    );
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, grace)))]);
    clearTimeout(timer);
    for (const child of children) killGroup(child.pid, "SIGKILL");
    this.removeEmptyCgroups();
  }
}

function logResult(r: ScriptResult, log: Logger): void {
  const fields = { script: r.name, duration_ms: Math.round(r.durationMs) };
  if (r.spawnError) log.error(`could not start ${r.path}: ${r.spawnError}`, fields);
  else if (r.timedOut) log.error(`${r.path} timed out`, fields);
  else if (r.exitCode === 0) log.debug(`${r.path} succeeded`, fields);
  else if (r.signal) log.warn(`${r.path} was killed by ${r.signal}`, fields);
  else log.warn(`${r.path} exited with status ${r.exitCode}`, fields);
}
