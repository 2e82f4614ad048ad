// system.backend: auto (the default) follows whatever manages the host, and a
// configured backend whose manager is not running is said plainly: at start,
// in `netevd status` (exit 1) and by `netevd validate`. The daemon runs in a
// namespace on a private bus where a fake NetworkManager comes and goes.
import { writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { netevd } from "../helpers/cli";
import { apiConfig, recorded, recordingScripts, startDaemon } from "../helpers/daemon";
import { startPrivateBus } from "../helpers/dbus";
import { FakeNetworkManager } from "../helpers/fake-nm";
import { canNetns, createNetns, ip } from "../helpers/netns";
import { httpGet } from "../helpers/http";
import { waitFor } from "../helpers/proc";

const NM_OWNS = "NetworkManager owns org.freedesktop.NetworkManager";

function veth(ns: string, name: string): void {
  ip(ns, "link", "add", name, "type", "veth", "peer", "name", `${name}p`);
  ip(ns, "link", "set", `${name}p`, "up");
  ip(ns, "link", "set", name, "up");
}

describe.runIf(canNetns)("system.backend: auto", () => {
  it("starts on the kernel when no manager runs, follows NetworkManager when it appears and the kernel again when it leaves", async () => {
    const ns = createNetns();
    veth(ns, "au0");
    const bus = await startPrivateBus();
    const { dir, config, socket } = apiConfig();
    writeFileSync(
      config,
      `system: { user: nobody }\nscripts: { dir: ${dir} }\napi: { socket: ${socket} }\nmonitoring: { exclude: ["au*p"] }\n`,
    );
    recordingScripts(dir, ["routable", "activated"]);
    const d = startDaemon(ns, config, { DBUS_SYSTEM_BUS_ADDRESS: bus.address });
    const nm = new FakeNetworkManager(bus.address);
    const status = (): Record<string, unknown> =>
      JSON.parse(netevd(["status", "--config", config, "--format", "json"]).stdout) as Record<
        string,
        unknown
      >;
    try {
      expect(await waitFor(() => d.output().includes("ready:")), d.output()).toBe(true);
      expect(d.output()).toContain(
        "backend none (auto: neither systemd-networkd nor NetworkManager is on the system bus",
      );
      expect(status()).toMatchObject({ backend: "none", backend_mode: "auto", state: "running" });

      // The kernel alone: routable with BACKEND=none.
      ip(ns, "addr", "add", "10.77.0.2/24", "dev", "au0");
      expect(await waitFor(() => recorded(dir, "routable", "au0").length === 1), d.output()).toBe(true);
      expect(recorded(dir, "routable", "au0")[0]).toMatchObject({ BACKEND: "none" });

      // NetworkManager starts after netevd: followed without a restart.
      const dev = nm.add("au0", 30);
      nm.add("au1", 30);
      await nm.start();
      expect(
        await waitFor(() => d.output().includes(`backend NetworkManager (auto: ${NM_OWNS}); was none`)),
        d.output(),
      ).toBe(true);
      expect(status()).toMatchObject({
        backend: "NetworkManager",
        backend_mode: "auto",
        backend_problem: null,
      });
      expect((await httpGet({ socketPath: socket }, "/metrics")).text).toContain(
        'netevd_backend_info{backend="NetworkManager",mode="auto",running="true"} 1',
      );
      const shown = netevd(["show", "link", "au0", "--config", config, "--format", "json"]);
      expect(JSON.parse(shown.stdout)).toMatchObject({ backend: "NetworkManager", backend_mode: "auto" });
      // Its events now: the device's state, and the kernel's operational state beside it.
      nm.setState(dev, 100);
      expect(await waitFor(() => recorded(dir, "activated", "au0").length === 1), d.output()).toBe(true);
      expect(recorded(dir, "activated", "au0")[0]).toMatchObject({ BACKEND: "NetworkManager" });
      veth(ns, "au1");
      ip(ns, "addr", "add", "10.77.1.2/24", "dev", "au1");
      expect(await waitFor(() => recorded(dir, "routable", "au1").length === 1), d.output()).toBe(true);
      expect(recorded(dir, "routable", "au1")[0]).toMatchObject({ BACKEND: "NetworkManager" });
      // au0 was routable before the switch: the switch itself runs nothing again.
      expect(recorded(dir, "routable", "au0")).toHaveLength(1);

      // NetworkManager stops: after its grace period, back to the kernel.
      nm.stop();
      expect(
        await waitFor(() => /backend none \(auto: neither[^"]*; was NetworkManager/.test(d.output()), 15_000),
        d.output(),
      ).toBe(true);
      expect(status()).toMatchObject({ backend: "none", backend_mode: "auto" });
      ip(ns, "addr", "add", "10.77.0.3/24", "dev", "au0");
      expect(await waitFor(() => recorded(dir, "routable", "au0").length === 2), d.output()).toBe(true);
      expect(recorded(dir, "routable", "au0")[1]).toMatchObject({ BACKEND: "none" });
      expect(d.output()).not.toContain("lost the system bus");
    } finally {
      nm.stop();
      d.child.kill("SIGKILL");
    }
  }, 60_000);

  it("a configured systemd-networkd on a NetworkManager host: one line at start, a warning state in status (exit 1), validate names the line", async () => {
    const ns = createNetns();
    veth(ns, "au0");
    const bus = await startPrivateBus();
    const nm = new FakeNetworkManager(bus.address);
    await nm.start();
    const { dir, config, socket } = apiConfig();
    writeFileSync(
      config,
      `system:\n  user: nobody\n  backend: systemd-networkd\nscripts: { dir: ${dir} }\napi: { socket: ${socket} }\n`,
    );
    const env = { DBUS_SYSTEM_BUS_ADDRESS: bus.address };
    const d = startDaemon(ns, config, env);
    try {
      expect(await waitFor(() => d.output().includes("ready:")), d.output()).toBe(true);
      const said = `system.backend is systemd-networkd, but systemd-networkd is not running; NetworkManager does (${NM_OWNS}): no systemd-networkd events will come. Set system.backend to auto (or NetworkManager) in ${config} line 3`;
      expect(
        d
          .output()
          .split("\n")
          .filter((l) => l.includes("system.backend is systemd-networkd")),
      ).toEqual([expect.stringContaining(said)]);
      expect(d.output()).toContain("backend systemd-networkd (configured, not running)");
      expect(d.output()).not.toContain("lost the system bus");

      const s = netevd(["status", "--config", config, "--format", "json"]);
      expect(s.status).toBe(1);
      expect(JSON.parse(s.stdout)).toMatchObject({
        backend: "systemd-networkd",
        backend_mode: "configured",
        state: "warning",
        backend_problem: said,
      });
      expect(s.stderr).toContain(`warning: ${said}`);
      expect((await httpGet({ socketPath: socket }, "/metrics")).text).toContain(
        'netevd_backend_info{backend="systemd-networkd",mode="configured",running="false"} 1',
      );

      const v = netevd(["validate", "--config", config, "--format", "json"], env);
      expect(v.status).toBe(0);
      expect(v.stderr).toContain(`${config}:3:1: warning: system.backend: ${said}`);
      expect(JSON.parse(v.stdout)).toMatchObject({
        valid: true,
        backend: { setting: "systemd-networkd", in_use: "systemd-networkd", problem: said },
      });
      const t = netevd(["validate", "--config", config, "--format", "table"], env);
      expect(t.stdout).toContain("backend on this host: systemd-networkd (configured, not running)");
    } finally {
      nm.stop();
      d.child.kill("SIGKILL");
    }
  }, 30_000);
});
