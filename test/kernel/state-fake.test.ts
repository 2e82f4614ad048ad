// KernelState against the fake kernel: initial sync, events, overruns,
// request errors, timeouts and close, deterministically.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { KernelState } from "../../src/kernel/state";
import type { KernelChange } from "../../src/kernel/tables";
import { FakeKernel } from "../doubles/fake-kernel";
import type { FakeNetlinkHandle } from "../doubles/fake-binding";
import type { Address } from "../../src/netlink/address";
import { AF_INET, RTM } from "../../src/netlink/constants";
import type { Link } from "../../src/netlink/link";
import type { Route } from "../../src/netlink/route";
import { captureLogs } from "../helpers/logs";
import { waitFor } from "../helpers/proc";

const link = (index: number, name: string, over: Partial<Link> = {}): Link => ({
  index,
  name,
  type: 1,
  flags: 0x11043,
  up: true,
  lowerUp: true,
  mtu: 1500,
  mac: "52:54:00:00:00:0" + index,
  operstate: "up",
  carrier: true,
  master: null,
  kind: "veth",
  ...over,
});
const addr = (index: number, address: string): Address => ({
  family: AF_INET,
  index,
  prefixLength: 24,
  scope: 0,
  flags: 0x80,
  address,
  peer: null,
  label: null,
});
/** An IPv4 /24 in the main table, link scope, unless told otherwise. */
const route = (over: Partial<Route>): Route => ({
  family: AF_INET,
  table: 254,
  protocol: 4,
  scope: 253,
  type: 1,
  tos: 0,
  flags: 0,
  dst: null,
  dstLength: 24,
  src: null,
  srcLength: 0,
  gateway: null,
  oif: null,
  priority: null,
  prefsrc: null,
  ...over,
});
const rule = { family: AF_INET, table: 1002, priority: 100, src: "192.0.2.10", srcLength: 32, protocol: 233 };
// Fake timers that still move with real time (waitFor polls on them): tick and
// settle move the clock at once, never waiting.
/** A turn of the loop: the fake kernel delivers on setImmediate. */
const turns = async () => {
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
};
const tick = async () => {
  await vi.advanceTimersByTimeAsync(5);
  await turns();
};
/** Past the 20 ms the re-read of a link's routes waits for more changes to coalesce. */
const settle = async () => {
  await vi.advanceTimersByTimeAsync(60);
  // The re-read's reply comes on a later turn of the loop.
  await turns();
};

async function setup() {
  const kernel = new FakeKernel();
  kernel.setLink(link(1, "lo", { kind: null }));
  kernel.setLink(link(2, "eth0"));
  kernel.changeAddress("new", addr(2, "192.0.2.10"));
  const state = new KernelState(kernel.binding, { requestTimeoutMs: 200 });
  const changes: KernelChange[] = [];
  state.onChange((c) => changes.push(c));
  await state.start();
  const events = kernel.binding.sockets[0] as FakeNetlinkHandle;
  return { kernel, state, changes, events };
}

describe("kernel state (fake kernel)", () => {
  const logs = captureLogs();
  beforeEach(() =>
    vi.useFakeTimers({
      shouldAdvanceTime: true,
      toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval"],
    }),
  );
  afterEach(() => vi.useRealTimers());

  it("joins the groups before dumping, and the dump goes through the event path", async () => {
    const { kernel, state, changes, events } = await setup();
    expect([...events.groups].sort((a, b) => a - b)).toEqual([1, 5, 7, 8, 9, 11, 19]);
    expect(kernel.requests.slice(0, 4)).toEqual([RTM.GETLINK, RTM.GETADDR, RTM.GETROUTE, RTM.GETRULE]);
    expect(changes.map((c) => `${c.kind}:${c.action}`)).toEqual(["link:add", "link:add", "address:add"]);
    expect(state.links.get(2)?.name).toBe("eth0");
    state.close();
  });

  it("applies events as typed changes", async () => {
    const { kernel, state, changes } = await setup();
    changes.length = 0;
    kernel.setLink(link(2, "eth0", { carrier: false, operstate: "lowerlayerdown" }));
    kernel.changeAddress("new", addr(2, "192.0.2.11"));
    kernel.changeAddress("del", addr(2, "192.0.2.10"));
    await tick();
    expect(changes).toMatchObject([
      { kind: "link", action: "change", link: { carrier: false }, previous: { carrier: true } },
      { kind: "address", action: "add", address: { address: "192.0.2.11" } },
      { kind: "address", action: "remove", address: { address: "192.0.2.10" } },
    ]);
    state.close();
  });

  it("on ENOBUFS re-dumps, emits exactly the missed changes and counts the re-sync", async () => {
    const { kernel, state, changes, events } = await setup();
    changes.length = 0;
    kernel.overrun(events, () => {
      // Lost while the queue was full: a new link, an address gone.
      kernel.tables.links.set(3, link(3, "eth1"));
      kernel.tables.addresses.clear();
    });
    await tick();
    await tick();
    expect(changes.map((c) => `${c.kind}:${c.action}`).sort()).toEqual(["address:remove", "link:add"]);
    expect(state.stats.resyncs).toBe(1);
    expect(state.netlinkStats.overruns).toBe(1);
    expect(state.addresses.size).toBe(0);
    expect(logs.some((l) => l.msg.includes("ENOBUFS"))).toBe(true);
    state.close();
  });

  it("a re-sync's many missed changes go out in slices with the loop in between, before any change read later", async () => {
    // Real timers: the probe below is a real turn of the loop.
    vi.useRealTimers();
    const { kernel, state, changes, events } = await setup();
    changes.length = 0;
    kernel.overrun(events, () => {
      for (let i = 0; i < 1200; i++)
        kernel.tables.routes.set(`r${i}`, route({ oif: 2, dst: `10.${i >> 8}.${i & 255}.0` }));
    });
    // A turn of the loop while the backlog goes out: it must see part of it delivered.
    let seenMidway = -1;
    const probe = setInterval(() => {
      if (seenMidway < 0 && changes.length > 0) seenMidway = changes.length;
    }, 0);
    expect(await waitFor(() => changes.length > 0, 2000)).toBe(true);
    // A change the kernel announces now comes after every missed one.
    kernel.setLink(link(3, "eth1"));
    expect(await waitFor(() => changes.length === 1201, 5000), `${changes.length} changes`).toBe(true);
    clearInterval(probe);
    expect(seenMidway).toBeGreaterThan(0);
    expect(seenMidway).toBeLessThan(1200);
    expect(changes.slice(0, 1200).every((c) => c.kind === "route" && c.action === "add")).toBe(true);
    expect(changes[1200]).toMatchObject({ kind: "link", action: "add" });
    state.close();
  });

  it("a link taken down re-reads only its own routes: unannounced flushes are caught, nothing else is dumped", async () => {
    const { kernel, state, changes } = await setup();
    kernel.setLink(link(3, "eth1"));
    kernel.changeRoute("new", route({ oif: 2, dst: "192.0.2.0" }));
    kernel.changeRoute("new", route({ oif: 3, dst: "198.51.100.0" }));
    await tick();
    changes.length = 0;
    const before = kernel.requests.length;
    // Down, with its routes flushed the way IPv4 does it: without route events.
    kernel.tables.routes.delete([...kernel.tables.routes.keys()].find((k) => k.includes("192.0.2.0"))!);
    kernel.setLink(link(2, "eth0", { up: false, flags: 0x1002 }));
    await settle();
    expect(changes.map((c) => `${c.kind}:${c.action}`)).toEqual(["link:change", "route:remove"]);
    expect(kernel.requests.slice(before)).toEqual([RTM.GETROUTE]);
    expect(state.stats).toMatchObject({ resyncs: 0, routeRereads: 1 });
    expect([...state.routes.values()].map((r) => r.dst)).toEqual(["198.51.100.0"]);
    // Deleted: its routes go at once, and nothing is re-read.
    kernel.removeLink(3);
    await settle();
    expect(state.routes.size).toBe(0);
    expect(kernel.requests.slice(before)).toEqual([RTM.GETROUTE]);
    state.close();
  });

  it("an IPv4 address removed while another stays re-reads nothing; main-table routes it was the source of go, as the kernel flushes them", async () => {
    const { kernel, state, changes } = await setup();
    kernel.changeAddress("new", addr(2, "192.0.2.11"));
    const via = (dst: string, table: number, prefsrc: string) =>
      route({ oif: 2, dst, table, prefsrc, scope: 0 });
    kernel.changeRoute("new", via("198.51.100.0", 254, "192.0.2.11"));
    kernel.changeRoute("new", via("203.0.113.0", 254, "192.0.2.10"));
    kernel.changeRoute("new", via("198.51.100.0", 100, "192.0.2.11"));
    await tick();
    changes.length = 0;
    const before = kernel.requests.length;
    // As a kernel before 6.7 does it: the address goes, its source routes go unannounced.
    kernel.tables.routes.delete(
      [...kernel.tables.routes.keys()].find((k) => k.startsWith("2|254|198.51.100.0"))!,
    );
    kernel.changeAddress("del", addr(2, "192.0.2.11"));
    await settle();
    expect(changes.map((c) => `${c.kind}:${c.action}`)).toEqual(["address:remove", "route:remove"]);
    expect(kernel.requests.slice(before)).toEqual([]);
    expect(state.stats).toMatchObject({ resyncs: 0, routeRereads: 0 });
    expect([...state.routes.values()].map((r) => `${r.table} ${r.dst}`).sort()).toEqual([
      "100 198.51.100.0",
      "254 203.0.113.0",
    ]);
    state.close();
  });

  it("logs and drops malformed and truncated input without leaving the loop", async () => {
    const { state, events, kernel, changes } = await setup();
    changes.length = 0;
    events.deliver([Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18])]);
    events.deliver([Buffer.alloc(64, 0xff)], [0]);
    kernel.setLink(link(4, "eth2"));
    await tick();
    await tick();
    expect(state.netlinkStats.parseErrors).toBeGreaterThan(0);
    expect(state.netlinkStats.truncated).toBe(1);
    expect(state.links.get(4)?.name).toBe("eth2");
    state.close();
  });

  it("surfaces EEXIST and ENOENT as codes, times out lost replies and rejects pending requests on close", async () => {
    const { state, kernel } = await setup();
    await state.addRule(rule);
    await expect(state.addRule(rule)).rejects.toMatchObject({ code: "EEXIST" });
    await state.deleteRule(rule);
    await expect(state.deleteRule(rule)).rejects.toMatchObject({ code: "ENOENT" });
    // A reply that never comes: the fake stops answering.
    const requests = kernel.binding.sockets[1] as FakeNetlinkHandle;
    requests.send = (m: Buffer) => m.length;
    await expect(state.addRule({ ...rule, priority: 101 })).rejects.toMatchObject({ code: "ETIMEDOUT" });
    const pending = state.addRule({ ...rule, priority: 102 });
    state.close();
    await expect(pending).rejects.toMatchObject({ code: "ECANCELED" });
  });

  it("sends identical concurrent requests once", async () => {
    const { state, kernel } = await setup();
    const before = kernel.requests.length;
    await Promise.all([state.addRule(rule), state.addRule(rule), state.addRule(rule)]);
    expect(kernel.requests.length - before).toBe(1);
    state.close();
  });
});
