// Scripts this process starts itself: each in a cgroup of its own where the
// process owns a delegated one, else by process group; the live ones ended at
// shutdown, the cgroups of finished ones removed once their background jobs
// are gone. The daemon runs its own user's scripts here, the hook runner
// those of its user.
import { KILL_GRACE_MS } from "../config/script-rules";
import type { Logger } from "../log/logger";
import type { NativeBinding } from "../native/binding";
import { type KillScope, ScriptCgroup } from "./cgroup";
import type { Launched } from "./launch";
import { killGroup, type OutputLine, runScript, type ScriptResult } from "./run-script";

export interface LocalRunsOptions {
  binding: NativeBinding;
  killScope?: KillScope;
  killGraceMs?: number;
}

export interface LocalRun {
  env: Record<string, string>;
  args: string[];
  timeoutMs: number;
  log: Logger;
  /** Each output line, instead of logging it. */
  onLine?: OutputLine;
  /** Ends the script at once (its caller went away). */
  abort?: AbortSignal;
}

export class LocalRuns {
  private readonly live = new Set<Launched>();
  /** Cgroups of finished scripts whose background jobs still run: removed once empty. */
  private readonly lingering = new Set<ScriptCgroup>();
  private runs = 0;

  constructor(private readonly opts: LocalRunsOptions) {}

  async run(script: { name: string; path: string }, r: LocalRun): Promise<ScriptResult> {
    const scope = this.opts.killScope;
    const cgroup =
      scope?.kind === "cgroup"
        ? ScriptCgroup.create(scope.dir, `run-${process.pid}-${++this.runs}`)
        : undefined;
    const result = await runScript(script.name, script.path, {
      binding: this.opts.binding,
      env: r.env,
      args: r.args,
      timeoutMs: r.timeoutMs,
      killGraceMs: this.opts.killGraceMs,
      log: r.log,
      cgroup,
      onLine: r.onLine,
      abort: r.abort,
      onSpawn: (child) => {
        this.live.add(child);
        void child.exited.then(() => this.live.delete(child));
      },
    });
    if (cgroup) this.lingering.add(cgroup);
    this.removeEmptyCgroups();
    return result;
  }

  private removeEmptyCgroups(): void {
    for (const cg of this.lingering) if (cg.remove()) this.lingering.delete(cg);
  }

  /** Ends every running script's process group: SIGTERM, then SIGKILL after the grace time. */
  async stop(): Promise<void> {
    const children = [...this.live];
    if (children.length === 0) return;
    for (const child of children) killGroup(child.pid, "SIGTERM");
    const grace = this.opts.killGraceMs ?? KILL_GRACE_MS;
    const exited = Promise.all(children.map((c) => c.exited));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, grace)))]);
    clearTimeout(timer);
    for (const child of children) killGroup(child.pid, "SIGKILL");
    this.removeEmptyCgroups();
  }
}
