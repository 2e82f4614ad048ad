// `netevd run` with the NetworkManager backend against a fake NetworkManager:
// device paths by NM's counter are mapped to links by name; StateChanged's own
// arguments become events; DeviceAdded/DeviceRemoved and the manager's state.
import { execFileSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { recorded, recordingScripts, startDaemon } from "../helpers/daemon";
import { tempDir, writeScript } from "../helpers/tmp";
import { startPrivateBus } from "../helpers/dbus";
import { FakeNetworkManager } from "../helpers/fake-nm";
import { canNetns, createNetns, ip, ipJson } from "../helpers/netns";
import { waitFor } from "../helpers/proc";

/** netevd with backend NetworkManager on the bus at `busAddress`, scripts in `dir`, the veths' far ends left out. */
function startBesideNm(ns: string, dir: string, busAddress: string) {
  const config = join(dir, "netevd.yaml");
  writeFileSync(
    config,
    `system: { backend: NetworkManager, user: nobody }\nscripts: { dir: ${dir} }\nmonitoring: { exclude: ["nm*p"] }\n`,
  );
  return startDaemon(ns, config, { DBUS_SYSTEM_BUS_ADDRESS: busAddress });
}

describe.runIf(canNetns)("netevd run (backend NetworkManager, fake NetworkManager)", () => {
  it("runs activated.d/disconnected.d with the device's link, DNS from Ip4Config, DHCP_* from Dhcp4Config", async () => {
    const ns = createNetns();
    for (const n of ["0", "2"]) {
      ip(ns, "link", "add", `nm${n}`, "type", "veth", "peer", "name", `nm${n}p`);
      ip(ns, "link", "set", `nm${n}p`, "up");
      ip(ns, "link", "set", `nm${n}`, "up");
    }
    ip(ns, "addr", "add", "10.213.4.134/24", "dev", "nm0");
    const links = ipJson<{ ifindex: number; ifname: string }[]>(ns, "link", "show");
    const nm0 = links.find((l) => l.ifname === "nm0")!.ifindex;
    const nm2 = links.find((l) => l.ifname === "nm2")!.ifindex;
    const bus = await startPrivateBus();
    const nm = new FakeNetworkManager(bus.address);
    const dev0 = nm.add("nm0", 30, {
      ip4: { dns: ["10.213.4.1"], domains: ["peers.test"] },
      dhcp4: {
        ip_address: "10.213.4.134",
        routers: "10.213.4.1",
        domain_name_servers: "10.213.4.1",
        domain_name: "peers.test",
        host_name: "nm-host",
        dhcp_lease_time: "120",
        dhcp_server_identifier: "10.213.4.1",
      },
    });
    await nm.start();
    const dir = tempDir();
    recordingScripts(dir, ["activated", "disconnected", "manager", "prepare", "dhcp4-change"]);
    const d = startBesideNm(ns, dir, bus.address);
    try {
      expect(await waitFor(() => d.output().includes("ready: 1 link(s), 0 activated")), d.output()).toBe(
        true,
      );
      nm.setState(dev0, 40);
      nm.setState(dev0, 100);
      expect(await waitFor(() => recorded(dir, "activated", "nm0").length === 1), d.output()).toBe(true);
      expect(recorded(dir, "prepare", "nm0")).toHaveLength(1);
      const env = recorded(dir, "activated", "nm0")[0]!;
      expect(env).toMatchObject({
        LINK: "nm0",
        LINKINDEX: String(nm0),
        STATE: "activated",
        BACKEND: "NetworkManager",
        ADDRESSES: "10.213.4.134",
        DNS: "10.213.4.1",
        DOMAINS: "peers.test",
        DHCP_ADDRESS: "10.213.4.134",
        DHCP_GATEWAY: "10.213.4.1",
        DHCP_DNS: "10.213.4.1",
        DHCP_HOSTNAME: "nm-host",
      });
      expect(JSON.parse(env.JSON!)).toMatchObject({
        state: { administrative: "activated", operational: "routable" },
        dhcp: { lease_seconds: 120, server: "10.213.4.1" },
      });
      nm.setState(dev0, 30, 39);
      expect(await waitFor(() => recorded(dir, "disconnected", "nm0").length === 1)).toBe(true);

      // A device NM adds later, at a path that is not its ifindex.
      const dev2 = nm.add("nm2", 30);
      nm.announce(dev2);
      nm.setState(dev2, 100);
      expect(await waitFor(() => recorded(dir, "activated", "nm2").length === 1), d.output()).toBe(true);
      expect(recorded(dir, "activated", "nm2")[0]).toMatchObject({ LINKINDEX: String(nm2) });
      expect(dev2.path).not.toMatch(new RegExp(`/${nm2}$`));

      // A lease whose options arrive before the device names its configuration
      // still is the device's dhcp4-change, once; and in the usual order too.
      nm.lease(dev2, { ip_address: "10.213.6.2" }, true);
      expect(await waitFor(() => recorded(dir, "dhcp4-change", "nm2").length === 1), d.output()).toBe(true);
      nm.lease(dev0, { ip_address: "10.213.4.135" }, false);
      expect(await waitFor(() => recorded(dir, "dhcp4-change", "nm0").length === 1), d.output()).toBe(true);
      // Once: checked after nm2's next event, which runs after any second one would have.
      nm.setState(dev2, 40);
      expect(await waitFor(() => recorded(dir, "prepare", "nm2").length === 1), d.output()).toBe(true);
      expect(recorded(dir, "dhcp4-change", "nm2")).toHaveLength(1);

      nm.setManagerState(20);
      expect(await waitFor(() => recorded(dir, "manager", "").length === 1)).toBe(true);
      const manager = JSON.parse(recorded(dir, "manager", "")[0]!.JSON!) as {
        state: { operational: string };
      };
      expect(manager.state.operational).toBe("disconnected");

      // Removed: its later signals are not events.
      nm.remove(dev2);
      nm.setState(dev2, 30);
      // The manager's next event: signals are handled in order, so an event for nm2
      // would have been logged before it.
      nm.setManagerState(70);
      expect(await waitFor(() => recorded(dir, "manager", "").length === 2), d.output()).toBe(true);
      expect(d.output()).not.toMatch(/"msg":"event disconnected"[^\n]*"link":"nm2"/);
      expect(recorded(dir, "disconnected", "nm2")).toHaveLength(0);
      d.child.kill("SIGTERM");
      expect(await d.exit).toBe(0);
    } finally {
      d.child.kill("SIGKILL");
      nm.stop();
      bus.stop();
    }
  });

  it("gives a state the device's configuration of its moment, even when the link's queue reaches it later", async () => {
    const ns = createNetns();
    // No IPv6 link-local address comes later: no kernel event of nm0 asks NetworkManager meanwhile.
    execFileSync("ip", ["netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1"]);
    ip(ns, "link", "add", "nm0", "type", "veth", "peer", "name", "nm0p");
    ip(ns, "link", "set", "nm0p", "up");
    ip(ns, "link", "set", "nm0", "up");
    const bus = await startPrivateBus();
    const nm = new FakeNetworkManager(bus.address);
    const dev0 = nm.add("nm0", 30, { ip4: { dns: ["10.213.7.1"], domains: ["moment.test"] } });
    await nm.start();
    const dir = tempDir();
    recordingScripts(dir, ["activated"]);
    // prepare.d holds the link's queue until the test lets it go.
    writeScript(
      join(dir, "prepare.d"),
      "10-hold",
      `touch ${dir}/out/held; while [ ! -e ${dir}/release ]; do sleep 0.05; done`,
    );
    const d = startBesideNm(ns, dir, bus.address);
    try {
      expect(await waitFor(() => d.output().includes("ready: 1 link(s), 0 activated")), d.output()).toBe(
        true,
      );
      nm.setState(dev0, 40);
      expect(await waitFor(() => existsSync(join(dir, "out", "held"))), d.output()).toBe(true);
      const before = nm.asked.length;
      nm.setState(dev0, 100);
      // Read at the change: NetworkManager answered for its IPv4 configuration while prepare.d still runs.
      expect(
        await waitFor(() => nm.asked.slice(before).some((p) => p.includes("/IP4Config/"))),
        d.output(),
      ).toBe(true);
      // NetworkManager takes the configuration away (a reactivation) while activated still waits.
      delete dev0.ip4;
      writeFileSync(join(dir, "release"), "");
      expect(await waitFor(() => recorded(dir, "activated", "nm0").length === 1), d.output()).toBe(true);
      expect(recorded(dir, "activated", "nm0")[0]).toMatchObject({
        DNS: "10.213.7.1",
        DOMAINS: "moment.test",
      });
      d.child.kill("SIGTERM");
      expect(await d.exit).toBe(0);
    } finally {
      writeFileSync(join(dir, "release"), "");
      d.child.kill("SIGKILL");
      nm.stop();
      bus.stop();
    }
  });

  it("a device that changes while netevd reads it (NetworkManager appearing) gives the change's event", async () => {
    const ns = createNetns();
    ip(ns, "link", "add", "nm0", "type", "veth", "peer", "name", "nm0p");
    ip(ns, "link", "set", "nm0p", "up");
    ip(ns, "link", "set", "nm0", "up");
    const bus = await startPrivateBus();
    const nm = new FakeNetworkManager(bus.address);
    const dev0 = nm.add("nm0", 30);
    // The device activates just as netevd asks for it: the signal comes before the reply, which shows 100.
    nm.onAsk = (path) => {
      if (path !== dev0.path || dev0.state === 100) return;
      nm.setState(dev0, 100);
    };
    const dir = tempDir();
    recordingScripts(dir, ["activated"]);
    const d = startBesideNm(ns, dir, bus.address);
    try {
      await nm.start();
      expect(await waitFor(() => recorded(dir, "activated", "nm0").length === 1), d.output()).toBe(true);
      d.child.kill("SIGTERM");
      expect(await d.exit).toBe(0);
    } finally {
      d.child.kill("SIGKILL");
      nm.stop();
      bus.stop();
    }
  });

  it("reads NetworkManager when it appears after netevd, even before it has exported its objects", async () => {
    const ns = createNetns();
    ip(ns, "link", "add", "nm4", "type", "veth", "peer", "name", "nm4p");
    ip(ns, "link", "set", "nm4p", "up");
    ip(ns, "link", "set", "nm4", "up");
    const bus = await startPrivateBus();
    const dir = tempDir();
    recordingScripts(dir, ["activated", "hostname", "manager"]);
    const d = startBesideNm(ns, dir, bus.address);
    const nm = new FakeNetworkManager(bus.address);
    try {
      // The adapter itself found it absent (not only the backend check at start).
      expect(
        await waitFor(() => d.output().includes("NetworkManager is not running; waiting for it")),
        d.output(),
      ).toBe(true);
      // It takes its name first and answers "no such object" for a while.
      const dev = nm.add("nm4", 30);
      nm.exported = false;
      await nm.start();
      expect(await waitFor(() => nm.unexportedAnswers > 0), d.output()).toBe(true);
      nm.exported = true;
      expect(
        await waitFor(() => d.output().includes("NetworkManager is back: state re-read")),
        d.output(),
      ).toBe(true);
      nm.setState(dev, 100);
      expect(await waitFor(() => recorded(dir, "activated", "nm4").length === 1), d.output()).toBe(true);
      // Its start's hostname event, once: checked after the manager's next event.
      nm.setManagerState(20);
      expect(await waitFor(() => recorded(dir, "manager", "").length === 1), d.output()).toBe(true);
      expect(recorded(dir, "hostname", "")).toHaveLength(1);
    } finally {
      nm.stop();
      d.child.kill("SIGKILL");
    }
  }, 30_000);
});
