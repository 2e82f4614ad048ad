// Without a cgroup of its own per script, a hung hook's children that left
// its process group (setsid, a daemon) are found through /proc: at the
// timeout, every process below the hook is taken by pidfd (so a reused pid is
// never signalled), signalled with the group, and, once netevd has adopted it
// as their subreaper, reaped. A child whose parent had already exited before
// the timeout (a double fork) is no longer below the hook and is not found:
// the per-script cgroup under systemd is the complete answer.
import { readdirSync, readFileSync } from "node:fs";
import { constants } from "node:os";
import type { NativeBinding } from "../native/binding";

const REAP_EVERY_MS = 100;
const REAP_TRIES = 100;

/** parent pid → its children's pids, for every process now. */
function childrenByParent(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, "latin1");
    } catch {
      continue; // gone meanwhile
    }
    // "pid (comm) state ppid …": comm may hold spaces and parentheses.
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(name));
    children.set(ppid, list);
  }
  return children;
}

/** Every process below `pid` now, nearest first. */
function descendantsOf(pid: number): number[] {
  const children = childrenByParent();
  const out: number[] = [];
  const queue = [pid];
  for (let p = queue.shift(); p !== undefined; p = queue.shift())
    for (const c of children.get(p) ?? []) {
      out.push(c);
      queue.push(c);
    }
  return out;
}

export class Descendants {
  private readonly fds: number[] = [];

  /** Takes hold of every process below `pid` now (one that is gone already is left out). */
  constructor(
    private readonly binding: NativeBinding,
    pid: number,
  ) {
    for (const p of descendantsOf(pid)) {
      try {
        this.fds.push(binding.pidfdOpen(p));
      } catch {
        // exited meanwhile
      }
    }
  }

  get size(): number {
    return this.fds.length;
  }

  /** Signals each; how many were still there (one netevd may not signal, e.g. setuid, counts as gone). */
  signal(name: "SIGTERM" | "SIGKILL"): number {
    let alive = 0;
    for (const fd of this.fds)
      if (this.try(() => this.binding.pidfdSignal(fd, constants.signals[name]))) alive++;
    return alive;
  }

  /** A pidfd call that fails (EPERM, …) counts as done: it never throws into a timer. */
  private try<T>(call: () => T): T | undefined {
    try {
      return call();
    } catch {
      return undefined;
    }
  }

  /**
   * Reaps those that died as netevd's children (its subreaper's orphans), a
   * few seconds at most; the others their own parents reap.
   */
  reap(): void {
    let tries = 0;
    const pending = [...this.fds];
    this.fds.length = 0;
    const round = () => {
      for (let i = pending.length - 1; i >= 0; i--) {
        const fd = pending[i]!;
        const state = this.try(() => this.binding.pidfdReap(fd));
        if (state === "running" && tries < REAP_TRIES) continue;
        // Someone else's child for now: its parent reaps it, or exits and leaves it to netevd.
        if (state === "elsewhere" && tries < REAP_TRIES && this.try(() => this.binding.pidfdSignal(fd, 0)))
          continue;
        this.binding.closeFd(fd);
        pending.splice(i, 1);
      }
      if (pending.length > 0 && ++tries <= REAP_TRIES) setTimeout(round, REAP_EVERY_MS).unref();
      else for (const fd of pending.splice(0)) this.binding.closeFd(fd);
    };
    round();
  }
}
