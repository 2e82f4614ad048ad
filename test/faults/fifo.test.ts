// A FIFO (or any non-regular file) where netevd reads a file: a clear error at
// once, never a blocking open. Without the fix each of these hangs in open().
import { spawnSync } from "node:child_process";
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI } from "../helpers/cli";
import { recorded, recordingScripts, startDaemon } from "../helpers/daemon";
import { canNetns, createNetns, veth } from "../helpers/netns";
import { waitFor } from "../helpers/proc";
import { tempDir } from "../helpers/tmp";

const mkfifo = (path: string) => expect(spawnSync("mkfifo", [path]).status).toBe(0);
/** The built CLI, killed after 20 s: a hang shows as status null. */
const run = (args: string[]) =>
  spawnSync(process.execPath, [CLI, ...args], {
    encoding: "utf8",
    timeout: 20_000,
    env: { PATH: process.env.PATH },
  });

describe("non-regular files are refused, not waited on", () => {
  it("netevd validate with a FIFO as the configuration: exit 78, naming it", () => {
    const fifo = join(tempDir(), "netevd.yaml");
    mkfifo(fifo);
    const r = run(["validate", "--config", fifo]);
    expect(r.status, r.stderr).toBe(78);
    expect(r.stderr).toContain("cannot read: not a regular file (a FIFO)");
  });

  it("netevd-migrate: a FIFO as the configuration is refused by name (78); one among the scripts is reported, not read", () => {
    const root = tempDir();
    const broker = join(root, "etc/network-broker");
    mkdirSync(join(broker, "routable.d"), { recursive: true });
    mkfifo(join(broker, "network-broker.toml"));
    const none = run(["migrate", "--root", root]);
    expect(none.status, none.stdout + none.stderr).toBe(78);
    expect(none.stdout).toMatch(
      /etc\/network-broker\/network-broker\.toml: cannot read it: not a regular file \(a FIFO\)/,
    );
    rmSync(join(broker, "network-broker.toml"));
    writeFileSync(join(broker, "network-broker.toml"), '[System]\nGenerator="systemd-networkd"\n');
    mkfifo(join(broker, "routable.d", "50-fifo"));
    const r = run(["migrate", "--root", root]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/50-fifo \[skipped\]\n\s+not a regular file; not copied/);
  });

  it.runIf(canNetns)(
    "the daemon: a FIFO at start exits 78; one swapped in and reloaded is refused, events go on",
    async () => {
      const ns = createNetns();
      const dir = tempDir();
      const fifo = join(dir, "fifo.yaml");
      mkfifo(fifo);
      const atStart = startDaemon(ns, fifo);
      expect(await atStart.exit).toBe(78);

      recordingScripts(dir, ["carrier"]);
      const config = join(dir, "netevd.yaml");
      writeFileSync(config, `system: { backend: none, user: nobody }\nscripts: { dir: ${dir} }\n`);
      const d = startDaemon(ns, config);
      try {
        expect(await waitFor(() => d.output().includes("ready: ")), d.output()).toBe(true);
        renameSync(fifo, config);
        d.child.kill("SIGHUP");
        expect(await waitFor(() => d.output().includes("reload refused")), d.output()).toBe(true);
        expect(d.output()).toContain("not a regular file (a FIFO)");
        // Not stuck: the next change still runs its script.
        veth(ns, "fv0", "fv1");
        expect(await waitFor(() => recorded(dir, "carrier", "fv0").length === 1), d.output()).toBe(true);
        d.child.kill("SIGTERM");
        expect(await d.exit).toBe(0);
      } finally {
        d.child.kill("SIGKILL");
      }
    },
  );

  it.runIf(canNetns)("a FIFO among the dhclient lease files is skipped with a warning", async () => {
    const ns = createNetns();
    const dir = tempDir();
    const leases = tempDir();
    mkfifo(join(leases, "dhclient.fv0.leases"));
    const config = join(dir, "netevd.yaml");
    writeFileSync(
      config,
      `system: { backend: dhclient, user: nobody }\nscripts: { dir: ${dir} }\nbackends: { dhclient: { lease_files: ["${leases}/dhclient.*.leases"] } }\n`,
    );
    const d = startDaemon(ns, config);
    try {
      expect(await waitFor(() => d.output().includes("ready: ")), d.output()).toBe(true);
      expect(d.output()).toContain("not a regular file (a FIFO)");
      d.child.kill("SIGTERM");
      expect(await d.exit).toBe(0);
    } finally {
      d.child.kill("SIGKILL");
    }
  });
});
