// The VPN connections' rules, with NetworkManager's objects as a table
// (the real NetworkManager with its OpenVPN plugin: test/peers/nm-vpn.test.ts):
// which link the event belongs to, what the VPN's own configuration is, the
// order of a quick up and down, and VPNs up before netevd started.
import { describe, expect, it } from "vitest";
import type { NmView } from "../../../src/events/event";
import { getLogger } from "../../../src/log/logger";
import { VpnConnections } from "../../../src/backends/networkmanager/vpn";

const NM = "org.freedesktop.NetworkManager";
const v = (value: unknown) => ({ value });
const AC = "/org/freedesktop/NetworkManager/ActiveConnection/3";
const ETH0 = { path: "/org/freedesktop/NetworkManager/Devices/7", name: "eth0", ifindex: 2 };

/** NetworkManager's objects for a VPN on eth0 whose address is 10.8.0.2 (peer 10.8.0.1). */
function objects(vpnState = 5): Record<string, Record<string, { value: unknown }>> {
  return {
    [`${AC} ${NM}.Connection.Active`]: {
      Id: v("office"),
      Uuid: v("u-3"),
      Connection: v("/org/freedesktop/NetworkManager/Settings/3"),
      Devices: v([ETH0.path]),
      Ip4Config: v("/org/freedesktop/NetworkManager/IP4Config/9"),
      Ip6Config: v("/org/freedesktop/NetworkManager/IP6Config/9"),
      Vpn: v(true),
    },
    [`${AC} ${NM}.VPN.Connection`]: { VpnState: v(vpnState) },
    [`/org/freedesktop/NetworkManager/Settings/3 ${NM}.Settings.Connection`]: {
      Filename: v("/etc/NetworkManager/system-connections/office.nmconnection"),
    },
    [`/org/freedesktop/NetworkManager/IP4Config/9 ${NM}.IP4Config`]: {
      AddressData: v([{ address: v("10.8.0.2"), prefix: v(32), peer: v("10.8.0.1") }]),
      RouteData: v([
        // Added for any such address (the peer's route): not the VPN's.
        { dest: v("10.8.0.1"), prefix: v(32), metric: v(50) },
        // Pushed by the VPN.
        { dest: v("10.9.0.0"), prefix: v(16), "next-hop": v("10.8.0.1"), metric: v(50) },
      ]),
      NameserverData: v([{ address: v("10.8.0.1") }]),
    },
    [`/org/freedesktop/NetworkManager/IP6Config/9 ${NM}.IP6Config`]: {
      AddressData: v([{ address: v("fe80::1"), prefix: v(64) }]),
      RouteData: v([{ dest: v("fe80::"), prefix: v(64), metric: v(256) }]),
      NameserverData: v([]),
    },
    [`${ETH0.path} ${NM}.Device`]: {
      Interface: v("eth0"),
      IpInterface: v("eth0"),
      State: v(100),
      Ip4Config: v("/"),
      Ip6Config: v("/"),
      Dhcp4Config: v("/"),
      Dhcp6Config: v("/"),
      ActiveConnection: v("/"),
    },
  };
}

function setup(holders: Record<string, { index: number; name: string }>, table = objects()) {
  const sent: { ifindex: number; event: string; view: NmView }[] = [];
  // A test may hold an answer back: a reading still on its way while signals come.
  let gate: Promise<void> | undefined;
  let holdAt = 0;
  let open = () => {};
  let asked = 0;
  const vpns = new VpnConnections({
    getAll: async (path, iface) => {
      asked++;
      if (gate && asked === holdAt) await gate;
      const props = table[`${path} ${iface}`];
      if (!props) throw new Error(`no object ${path} ${iface}`);
      return props;
    },
    log: getLogger("test"),
    device: (path) => (path === ETH0.path ? ETH0 : undefined),
    holder: (address) => holders[address],
    send: (ifindex, event, view) => sent.push({ ifindex, event, view }),
  });
  return {
    vpns,
    sent,
    /** Holds the answer to the nth question (1: the first). */
    holdAnswer: (n: number) => {
      holdAt = n;
      gate = new Promise<void>((r) => (open = r));
    },
    /** Waits until the held question is asked, then answers it. */
    release: async () => {
      await until(() => asked >= holdAt);
      open();
    },
    /** Waits until the held question is asked. */
    asked: () => until(() => asked >= holdAt),
    open: () => open(),
  };
}

const until = (done: () => boolean) =>
  new Promise<void>((resolve) => {
    const poll = () => (done() ? resolve() : setImmediate(poll));
    poll();
  });

const settled = (sent: unknown[], n: number) => until(() => sent.length >= n);

describe("NetworkManager's VPN connections", () => {
  it("a tunnel: vpn-up for its interface with the VPN's own configuration, vpn-down without it", async () => {
    const t = setup({ "10.8.0.2": { index: 9, name: "tun0" } });
    t.vpns.stateChanged(AC, 3);
    t.vpns.stateChanged(AC, 5);
    await settled(t.sent, 1);
    const up = t.sent[0]!;
    expect(up).toMatchObject({ ifindex: 9, event: "vpn-up" });
    expect(up.view.connection).toMatchObject({ id: "office", uuid: "u-3" });
    expect(up.view.iface).toBe("eth0");
    expect(up.view.vpn).toEqual({
      ipIface: "tun0",
      ip4: {
        addresses: [{ address: "10.8.0.2", prefix: 32, peer: "10.8.0.1" }],
        gateway: "",
        routes: [{ dest: "10.9.0.0", prefix: 16, nextHop: "10.8.0.1", metric: 50 }],
        nameservers: ["10.8.0.1"],
        domains: [],
      },
      ip6: { addresses: [], gateway: "", routes: [], nameservers: [], domains: [] },
    });
    t.vpns.stateChanged(AC, 7);
    await settled(t.sent, 2);
    expect(t.sent[1]).toMatchObject({ ifindex: 9, event: "vpn-down" });
    expect(t.sent[1]!.view.vpn).toEqual({ ipIface: "tun0", ip4: null, ip6: null });
    expect(t.sent[1]!.view.connection).toEqual(up.view.connection);
  });

  it("a VPN without its own interface (its address on the parent device): the parent's event, no VPN_IP_IFACE", async () => {
    const t = setup({ "10.8.0.2": { index: ETH0.ifindex, name: "eth0" } });
    t.vpns.stateChanged(AC, 5);
    await settled(t.sent, 1);
    expect(t.sent[0]).toMatchObject({ ifindex: ETH0.ifindex, event: "vpn-up" });
    expect(t.sent[0]!.view.vpn?.ipIface).toBeNull();
  });

  it("a down signalled while the up is read runs after it; a second down, or one never up, runs nothing", async () => {
    const t = setup({ "10.8.0.2": { index: 9, name: "tun0" } });
    t.vpns.stateChanged("/org/freedesktop/NetworkManager/ActiveConnection/1", 7);
    t.holdAnswer(1);
    t.vpns.stateChanged(AC, 5);
    t.vpns.stateChanged(AC, 6);
    t.vpns.stateChanged(AC, 7);
    await t.release();
    await settled(t.sent, 2);
    // The next event of the same VPN shows the queue is through.
    t.vpns.stateChanged(AC, 5);
    await settled(t.sent, 3);
    expect(t.sent.map((s) => s.event)).toEqual(["vpn-up", "vpn-down", "vpn-up"]);
  });

  it("a VPN up when netevd starts runs no vpn-up, and its vpn-down runs", async () => {
    const t = setup({ "10.8.0.2": { index: 9, name: "tun0" } });
    await t.vpns.enumerate([AC, "/org/freedesktop/NetworkManager/ActiveConnection/gone"]);
    expect(t.sent).toEqual([]);
    t.vpns.stateChanged(AC, 7);
    await settled(t.sent, 1);
    expect(t.sent.map((s) => [s.ifindex, s.event])).toEqual([[9, "vpn-down"]]);
  });

  it("a VPN still connecting at the start is not taken for up", async () => {
    const t = setup({ "10.8.0.2": { index: 9, name: "tun0" } }, objects(3));
    await t.vpns.enumerate([AC]);
    t.vpns.stateChanged(AC, 7);
    t.vpns.stateChanged(AC, 5);
    await settled(t.sent, 1);
    expect(t.sent.map((s) => s.event)).toEqual(["vpn-up"]);
  });

  it("a VPN up at the start and signalled down while netevd reads it runs its vpn-down", async () => {
    const t = setup({ "10.8.0.2": { index: 9, name: "tun0" } });
    // The third question is the start's reading of the VPN itself (after its Vpn flag and state).
    t.holdAnswer(3);
    const enumerated = t.vpns.enumerate([AC]);
    await t.asked();
    t.vpns.stateChanged(AC, 7);
    t.open();
    await enumerated;
    await settled(t.sent, 1);
    expect(t.sent.map((s) => [s.ifindex, s.event])).toEqual([[9, "vpn-down"]]);
  });
});
