// The OCI image (npm run image, dist/oci) run for real with podman, no Docker
// daemon: in a test network namespace (what hostNetwork is on a node), with
// only CAP_NET_ADMIN (as the image's user netevd, which podman gives it as an
// ambient capability), a veth coming up runs a mounted script laid out the way
// the kubelet mounts a ConfigMap (..data symlinks), with no capabilities.
import { spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { canNetns, createNetns, ip } from "../helpers/netns";
import { waitFor } from "../helpers/proc";
import { tempDir, writeScript } from "../helpers/tmp";

const built = join(__dirname, "..", "..", "dist", "oci");

/**
 * podman names an oci: image after its path, and a name must be lower case:
 * a checkout at a path with capitals is reached through a lower-case link.
 */
function lowerCasePath(path: string): string {
  if (path === path.toLowerCase()) return path;
  const dir = join(tmpdir(), `netevd-oci-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  symlinkSync(path, join(dir, "oci"));
  return join(dir, "oci");
}
const layout = lowerCasePath(built);
afterAll(() => {
  if (layout !== built) rmSync(dirname(layout), { recursive: true, force: true });
});

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

/**
 * Runs the image in a fresh namespace as `uid` (the image's user netevd, or
 * uid 0 with system.user: root as the DaemonSet does), brings a veth up, and
 * returns what the daemon and its script had.
 */
async function runImage(uid: 999 | 0) {
  expect(existsSync(join(built, "index.json")), "dist/oci: run npm run image").toBe(true);
  const storage = tempDir("netevd-podman-");
  const name = `netevd-test-${process.pid}-${uid}`;
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
  // Where the script writes what it got.
  const out = tempDir();
  chownSync(out, uid, uid);
  // As root, the DaemonSet's configuration (its socket where uid 0 without CAP_DAC_OVERRIDE may write).
  const rootConfig = join(tempDir(), "netevd.yaml");
  writeFileSync(
    rootConfig,
    'system: { backend: none, user: root }\napi: { socket: /run/netevd.sock }\nmetrics: { listen: "0.0.0.0:9171" }\n',
  );

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
    ...(uid === 0 ? ["--user", "0", "--volume", `${rootConfig}:/etc/netevd/netevd.yaml:ro`] : []),
    `oci:${layout}:latest`,
  );
  expect(run.status, run.stderr).toBe(0);
  const logs = () => {
    const l = podman(storage, "logs", name);
    return l.stdout + l.stderr;
  };
  expect(await waitFor(() => logs().includes("ready:"), 60_000), logs()).toBe(true);
  const exec = (...args: string[]) => podman(storage, "exec", name, ...args);
  const daemon = exec("grep", "-E", "^(Uid|CapEff)", "/proc/1/status").stdout;

  ip(ns, "link", "add", "ve0", "type", "veth", "peer", "name", "ve1");
  ip(ns, "link", "set", "ve1", "up");
  ip(ns, "link", "set", "ve0", "up");
  ip(ns, "addr", "add", "192.0.2.20/24", "dev", "ve0");
  const recorded = join(out, "routable.ve0");
  expect(await waitFor(() => existsSync(recorded), 15_000), logs()).toBe(true);
  expect(await waitFor(() => readFileSync(recorded, "utf8").includes("CapEff")), logs()).toBe(true);
  return { ns, exec, daemon, script: readFileSync(recorded, "utf8") };
}

// podman and runc are on the tools list (npm test stops first when one is missing): no skipping here.
describe.runIf(canNetns)("OCI image", () => {
  it("podman runs it with only NET_ADMIN on the namespace's network; a veth coming up runs the mounted script", async () => {
    const { ns, exec, daemon, script } = await runImage(999);
    // The daemon: the image's user netevd with CAP_NET_ADMIN alone; the script: netevd, no capabilities.
    expect(daemon).toMatch(/Uid:\s+999\s/);
    expect(daemon).toMatch(/CapEff:\s+0000000000001000/);
    expect(script).toContain("LINK=ve0 STATE=routable ADDRESSES=192.0.2.20");
    expect(script).toMatch(/Uid:\s+999\s/);
    expect(script).toMatch(/CapEff:\s+0000000000000000/);

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
    expect(metrics.stdout).toMatch(/^netevd_script_runs_total\{result="success",script="[^"]+"\} [1-9]/m);
  }, 240_000);

  it("as uid 0 with only NET_ADMIN (what Kubernetes gives the DaemonSet): the script still has no capabilities", async () => {
    const { daemon, script } = await runImage(0);
    expect(daemon).toMatch(/Uid:\s+0\s/);
    expect(daemon).toMatch(/CapEff:\s+0000000000001000/);
    expect(script).toMatch(/Uid:\s+0\s/);
    expect(script).toMatch(/CapEff:\s+0000000000000000/);
  }, 240_000);
});
