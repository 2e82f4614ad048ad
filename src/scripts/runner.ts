// Turns events into script runs: discovery, environment, per-link order,
// bounded parallelism across links, results reported to the caller.
import { join } from "node:path";
import type { NativeBinding } from "../native/binding";
import { eventBytes, type NetworkEvent } from "../events/event";
import { type Dropped, sanitizeEvent } from "../events/sanitize";
import { getLogger, type Logger } from "../log/logger";
import { type Discovery, discoverScripts, selects, type Skipped } from "./discover";
import type { ScriptStyle, StyleContext, StyleRun } from "./styles/style";
import { MANAGER_DETAILS, scriptEnvironment } from "./environment";
import { mayRead } from "../config/script-variables";
import { netevdStyle } from "./styles/netevd";
import { type Discard, type JobMeta, LinkQueues } from "./link-queue";
import { stateFamily } from "../events/names";
import type { KillScope } from "./cgroup";
import { LocalRuns } from "./local-runs";
import { runAsUser } from "./run-as-user";
import type { ScriptResult } from "./run-script";
import { grants, type PrivilegeGrant, styleBackends } from "../config/script-styles";
import { runPrivileged } from "./run-privileged";
import { MESSAGE_ID } from "../log/message-ids";

/** A script directory (one or several paths) and the style its scripts were written for. */
export interface RunnerDirectory {
  paths: string[];
  style: ScriptStyle;
  /** The directory's settings: on reload, an unchanged key keeps its style's memory. */
  key?: string;
  /** Scripts that run as root through netevd-privileged.socket. */
  privilege?: PrivilegeGrant;
  /** The others run as this user through its hook runner; absent: the daemon runs them. */
  user?: string;
}

export interface RunnerOptions {
  /** Starts scripts (the real addon; a fake in the in-process tests). */
  binding: NativeBinding;
  /** The main directory (scripts.dir); `netevd test` lists its scripts. */
  dir: string;
  /** Every script directory, the main one first, in the order their scripts run. */
  directories?: RunnerDirectory[];
  /** What styles may read when their scripts are about to run. */
  styleContext?: StyleContext;
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
  /** Where privileged scripts are asked for. */
  privilegedSocket?: string;
  /** An event that never ran: replaced by a later one, or past the queue's bound. */
  onDiscard?: (event: NetworkEvent, why: Discard) => void;
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
  /** Set when the event never ran: a later one replaced it, or the link's queue was full. */
  discarded?: Discard;
}

export class ScriptRunner {
  private readonly queues: LinkQueues;
  private readonly local: LocalRuns;
  private readonly warned = new Set<string>();
  private readonly log: Logger;
  /** Per link queue: its name and what a burst discarded, logged once when the queue empties. */
  private readonly bursts = new Map<string, { name: string; coalesced: number; bound: number }>();

  constructor(
    private opts: RunnerOptions,
    log: Logger = getLogger("scripts"),
  ) {
    this.log = log;
    this.local = new LocalRuns(opts);
    this.queues = new LinkQueues(opts.maxParallel, undefined, {
      onIdle: (key) => this.endBurst(key),
    });
  }

  private endBurst(key: string): void {
    const b = this.bursts.get(key);
    this.bursts.delete(key);
    if (!b || b.coalesced + b.bound === 0) return;
    const parts = [
      ...(b.coalesced ? [`${b.coalesced} replaced by a later one`] : []),
      ...(b.bound ? [`${b.bound} dropped at the queue's bound`] : []),
    ];
    this.log.child({ link: b.name }).warn(`events of ${b.name} that never ran: ${parts.join(", ")}`);
  }

  /**
   * How the event waits: a re-run of a state folds into the next one; a new
   * state supersedes waiting re-runs and, unless a directory's dispatcher ran
   * every state, the link's waiting states of the same kind.
   */
  private meta(e: NetworkEvent): JobMeta {
    const weight = eventBytes(e);
    if (e.rerun) return { fold: `rerun ${e.event}`, weight };
    const family = stateFamily(e.event, e.backend);
    if (family === undefined) return { weight };
    const everyState = this.directories().some(
      (d) => d.style.everyState && (styleBackends(d.style.name)?.includes(e.backend) ?? true),
    );
    return {
      family,
      weight,
      state: true,
      supersedes: (w) => w.fold?.startsWith("rerun ") === true || (!everyState && w.family === family),
    };
  }

  /**
   * New settings (on reload) apply to events dispatched from now on. A
   * directory kept with the same style keeps its style's memory (which
   * NetworkManager devices are up).
   */
  /** New settings (a reload); the binding stays. */
  update(opts: Omit<RunnerOptions, "binding">): void {
    const kept = new Map((this.opts.directories ?? []).map((d) => [directoryKey(d), d.style]));
    const directories = opts.directories?.map((d) => ({ ...d, style: kept.get(directoryKey(d)) ?? d.style }));
    this.opts = { ...opts, binding: this.opts.binding, directories };
    this.queues.setLimit(opts.maxParallel);
  }

  private directories(): RunnerDirectory[] {
    return this.opts.directories ?? [{ paths: [this.opts.dir], style: netevdStyle }];
  }

  /** The directories and scripts an event runs, per its styles. */
  private work(e: NetworkEvent): DirectoryWork[] {
    const out: DirectoryWork[] = [];
    for (const d of this.directories()) {
      if (e.netns && !d.style.otherNamespaces) continue;
      // Another dispatcher's scripts run only for events of the manager it served (under auto, while it runs).
      if (!(styleBackends(d.style.name)?.includes(e.backend) ?? true)) continue;
      for (const run of d.style.runs(e)) {
        const dirs = d.paths.map((p) => join(p, run.subdir));
        const found = discoverScripts(dirs, { rule: d.style.rule, layoutDirs: d.style.layoutDirs });
        out.push({ style: d.style, run, found, dirs, dir: d });
      }
    }
    return out;
  }

  /** Whether a script this event would run now may read the manager's details (DNS, DHCP_*, JSON). */
  readsDetails(e: NetworkEvent, only: readonly string[] | null): boolean {
    return readsAny(this.work(e), only, MANAGER_DETAILS);
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

  /** What the directories of other styles would run for this event, with their arguments and variables. */
  async planStyles(raw: NetworkEvent): Promise<StylePlan[]> {
    const { event } = sanitizeEvent(raw);
    const base = scriptEnvironment(event, { emitJson: this.opts.emitJson, parent: this.opts.parentEnv });
    const out: StylePlan[] = [];
    for (const w of this.work(raw)) {
      if (w.style.name === "netevd") continue;
      const extra = await w.style.environment(event, w.run, this.opts.styleContext ?? {}, base, true);
      out.push({
        style: w.style.name,
        directory: w.dirs.join(":"),
        arguments: w.run.args,
        scripts: w.found.scripts.map((s) => s.path),
        skipped: w.found.skipped,
        environment: { ...base, ...extra },
      });
    }
    return out;
  }

  /**
   * Queues the event behind earlier ones of the same link (by index: a rename
   * keeps its place). With `only`, just the scripts it selects run (filters).
   */
  dispatch(
    raw: NetworkEvent,
    only: readonly string[] | null = null,
    /**
     * Completes the event inside the link's queue, keeping the order: the
     * kernel's facts again and, with `details`, the manager's (a D-Bus lookup).
     */
    prepare?: (e: NetworkEvent, details: boolean) => Promise<NetworkEvent>,
  ): Promise<EventReport> {
    const queuedAt = performance.now();
    // An event without scripts skips `prepare`: no D-Bus round trip holds up the
    // link's queue for nothing (a link coming up brings several routes events).
    // Per namespace: ifindexes repeat across namespaces.
    const key = `${raw.netns ?? ""}/${raw.link.index}`;
    const burst = this.bursts.get(key) ?? { name: raw.link.name, coalesced: 0, bound: 0 };
    burst.name = raw.link.name;
    this.bursts.set(key, burst);
    return this.queues.enqueue(
      key,
      async () => {
        const work = this.work(raw);
        const running = work.filter((w) => w.found.scripts.some((s) => selects(only, s)));
        const runs = running.length > 0;
        // What costs a process or a round trip is computed only for scripts that may read it.
        for (const w of running) {
          const costly = w.style.costly;
          w.costly = costly !== undefined && readsAny([w], only, costly);
          if (w.costly && !this.opts.dryRun) w.style.prefetch?.(raw, this.opts.styleContext ?? {});
        }
        const details = readsAny(running, only, MANAGER_DETAILS);
        return this.runEvent(prepare && runs ? await prepare(raw, details) : raw, work, queuedAt, only, runs);
      },
      this.meta(raw),
      (why) => {
        burst[why]++;
        this.opts.onDiscard?.(raw, why);
        return {
          event: raw.event,
          link: raw.link.name,
          results: [],
          skipped: [],
          queuedMs: performance.now() - queuedAt,
          discarded: why,
        };
      },
    );
  }

  private async runEvent(
    raw: NetworkEvent,
    work: DirectoryWork[],
    queuedAt: number,
    only: readonly string[] | null,
    /** Some directory has a script for it (dispatch knows). */
    runs: boolean,
  ): Promise<EventReport> {
    const { event, dropped } = sanitizeEvent(raw);
    const log = this.log.child({ link: event.link.name, event: event.event });
    const report: EventReport = {
      event: event.event,
      link: event.link.name,
      results: [],
      skipped: work.flatMap((w) => w.found.skipped),
      queuedMs: performance.now() - queuedAt,
    };
    for (const s of report.skipped) this.warnSkipped(s, log);
    // No script to run (most routes events): no environment to build.
    if (!runs) return report;
    for (const d of dropped) log.warn(`dropped a value from the network: ${d.field} ${d.reason}`);
    const base = scriptEnvironment(event, { emitJson: this.opts.emitJson, parent: this.opts.parentEnv });
    for (const w of work) {
      const scripts = w.found.scripts.filter((s) => selects(only, s));
      if (scripts.length === 0) continue;
      const privilegeOf = (name: string) => {
        const relative = w.run.subdir ? `${w.run.subdir}/${name}` : name;
        return grants(w.dir.privilege, relative)
          ? { directory: w.dir.paths.join(":"), script: relative }
          : undefined;
      };
      if (this.opts.dryRun) {
        for (const s of scripts)
          log.info(`dry run: would run ${s.path}${privilegeOf(s.name) ? " as root (privileged)" : ""}`);
        continue;
      }
      let env = base;
      if (w.style.name !== "netevd") {
        try {
          const extra = await w.style.environment(
            event,
            w.run,
            this.opts.styleContext ?? {},
            base,
            w.costly ?? true,
          );
          env = { ...base, ...extra };
        } catch (err) {
          log.error(`${w.style.name} variables could not be read: ${(err as Error).message}`);
        }
      }
      for (const script of scripts) {
        const run = this.runOne(script, env, w.run.args, log, event, privilegeOf(script.name), w.dir.user);
        if (w.style.noWait?.(script.path)) {
          // Not waited for (NetworkManager's no-wait.d): its result is logged when it ends.
          run.catch((err: Error) => log.error(`${script.path} failed: ${err.message}`));
          continue;
        }
        report.results.push(await run);
      }
    }
    return report;
  }

  private async runOne(
    found: { name: string; path: string },
    env: Record<string, string>,
    args: string[],
    log: Logger,
    event: NetworkEvent,
    privileged?: { directory: string; script: string },
    user?: string,
  ): Promise<ScriptResult> {
    // Name and path only: requests to the hook runner and the executor, and results, carry nothing else.
    const script = { name: found.name, path: found.path };
    // Its output lines and its result carry its name (NETEVD_SCRIPT in the journal).
    log = log.child({ script: script.name });
    if (privileged) {
      const result = await runPrivileged(script, {
        socket: this.opts.privilegedSocket,
        request: {
          ...privileged,
          args,
          env,
          link: event.link.name,
          event: event.event,
          ...(event.netns ? { netns: event.netns } : {}),
        },
        timeoutMs: this.opts.timeoutMs,
        log,
      });
      logResult(result, log);
      this.opts.onResult?.(event, result);
      return result;
    }
    const run = { env, args, timeoutMs: this.opts.timeoutMs, log };
    const result = user ? await runAsUser(user, script, run) : await this.local.run(script, run);
    logResult(result, log);
    this.opts.onResult?.(event, result);
    return result;
  }

  /** One warning per skipped file, repeated only when the file changes. */
  private warnSkipped(s: Skipped, log: Logger): void {
    const key = `${s.path}\0${s.rule}\0${s.stamp}`;
    if (this.warned.has(key)) return;
    this.warned.add(key);
    log.warn(`skipping ${s.path}: ${s.rule}: ${s.detail}`);
  }

  /** Ends every running script's process group: SIGTERM, then SIGKILL after the grace time. */
  stop(): Promise<void> {
    return this.local.stop();
  }
}

/** Whether a script these directories run for the event (those `only` selects) may read one of `names`. */
function readsAny(work: readonly DirectoryWork[], only: readonly string[] | null, names: RegExp): boolean {
  return work.some((w) => w.found.scripts.some((s) => selects(only, s) && mayRead(s, names)));
}

interface DirectoryWork {
  dir: RunnerDirectory;
  style: ScriptStyle;
  run: StyleRun;
  found: Discovery;
  dirs: string[];
  /** A script that runs may read the style's costly variables: they are computed. */
  costly?: boolean;
}

/** What one directory of another style would run for an event (`netevd test`). */
export interface StylePlan {
  style: string;
  directory: string;
  arguments: string[];
  scripts: string[];
  skipped: Skipped[];
  environment: Record<string, string>;
}

const directoryKey = (d: RunnerDirectory) => d.key ?? `${d.style.name}\0${d.paths.join(":")}`;

/** A run's line; in the journal also NETEVD_SCRIPT, NETEVD_EXIT_STATUS (a number or a signal name) and, when it failed, the catalog's MESSAGE_ID. */
function logResult(r: ScriptResult, log: Logger): void {
  const fields = {
    duration_ms: Math.round(r.durationMs),
    exit_status: r.signal ?? r.exitCode ?? undefined,
  };
  const failed = { ...fields, MESSAGE_ID: MESSAGE_ID.scriptFailed };
  if (r.spawnError) log.error(`could not start ${r.path}: ${r.spawnError}`, failed);
  else if (r.timedOut) log.error(`${r.path} timed out`, failed);
  else if (r.exitCode === 0) log.debug(`${r.path} succeeded`, fields);
  else if (r.signal) log.warn(`${r.path} was killed by ${r.signal}`, failed);
  else log.warn(`${r.path} exited with status ${r.exitCode}`, failed);
}
