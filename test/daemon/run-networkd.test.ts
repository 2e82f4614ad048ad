// `netevd run` with the systemd-networkd backend against a fake network1 on a
// private bus: values from PropertiesChanged become events and scripts with the
// exact environment; duplicates are not re-run; networkd restarting is survived.
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { recorded, recordingScripts, startDaemon } from "../helpers/daemon";
import { type FakeLink, FakeNetworkd, startPrivateBus } from "../helpers/dbus";
import { canNetns, createNetns, ifindexOf, ip, veth } from "../helpers/netns";
import { httpGet } from "../helpers/http";
import { waitFor } from "../helpers/proc";
import { tempDir } from "../helpers/tmp";

/** A namespace with ve0 (192.0.2.7/24), a private bus and a fake networkd that knows ve0. */
async function withFakeNetworkd(link: Omit<FakeLink, "ifindex" | "name">) {
  const ns = createNetns();
  veth(ns, "ve0", "ve1");
  ip(ns, "addr", "add", "192.0.2.7/24", "dev", "ve0");
  const ve0 = ifindexOf(ns, "ve0");
  const bus = await startPrivateBus();
  const networkd = new FakeNetworkd(bus.address);
  networkd.links.set(ve0, { ifindex: ve0, name: "ve0", ...link });
  await networkd.start();
  return { ns, ve0, bus, networkd };
}

describe.runIf(canNetns)("netevd run (backend systemd-networkd, fake networkd)", () => {
  it("runs the scripts of each new OperationalState and AdministrativeState, with DNS from DescribeLink", async () => {
    const { ns, ve0, bus, networkd } = await withFakeNetworkd({
      props: {
        OperationalState: "no-carrier",
        AdministrativeState: "configuring",
        CarrierState: "no-carrier",
        AddressState: "off",
        OnlineState: "offline",
      },
      describe: {
        DNS: [{ Family: 2, AddressString: "192.0.2.53" }],
        SearchDomains: [{ Domain: "lab.example" }],
      },
    });
    const dir = tempDir();
    recordingScripts(dir, ["carrier", "routable", "configured", "manager", "degraded"]);
    const config = join(dir, "netevd.yaml");
    const run = join(dir, "run");
    mkdirSync(run, { mode: 0o777 });
    chmodSync(run, 0o777);
    writeFileSync(
      config,
      `system: { backend: systemd-networkd, user: nobody }\nscripts: { dir: ${dir} }\napi: { socket: ${run}/api.sock }\n`,
    );
    const d = startDaemon(ns, config, { DBUS_SYSTEM_BUS_ADDRESS: bus.address });
    const dbusErrors = async () =>
      Number(
        /^netevd_dbus_errors_total\{peer="systemd-networkd"\} (\d+)$/m.exec(
          (await httpGet({ socketPath: `${run}/api.sock` }, "/metrics")).text,
        )?.[1] ?? 0,
      );
    try {
      expect(await waitFor(() => d.output().includes("ready: 1 link(s)")), d.output()).toBe(true);
      expect(await dbusErrors()).toBe(0);
      networkd.change(ve0, { OperationalState: "carrier", CarrierState: "carrier" });
      expect(await waitFor(() => recorded(dir, "carrier", "ve0").length === 1)).toBe(true);
      networkd.change(ve0, { AdministrativeState: "configured" });
      networkd.change(ve0, { OperationalState: "routable", AddressState: "routable", OnlineState: "online" });
      expect(
        await waitFor(
          () =>
            recorded(dir, "configured", "ve0").length === 1 && recorded(dir, "routable", "ve0").length === 1,
        ),
      ).toBe(true);
      const routable = recorded(dir, "routable", "ve0")[0] as Record<string, string>;
      expect(routable).toMatchObject({
        LINK: "ve0",
        LINKINDEX: String(ve0),
        STATE: "routable",
        BACKEND: "systemd-networkd",
        ADDRESSES: "192.0.2.7",
        DNS: "192.0.2.53",
        DOMAINS: "lab.example",
        CAPEFF: "CapEff:\t0000000000000000",
      });
      expect(JSON.parse(routable.JSON as string)).toMatchObject({
        schema: "netevd.event.v1",
        state: {
          operational: "routable",
          administrative: "configured",
          carrier: "carrier",
          address: "routable",
          online: "online",
        },
        dns: ["192.0.2.53"],
      });
      // The same value again is no event.
      networkd.change(ve0, { OperationalState: "routable" });
      networkd.changeManager({ OperationalState: "degraded" });
      expect(await waitFor(() => recorded(dir, "manager", "").length === 1)).toBe(true);
      expect(recorded(dir, "manager", "")[0]).toMatchObject({ STATE: "manager", LINKINDEX: "0" });
      expect(recorded(dir, "routable", "ve0")).toHaveLength(1);

      // networkd restarts: the daemon re-reads its links and the next change still runs scripts.
      networkd.stop();
      expect(await waitFor(() => d.output().includes("systemd-networkd left the bus"))).toBe(true);
      expect(await dbusErrors()).toBe(1);
      networkd.links.get(ve0)!.props.OperationalState = "routable";
      await networkd.start();
      expect(await waitFor(() => networkd.calls.includes("ListLinks"), 5000)).toBe(true);
      networkd.change(ve0, { OperationalState: "degraded" });
      expect(await waitFor(() => recorded(dir, "degraded", "ve0").length === 1)).toBe(true);
      d.child.kill("SIGTERM");
      expect(await d.exit).toBe(0);
    } finally {
      d.child.kill("SIGKILL");
      networkd.stop();
      bus.stop();
    }
  });
  it("lets a change signalled right after networkd's answer to its re-read win over the answer", async () => {
    const { ns, ve0, bus, networkd } = await withFakeNetworkd({
      props: { OperationalState: "routable", AdministrativeState: "configured" },
    });
    const dir = tempDir();
    recordingScripts(dir, ["routable", "degraded", "carrier"]);
    const config = join(dir, "netevd.yaml");
    writeFileSync(config, `system: { backend: systemd-networkd, user: nobody }\nscripts: { dir: ${dir} }\n`);
    const d = startDaemon(ns, config, { DBUS_SYSTEM_BUS_ADDRESS: bus.address });
    try {
      expect(await waitFor(() => d.output().includes("ready: 1 link(s)")), d.output()).toBe(true);
      // networkd restarts; the link degrades the moment networkd has answered netevd's
      // re-read with "routable": dbus-next may hand netevd the signal before the answer.
      networkd.stop();
      expect(await waitFor(() => d.output().includes("systemd-networkd left the bus"))).toBe(true);
      networkd.afterLinkGetAll = (ifindex) => {
        networkd.afterLinkGetAll = undefined;
        networkd.change(ifindex, { OperationalState: "degraded" });
      };
      await networkd.start();
      expect(await waitFor(() => recorded(dir, "degraded", "ve0").length === 1), d.output()).toBe(true);
      networkd.change(ve0, { OperationalState: "carrier" });
      expect(await waitFor(() => recorded(dir, "carrier", "ve0").length === 1), d.output()).toBe(true);
      // A link's events run in order: the answer's stale routable would have run before carrier.
      expect(recorded(dir, "routable", "ve0"), d.output()).toHaveLength(0);
      d.child.kill("SIGTERM");
      expect(await d.exit).toBe(0);
    } finally {
      d.child.kill("SIGKILL");
      networkd.stop();
      bus.stop();
    }
  });
  it("re-runs routable when a routable link gets a new address, and survives the bus restarting", async () => {
    const { ns, ve0, bus, networkd } = await withFakeNetworkd({
      props: { OperationalState: "carrier", AdministrativeState: "configuring" },
    });
    const dir = tempDir();
    recordingScripts(dir, ["routable", "degraded"]);
    const config = join(dir, "netevd.yaml");
    writeFileSync(config, `system: { backend: systemd-networkd, user: nobody }\nscripts: { dir: ${dir} }\n`);
    const d = startDaemon(ns, config, { DBUS_SYSTEM_BUS_ADDRESS: bus.address });
    try {
      expect(await waitFor(() => d.output().includes("ready: 1 link(s)")), d.output()).toBe(true);
      networkd.change(ve0, { OperationalState: "routable" });
      expect(await waitFor(() => recorded(dir, "routable", "ve0").length === 1)).toBe(true);
      // A new global address on the routable link is a real change: routable again, with it.
      ip(ns, "addr", "add", "198.51.100.9/24", "dev", "ve0");
      expect(await waitFor(() => recorded(dir, "routable", "ve0").length === 2), d.output()).toBe(true);
      expect(
        recorded(dir, "routable", "ve0")
          .map((e) => e.ADDRESSES)
          .sort(),
      ).toEqual(["192.0.2.7", "192.0.2.7 198.51.100.9"]);
      // The same state with the same facts is not re-run (checked below, after the link's later degraded).
      networkd.change(ve0, { OperationalState: "routable" });

      // The bus itself restarts (networkd, like every real daemon, must then reconnect).
      await bus.restart();
      expect(await waitFor(() => d.output().includes("lost the system bus"), 5000), d.output()).toBe(true);
      networkd.stop();
      networkd.links.get(ve0)!.props.OperationalState = "routable";
      await networkd.start();
      expect(
        await waitFor(() => networkd.calls.filter((c) => c === "ListLinks").length >= 2, 10_000),
        d.output(),
      ).toBe(true);
      networkd.change(ve0, { OperationalState: "degraded" });
      expect(await waitFor(() => recorded(dir, "degraded", "ve0").length === 1, 5000), d.output()).toBe(true);
      // The link's events run in order: a re-run of routable would have run before this degraded.
      expect(recorded(dir, "routable", "ve0"), d.output()).toHaveLength(2);
      expect(d.output().match(/lost the system bus/g)).toHaveLength(1);
      d.child.kill("SIGTERM");
      expect(await d.exit).toBe(0);
    } finally {
      d.child.kill("SIGKILL");
      networkd.stop();
      bus.stop();
    }
  });
});
