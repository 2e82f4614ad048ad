// A hung script's descendant that left its process group (setsid) and ignores
// SIGTERM: where netevd owns a delegated cgroup it dies with the script's
// timeout (cgroup.kill); elsewhere netevd, as its subreaper, finds it below
// the hook at the timeout, kills it after the grace and reaps it. Without
// either, the escapee outlives the timeout (both tests fail).
import type { ChildProcess } from "node:child_process";
import {
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startDaemon } from "../helpers/daemon";
import { canNetns, createNetns, ip, veth } from "../helpers/netns";
import { alive, waitFor } from "../helpers/proc";
import { tempDir, writeScript } from "../helpers/tmp";

const NOBODY = 65534;

/** Where the cgroup v2 hierarchy is mounted here (/sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid systems). */
function cgroup2Mount(): string | undefined {
  for (const line of readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
    const [pre, post] = line.split(" - ");
    if (post?.startsWith("cgroup2 ")) return pre?.split(" ")[4];
  }
  return undefined;
}
const mount = cgroup2Mount();

/** A hook whose background job escapes into its own session, ignores SIGTERM and records its PID. */
function escapingHook(dir: string, out: string): void {
  writeScript(
    join(dir, "degraded.d"),
    "50-escape",
    `#!/bin/sh
setsid sh -c 'trap "" TERM; echo $$ > ${out}/escapee.pid; exec sleep 300' </dev/null >/dev/null 2>&1 &
sleep 300
`,
  );
}

async function run(cgroup: string | undefined) {
  const ns = createNetns();
  veth(ns, "es0", "es1", { up: false });
  const dir = tempDir();
  const out = join(dir, "out");
  mkdirSync(out);
  chownSync(out, NOBODY, NOBODY);
  escapingHook(dir, out);
  const config = join(dir, "netevd.yaml");
  writeFileSync(
    config,
    `system: { backend: none, user: nobody }\nmonitoring: { interfaces: [es0] }\nscripts: { dir: ${dir}, timeout: 1s }\n`,
  );
  const d = startDaemon(ns, config, {}, [], cgroup);
  expect(await waitFor(() => d.output().includes("ready: ")), d.output()).toBe(true);
  ip(ns, "link", "set", "es1", "up");
  ip(ns, "link", "set", "es0", "up");
  const pidFile = join(out, "escapee.pid");
  expect(await waitFor(() => readdirSync(out).includes("escapee.pid")), d.output()).toBe(true);
  const escapee = Number(readFileSync(pidFile, "utf8"));
  expect(await waitFor(() => d.output().includes("timed out after 1000 ms"), 10_000), d.output()).toBe(true);
  return { d, escapee };
}

describe.runIf(canNetns && mount)("a script's descendants at its timeout", () => {
  it("in a delegated cgroup: the setsid escapee that ignores SIGTERM is killed with the script", async () => {
    // As systemd's Delegate=yes does: a cgroup owned by the daemon's user.
    const cg = join(mount!, `netevd-test-${process.pid}-${Date.now()}`);
    mkdirSync(cg);
    for (const f of ["", "cgroup.procs", "cgroup.subtree_control", "cgroup.threads"])
      chownSync(join(cg, f), NOBODY, NOBODY);
    let escapee = 0;
    let daemon: ChildProcess | undefined;
    try {
      const r = await run(cg);
      daemon = r.d.child;
      escapee = r.escapee;
      // SIGTERM is ignored; SIGKILL by cgroup.kill after the 5 s grace.
      expect(await waitFor(() => !alive(escapee), 15_000), r.d.output()).toBe(true);
      expect(r.d.output()).toContain(`each script runs in a cgroup of its own under ${cg}`);
      r.d.child.kill("SIGTERM");
      expect(await r.d.exit).toBe(0);
    } finally {
      daemon?.kill("SIGKILL");
      if (escapee && alive(escapee)) process.kill(escapee, "SIGKILL");
      // Cleanup: the cgroup must empty before it can go (an error below names it otherwise).
      await waitFor(() => readFileSync(join(cg, "cgroup.procs"), "utf8") === "");
      for (const sub of readdirSync(cg, { withFileTypes: true }))
        if (sub.isDirectory()) rmdirSync(join(cg, sub.name));
      rmdirSync(cg);
    }
  }, 60_000);

  it("without one: the setsid escapee is found below the hook, killed after the grace and reaped", async () => {
    const { d, escapee } = await run(undefined);
    try {
      expect(d.output()).toMatch(
        /a timeout ends the script's process group and the processes below it, those that left the group too \(netevd is their subreaper; no per-script cgroup: [^)]+\)/,
      );
      expect(d.output()).toMatch(/sending SIGTERM to its process group and \d+ process\(es\) it started/);
      // SIGTERM is ignored; SIGKILL after the 5 s grace; then netevd, its subreaper, reaps it (no zombie left).
      expect(await waitFor(() => !alive(escapee), 15_000), d.output()).toBe(true);
      expect(await waitFor(() => !existsSync(`/proc/${escapee}`)), "left a zombie").toBe(true);
      d.child.kill("SIGTERM");
      expect(await d.exit).toBe(0);
    } finally {
      if (alive(escapee)) process.kill(escapee, "SIGKILL");
    }
  }, 60_000);
});
