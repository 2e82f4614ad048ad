// netevd-migrate --apply killed at any moment: it never leaves a new
// netevd.yaml beside an incomplete set of scripts (scripts go first), and the
// next run removes the temporary files a killed run left.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI } from "../helpers/cli";
import { isRoot, tempDir } from "../helpers/tmp";

const SCRIPTS = 300;

function brokerRoot(): string {
  const root = tempDir();
  const broker = join(root, "etc/network-broker");
  mkdirSync(join(broker, "routable.d"), { recursive: true });
  writeFileSync(join(broker, "network-broker.toml"), '[System]\nGenerator="systemd-networkd"\n');
  for (let i = 0; i < SCRIPTS; i++)
    writeFileSync(join(broker, "routable.d", `${String(i).padStart(2, "0")}-hook`), "#!/bin/sh\ntrue\n", {
      mode: 0o755,
    });
  return root;
}

const temps = (dir: string) =>
  existsSync(dir) ? readdirSync(dir).filter((n) => n.includes(".netevd-migrate-")) : [];

describe.runIf(isRoot)("netevd-migrate --apply killed with SIGKILL", () => {
  it("never leaves the new configuration with some scripts missing; the next run cleans up", async () => {
    const args = (root: string) => [CLI, "migrate", "--root", root, "--apply", "--links", "eth0"];
    // How long a whole run takes here; the kills are spread over it.
    const t0 = performance.now();
    spawnSync(process.execPath, args(brokerRoot()), { stdio: "ignore", timeout: 30_000 });
    const whole = performance.now() - t0;
    let partial = 0;
    for (let round = 0; round < 10; round++) {
      const root = brokerRoot();
      const child = spawn(process.execPath, args(root), { stdio: "ignore" });
      const exited = new Promise((r) => child.once("exit", r));
      const scripts = join(root, "etc/netevd/routable.d");
      const count = () =>
        existsSync(scripts) ? readdirSync(scripts).filter((n) => n.endsWith("-hook")).length : 0;
      if (round < 5) {
        // Kill it at a different moment of the whole run, start-up included.
        await new Promise((r) => setTimeout(r, whole * (0.2 + round / 5)));
      } else {
        // Kill it once a given number of scripts is in place: inside the writes,
        // however fast or slow this machine is today. The loop is synchronous so
        // the kill follows the count at once.
        const target = [1, 40, 100, 180, 260][round - 5] as number;
        const deadline = Date.now() + 20_000;
        while (child.exitCode === null && count() < target && Date.now() < deadline);
      }
      child.kill("SIGKILL");
      await exited;
      const copied = count();
      if (copied > 0 && copied < SCRIPTS) partial += 1;
      if (existsSync(join(root, "etc/netevd/netevd.yaml"))) expect(copied, `round ${round}`).toBe(SCRIPTS);
      // A temporary file a killed run left is removed by the next run.
      writeFileSync(join(root, "etc/network-broker/routable.d/.keep"), "");
      mkdirSync(scripts, { recursive: true });
      writeFileSync(join(scripts, ".00-hook.netevd-migrate-999999999"), "");
      const again = spawnSync(process.execPath, args(root), { encoding: "utf8", timeout: 30_000 });
      expect([0, 1], again.stdout + again.stderr).toContain(again.status);
      expect(temps(scripts)).toEqual([]);
      expect(temps(join(root, "etc/netevd"))).toEqual([]);
    }
    // The kills did land inside the writes at least once (else the test shows nothing).
    expect(partial).toBeGreaterThan(0);
  }, 120_000);
});
