// The desired policy, computed from tables alone: tables refused by rule,
// prefixes computed exactly, gateways per family, and nothing for links that
// do not match or have no global address.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { emptyTables } from "../../src/kernel/tables";
import { addressKey, routeKey } from "../../src/kernel/keys";
import type { Address } from "../../src/netlink/address";
import { AF_INET, AF_INET6, RT_SCOPE, RT_TABLE, RTN } from "../../src/netlink/constants";
import type { Link } from "../../src/netlink/link";
import type { Route } from "../../src/netlink/route";
import { desiredPolicy, networkOf, tableProblem } from "../../src/routing/desired";
import { PolicyReconciler } from "../../src/routing/reconciler";
import type { KernelState } from "../../src/kernel/state";
import { getLogger } from "../../src/log/logger";

const makeLink = (index: number, name: string): Link => ({
  index,
  name,
  type: 1,
  flags: 0,
  up: true,
  lowerUp: true,
  mtu: 1500,
  mac: null,
  operstate: "up",
  carrier: true,
  master: null,
  kind: "veth",
});
const addr = (index: number, family: number, address: string, prefixLength: number, scope = 0): Address => ({
  index,
  family,
  address,
  prefixLength,
  scope,
  flags: 0,
  peer: null,
  label: null,
});
const defaultVia = (oif: number, family: number, gateway: string): Route => ({
  family,
  table: RT_TABLE.MAIN,
  protocol: 4,
  scope: 0,
  type: RTN.UNICAST,
  tos: 0,
  flags: 0,
  dst: null,
  dstLength: 0,
  src: null,
  srcLength: 0,
  gateway,
  oif,
  priority: 100,
  prefsrc: null,
});

describe("desired policy", () => {
  it("refuses tables 253-255 and above 2^32-1, naming table_base", () => {
    expect(tableProblem(250, 4)).toMatch(/table 254 \(table_base 250 \+ ifindex 4\) is reserved/);
    expect(tableProblem(251, 2)).toMatch(/253/);
    expect(tableProblem(252, 3)).toMatch(/255/);
    expect(tableProblem(4_294_967_295, 1)).toMatch(/above/);
    expect(tableProblem(200, 3)).toBeUndefined();
  });

  it("computes network addresses exactly for any prefix length", () => {
    expect(networkOf("10.50.0.13", 24)).toBe("10.50.0.0");
    expect(networkOf("10.50.7.13", 20)).toBe("10.50.0.0");
    expect(networkOf("2001:db8:50::12", 64)).toBe("2001:db8:50::");
    expect(networkOf("2001:db8:50:1234::1", 56)).toBe("2001:db8:50:1200::");
    fc.assert(
      fc.property(fc.ipV4(), fc.integer({ min: 0, max: 32 }), (ip, len) => {
        const n = networkOf(ip, len);
        expect(networkOf(n, len)).toBe(n);
        expect(networkOf(ip, 32)).toBe(ip);
      }),
    );
  });

  it("gives matching links rules per global address, prefixes and a default per family", () => {
    const t = emptyTables();
    const links = [makeLink(3, "eth1"), makeLink(4, "eth2"), makeLink(5, "wlan0")];
    for (const a of [
      addr(3, AF_INET, "10.0.0.5", 24),
      addr(3, AF_INET6, "2001:db8::5", 64),
      addr(3, AF_INET6, "fe80::5", 64, RT_SCOPE.LINK),
      addr(4, AF_INET, "10.0.1.5", 32),
      addr(5, AF_INET, "10.0.2.5", 24),
    ])
      t.addresses.set(addressKey(a), a);
    for (const r of [defaultVia(3, AF_INET, "10.0.0.1"), defaultVia(3, AF_INET6, "fe80::1")])
      t.routes.set(routeKey(r), r);
    const d = desiredPolicy(t, links, {
      matches: (n) => n.startsWith("eth"),
      tableBase: 200,
      ipv6: true,
      fromPriority: 10000,
      toPriority: 10001,
    });
    expect(d.refused).toEqual([]);
    expect(d.rules.map((r) => `${r.priority} ${r.src ?? r.dst} ${r.table}`).sort()).toEqual(
      [
        "10000 10.0.0.5 203",
        "10001 10.0.0.5 203",
        "10000 2001:db8::5 203",
        "10001 2001:db8::5 203",
        "10000 10.0.1.5 204",
        "10001 10.0.1.5 204",
      ].sort(),
    );
    expect(
      d.routes.map((r) => `${r.dst ?? "default"}/${r.dstLength} ${r.gateway ?? "-"} ${r.table}`).sort(),
    ).toEqual(
      ["10.0.0.0/24 - 203", "2001:db8::/64 - 203", "default/0 10.0.0.1 203", "default/0 fe80::1 203"].sort(),
    );
    const v4only = desiredPolicy(t, links, {
      matches: (n) => n === "eth1",
      tableBase: 200,
      ipv6: false,
      fromPriority: 1,
      toPriority: 2,
    });
    expect(v4only.rules.every((r) => r.family === AF_INET)).toBe(true);
    expect(v4only.routes.every((r) => r.family === AF_INET)).toBe(true);
  });
});

describe("which kernel changes start a reconcile pass", () => {
  const route = (protocol: number, table: number, dstLength: number) =>
    ({
      kind: "route",
      action: "add",
      route: { ...defaultVia(3, AF_INET, "10.0.0.1"), protocol, table, dstLength },
    }) as const;
  const link = { kind: "link", action: "add", link: makeLink(3, "eth1") } as const;
  it("only netevd's own entries without policy links; also links, addresses and gateways with them", () => {
    const r = new PolicyReconciler({ kernel: {} as KernelState, log: getLogger("test"), dryRun: true });
    expect([r.affectedBy(route(177, 203, 24)), r.affectedBy(route(4, 254, 0)), r.affectedBy(link)]).toEqual([
      true,
      false,
      false,
    ]);
    r.update({ matches: () => true, tableBase: 200, ipv6: true, fromPriority: 1, toPriority: 2 });
    expect([
      r.affectedBy(route(4, 254, 0)),
      r.affectedBy(route(4, 254, 24)),
      r.affectedBy(route(4, 1000, 0)),
    ]).toEqual([true, false, false]);
    expect(r.affectedBy(link)).toBe(true);
  });
});
