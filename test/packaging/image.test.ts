// The OCI image (npm run image, dist/oci) run for real with podman, no Docker
// daemon: in a test network namespace (what hostNetwork is on a node), with
// only CAP_NET_ADMIN (as the image's user netevd, which podman gives it as an
// ambient capability), a veth coming up runs a mounted script laid out the way
// the kubelet mounts a ConfigMap (..data symlinks), with no capabilities.
import { spawnSync } from "node:child_process";
import { chownSync, existsSync, readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { canNetns, createNetns, ip } from "../helpers/netns";
import { waitFor } from "../helpers/proc";
import { tempDir, writeScript } from "../helpers/tmp";

const layout = join(__dirname, "..", "..", "dist", "oci");
const hasPodman = spawnSync("sh", ["-c", "command -v podman && command -v runc"]).status === 0;

/**
 * podman with its own storage in a temporary directory (nothing of the
 * machine's), vfs (works on any file system), runc (crun refuses this
 * machine's hybrid cgroups) and limits no higher than this sandbox's.
 */
function podman(storage: string, ...args: string[]) {
  return spawnSync(
    "podman",
    [
      "--root",
      join(storage, "root"),
      "--runroot",
      join(storage, "run"),
      "--storage-driver",
      "vfs",
      "--cgroup-manager",
      "cgroupfs",
      "--events-backend",
      "file",
      "--runtime",
      "runc",
      ...args,
    ],
    { encoding: "utf8", maxBuffer: 64 << 20, timeout: 120_000 },
  );
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe.runIf(canNetns && hasPodman)("OCI image", () => {
  it("podman runs it with only NET_ADMIN on the namespace's network; a veth coming up runs the mounted script", async () => {
    expect(existsSync(join(layout, "index.json")), "dist/oci: run npm run image").toBe(true);
    const storage = tempDir("netevd-podman-");
    const name = `netevd-test-${process.pid}`;
    cleanups.push(() => podman(storage, "rm", "--force", "--time", "5", name));
    const ns = createNetns();

    // A ConfigMap as the kubelet mounts it: the files in a timestamped
    // directory, ..data pointing at it, each name a symlink through ..data.
    const scripts = tempDir();
    const version = join(scripts, "..2026_11_29_08_00_00.000000001");
    writeScript(
      version,
      "50-record",
      '#!/bin/sh\n{ echo "LINK=$LINK STATE=$STATE ADDRESSES=$ADDRESSES"; grep -E "^(Uid|CapEff)" /proc/self/status; } > /out/routable.$LINK\n',
    );
    symlinkSync("..2026_11_29_08_00_00.000000001", join(scripts, "..data"));
    symlinkSync("..data/50-record", join(scripts, "50-record"));
    // Where the script (user netevd in the image, uid 999) writes what it got.
    const out = tempDir();
    chownSync(out, 999, 999);

    const run = podman(
      storage,
      "run",
      "--detach",
      "--name",
      name,
      "--network",
      `ns:/run/netns/${ns}`,
      "--cap-drop",
      "ALL",
      "--cap-add",
      "NET_ADMIN",
      "--security-opt",
      "no-new-privileges",
      "--ulimit",
      "nofile=1024:1024",
      "--ulimit",
      "nproc=4096:4096",
      "--volume",
      `${scripts}:/etc/netevd/routable.d:ro`,
      "--volume",
      `${out}:/out`,
      `oci:${layout}:latest`,
    );
    expect(run.status, run.stderr).toBe(0);
    const logs = () => {
      const l = podman(storage, "logs", name);
      return l.stdout + l.stderr;
    };
    expect(await waitFor(() => logs().includes("ready:"), 60_000), logs()).toBe(true);
    const exec = (...args: string[]) => podman(storage, "exec", name, ...args);
    // The daemon: the image's user netevd with CAP_NET_ADMIN alone.
    const daemon = exec("grep", "-E", "^(Uid|CapEff)", "/proc/1/status").stdout;
    expect(daemon).toMatch(/Uid:\s+999\s/);
    expect(daemon).toMatch(/CapEff:\s+0000000000001000/);

    ip(ns, "link", "add", "ve0", "type", "veth", "peer", "name", "ve1");
    ip(ns, "link", "set", "ve1", "up");
    ip(ns, "link", "set", "ve0", "up");
    ip(ns, "addr", "add", "192.0.2.20/24", "dev", "ve0");
    const recorded = join(out, "routable.ve0");
    expect(await waitFor(() => existsSync(recorded), 15_000), logs()).toBe(true);
    await waitFor(() => readFileSync(recorded, "utf8").includes("CapEff"));
    const text = readFileSync(recorded, "utf8");
    expect(text).toContain("LINK=ve0 STATE=routable ADDRESSES=192.0.2.20");
    // The script: user netevd, no capabilities.
    expect(text).toMatch(/Uid:\s+999\s/);
    expect(text).toMatch(/CapEff:\s+0000000000000000/);

    // The CLI in the container talks to the daemon; metrics answer on the namespace's port.
    const status = exec("netevd", "status", "--format", "json");
    expect(status.status, status.stderr).toBe(0);
    expect((JSON.parse(status.stdout) as { routable: number }).routable).toBeGreaterThanOrEqual(1);
    const metrics = spawnSync(
      "ip",
      [
        "netns",
        "exec",
        ns,
        process.execPath,
        "-e",
        "require('http').get('http://127.0.0.1:9171/metrics', (r) => r.pipe(process.stdout))",
      ],
      { encoding: "utf8", timeout: 10_000 },
    );
    expect(metrics.stdout).toMatch(/^netevd_script_runs_total\{result="success"\} [1-9]/m);
  }, 240_000);
});
