// Where the daemon owns a delegated cgroup v2 subtree (the unit's Delegate=yes:
// systemd hands the service's cgroup to its user), every script runs in a
// group of its own, and a timeout ends the whole group with cgroup.kill: what
// left the script's process group (setsid, a daemonizing child) goes too.
// Anywhere else scripts are ended by process group. `describe()` says which
// is in force; the daemon logs it at start.
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readFileSync,
  rmdirSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join, relative } from "node:path";

/** How a script's processes are found and ended at its timeout. */
export type KillScope = { kind: "cgroup"; dir: string } | { kind: "process-group"; reason: string };

/** The unified (v2) hierarchy's mount point and this process's path in it, or why there is none. */
function ownCgroup(): { dir: string } | { reason: string } {
  const line = readFileSync("/proc/self/cgroup", "utf8")
    .split("\n")
    .find((l) => l.startsWith("0::"));
  if (!line) return { reason: "no cgroup v2 hierarchy" };
  const path = line.slice(3);
  // mountinfo: ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS... - FSTYPE SOURCE SUPER
  for (const m of readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
    const [pre, post] = m.split(" - ");
    if (!post?.startsWith("cgroup2 ")) continue;
    const f = pre?.split(" ") ?? [];
    const [root, mountPoint] = [f[3] ?? "/", (f[4] ?? "").replace(/\\040/g, " ")];
    const rel = relative(root, path);
    if (rel.startsWith("..")) continue;
    return { dir: join(mountPoint, rel) };
  }
  return { reason: "the cgroup v2 hierarchy is not mounted" };
}

/** Decided once, after the privilege drop (ownership is compared with the user netevd runs as). */
export function detectKillScope(): KillScope {
  let own: { dir: string } | { reason: string };
  try {
    own = ownCgroup();
  } catch (err) {
    return { kind: "process-group", reason: `cannot read its cgroup (${(err as Error).message})` };
  }
  if ("reason" in own) return { kind: "process-group", reason: own.reason };
  const { dir } = own;
  const uid = process.geteuid?.() ?? 0;
  try {
    // systemd chowns a delegated cgroup to the unit's User=; root's cgroups are never taken as ours.
    if (uid === 0 || statSync(dir).uid !== uid)
      return {
        kind: "process-group",
        reason: `its cgroup ${dir} is not delegated to it (Delegate=yes in the unit)`,
      };
    accessSync(join(dir, "cgroup.procs"), constants.W_OK);
    const probe = join(dir, `netevd-probe-${process.pid}`);
    mkdirSync(probe);
    const kill = existsSync(join(probe, "cgroup.kill"));
    rmdirSync(probe);
    if (!kill)
      return { kind: "process-group", reason: "the kernel has no cgroup.kill (Linux 5.14 or later)" };
  } catch (err) {
    return {
      kind: "process-group",
      reason: `its cgroup ${dir} is not writable (${(err as NodeJS.ErrnoException).code})`,
    };
  }
  return { kind: "cgroup", dir };
}

export function describeKillScope(k: KillScope): string {
  return k.kind === "cgroup"
    ? `each script runs in a cgroup of its own under ${k.dir}; a timeout ends all its processes (cgroup.kill)`
    : `a timeout ends the script's process group and the processes below it, those that left the group too (netevd is their subreaper; no per-script cgroup: ${k.reason})`;
}

/** One script run's cgroup: made before the start, removed once empty. */
export class ScriptCgroup {
  constructor(readonly dir: string) {}

  static create(parent: string, name: string): ScriptCgroup | undefined {
    const dir = join(parent, name);
    try {
      mkdirSync(dir);
      return new ScriptCgroup(dir);
    } catch {
      return undefined; // the script still runs, ended by process group
    }
  }

  get procs(): string {
    return join(this.dir, "cgroup.procs");
  }

  pids(): number[] {
    try {
      return readFileSync(this.procs, "utf8").split("\n").filter(Boolean).map(Number);
    } catch {
      return [];
    }
  }

  /** SIGTERM to every member (they may be in other process groups). */
  terminate(): void {
    for (const pid of this.pids()) {
      try {
        process.kill(pid, "SIGTERM");
      } catch {
        // gone meanwhile
      }
    }
  }

  /** SIGKILL to every member at once, by the kernel. */
  kill(): boolean {
    try {
      writeFileSync(join(this.dir, "cgroup.kill"), "1");
      return true;
    } catch {
      return false;
    }
  }

  /** False while processes are left in it (background jobs of a script that exited). */
  remove(): boolean {
    try {
      rmdirSync(this.dir);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === "ENOENT";
    }
  }
}
