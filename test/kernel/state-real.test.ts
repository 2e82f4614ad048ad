// KernelState against the real kernel, in a fresh namespace per test: after
// every step the tables equal `ip -j link/addr/route/rule`.
import { describe, expect, it } from "vitest";
import type { KernelChange } from "../../src/kernel/tables";
import { KernelState } from "../../src/kernel/state";
import { realBinding } from "../../src/native/real";
import { AF_INET, AF_INET6 } from "../../src/netlink/constants";
import { expectInSync } from "../helpers/kernel-compare";
import { canNetns, createNetns, inNetns, ip } from "../helpers/netns";

async function started(ns: string) {
  const b = realBinding();
  const state = new KernelState(b);
  const changes: KernelChange[] = [];
  state.onChange((c) => changes.push(c));
  await inNetns(b, ns, () => state.start());
  return { state, changes };
}

describe.runIf(canNetns)("kernel state on a real kernel", () => {
  it("follows links, carrier, addresses, routes in tables > 255 and rules, step by step", async () => {
    const ns = createNetns();
    const { state, changes } = await started(ns);
    try {
      await expectInSync(state, ns);
      const steps: string[][] = [
        ["link", "add", "ve0", "type", "veth", "peer", "name", "ve1"],
        ["link", "add", "br0", "type", "bridge"],
        ["link", "set", "ve0", "up"],
        ["link", "set", "ve1", "up"],
        ["link", "set", "ve1", "down"], // carrier off on ve0
        ["link", "set", "ve1", "up"], // carrier back
        ["link", "set", "br0", "up"],
        ["link", "set", "ve1", "master", "br0"],
        ["link", "set", "ve0", "mtu", "1400"],
        ["addr", "add", "192.0.2.10/24", "dev", "ve0"],
        ["addr", "add", "198.51.100.7/25", "dev", "ve0"],
        ["-6", "addr", "add", "2001:db8:1::10/64", "dev", "ve0", "nodad"],
        ["route", "add", "203.0.113.0/24", "via", "192.0.2.1", "table", "1000"],
        ["route", "add", "default", "via", "192.0.2.1", "dev", "ve0", "table", "70000", "metric", "5"],
        ["-6", "route", "add", "2001:db8:9::/48", "via", "2001:db8:1::1", "table", "1000"],
        ["route", "replace", "203.0.113.0/24", "via", "192.0.2.2", "table", "1000"],
        ["rule", "add", "from", "192.0.2.10", "lookup", "1000", "priority", "1000"],
        ["rule", "add", "to", "192.0.2.10", "lookup", "1000", "priority", "1001"],
        ["-6", "rule", "add", "from", "2001:db8:1::10", "lookup", "70000", "priority", "1002"],
        ["rule", "del", "priority", "1001"],
        ["addr", "del", "198.51.100.7/25", "dev", "ve0"],
        ["link", "set", "ve0", "down"], // flushes its IPv4 routes, without route events
        ["link", "set", "ve0", "up"],
        ["route", "add", "203.0.113.0/24", "via", "192.0.2.1", "table", "1000"],
        ["link", "del", "ve0"], // takes ve1, addresses and routes with it
        ["link", "del", "br0"],
      ];
      for (const step of steps) {
        ip(ns, ...step);
        const t0 = Date.now();
        await expectInSync(state, ns);
        if (process.env.NETEVD_TRACE) console.log(step.join(" "), Date.now() - t0);
      }
      expect(changes.some((c) => c.kind === "link" && c.action === "add" && c.link.name === "ve0")).toBe(
        true,
      );
      expect(
        changes.some(
          (c) =>
            c.kind === "link" && c.action === "change" && c.link.name === "ve0" && c.link.carrier === false,
        ),
      ).toBe(true);
      expect(changes.some((c) => c.kind === "route" && c.action === "add" && c.route.table === 70000)).toBe(
        true,
      );
      expect(
        changes.some((c) => c.kind === "rule" && c.action === "remove" && c.rule.priority === 1001),
      ).toBe(true);
      expect(
        changes.some((c) => c.kind === "address" && c.action === "add" && c.address.family === AF_INET6),
      ).toBe(true);
    } finally {
      state.close();
    }
  });

  it("drops a link's IPv4 routes in every table with its last IPv4 address, as the kernel does unannounced", async () => {
    const ns = createNetns();
    ip(ns, "link", "add", "ve0", "type", "veth", "peer", "name", "ve1");
    ip(ns, "link", "set", "ve0", "up");
    ip(ns, "addr", "add", "192.0.2.10/24", "dev", "ve0");
    ip(ns, "route", "add", "192.0.2.0/24", "dev", "ve0", "table", "204");
    const { state } = await started(ns);
    try {
      await expectInSync(state, ns);
      const routesIn204 = () => [...state.tables.routes.values()].filter((r) => r.table === 204).length;
      expect(routesIn204()).toBe(1);
      let afterRemoval = -1;
      state.onChange((c) => {
        if (c.kind === "address" && c.action === "remove") setImmediate(() => (afterRemoval = routesIn204()));
      });
      ip(ns, "addr", "del", "192.0.2.10/24", "dev", "ve0");
      await expectInSync(state, ns);
      // Right after the address event, before any re-read: already gone from the tables.
      expect(afterRemoval).toBe(0);
    } finally {
      state.close();
    }
  });

  it("adds and deletes rules and routes, with EEXIST/ENOENT as codes", async () => {
    const ns = createNetns();
    ip(ns, "link", "add", "ve0", "type", "veth", "peer", "name", "ve1");
    ip(ns, "link", "set", "ve0", "up");
    ip(ns, "addr", "add", "192.0.2.10/24", "dev", "ve0");
    const { state } = await started(ns);
    try {
      const ve0 = [...state.links.values()].find((l) => l.name === "ve0")?.index as number;
      const route = {
        family: AF_INET,
        table: 1234,
        protocol: 233,
        scope: 0,
        type: 1,
        dst: null,
        dstLength: 0,
        gateway: "192.0.2.1",
        oif: ve0,
        priority: 0,
      };
      const rule = {
        family: AF_INET,
        table: 1234,
        priority: 500,
        src: "192.0.2.10",
        srcLength: 32,
        protocol: 233,
      };
      await state.addRoute(route);
      await state.addRule(rule);
      await expect(state.addRule(rule)).rejects.toMatchObject({ code: "EEXIST", errno: -17 });
      await expect(state.addRoute(route)).rejects.toMatchObject({ code: "EEXIST" });
      await expectInSync(state, ns);
      expect(ip(ns, "rule", "show", "priority", "500")).toContain("from 192.0.2.10 lookup 1234 proto 233");
      expect(ip(ns, "route", "show", "table", "1234")).toContain("default via 192.0.2.1 dev ve0 proto 233");
      await state.deleteRule(rule);
      await state.deleteRoute(route);
      await expect(state.deleteRule(rule)).rejects.toMatchObject({ code: "ENOENT" });
      await expect(state.deleteRoute(route)).rejects.toMatchObject({ code: "ESRCH" });
      await expectInSync(state, ns);
      const v6 = {
        family: AF_INET6,
        table: 1234,
        priority: 501,
        dst: "2001:db8::5",
        dstLength: 128,
        protocol: 233,
      };
      await state.addRule(v6);
      expect(ip(ns, "-6", "rule", "show", "priority", "501")).toContain(
        "to 2001:db8::5 lookup 1234 proto 233",
      );
      await expectInSync(state, ns);
    } finally {
      state.close();
    }
  });
});
