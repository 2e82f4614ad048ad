// Dumps captured from this kernel (scripts/capture-netlink-fixtures.mjs),
// decoded, equal what `ip -j` showed at the same moment.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { addressKey, routeKey, ruleKey } from "../../src/kernel/keys";
import { emptyTables } from "../../src/kernel/tables";
import { AF_INET, AF_INET6 } from "../../src/netlink/constants";
import { decodeRt } from "../../src/netlink/decode";
import { splitMessages } from "../../src/netlink/message";
import { fixtureDatagrams, NETLINK_FIXTURES } from "../helpers/fixtures";
import { type IpDump, ipSnapshot, tablesSnapshot } from "../helpers/kernel-compare";

const dir = NETLINK_FIXTURES;

describe("rtnetlink codec on captured kernel bytes", () => {
  it("decodes links, addresses, routes (tables > 255, IPv6, unreachable) and rules exactly as ip shows them", () => {
    const t = emptyTables();
    for (const name of ["links", "addresses", "routes", "rules"]) {
      for (const d of fixtureDatagrams(name)) {
        const { messages, error } = splitMessages(d);
        expect(error).toBeUndefined();
        for (const m of messages) {
          const rt = decodeRt(m);
          if (!rt) continue;
          if (rt.kind === "link") t.links.set(rt.link.index, rt.link);
          if (rt.kind === "address") t.addresses.set(addressKey(rt.address), rt.address);
          const fam = rt.kind === "route" ? rt.route.family : rt.kind === "rule" ? rt.rule.family : AF_INET;
          if (fam !== AF_INET && fam !== AF_INET6) continue;
          if (rt.kind === "route") t.routes.set(routeKey(rt.route), rt.route);
          if (rt.kind === "rule") t.rules.set(ruleKey(rt.rule), rt.rule);
        }
      }
    }
    const ip = JSON.parse(readFileSync(join(dir, "ip.json"), "utf8")) as IpDump;
    expect(tablesSnapshot(t)).toEqual(ipSnapshot(ip));
    const ve0 = [...t.links.values()].find((l) => l.name === "ve0");
    expect(ve0).toMatchObject({ kind: "veth", operstate: "up", carrier: true, up: true });
    expect([...t.links.values()].find((l) => l.name === "ve1")?.master).toBe(
      [...t.links.values()].find((l) => l.name === "br0")?.index,
    );
    expect([...t.addresses.values()].find((a) => a.address === "198.51.100.1")?.peer).toBe("198.51.100.2");
    expect([...t.routes.values()].find((r) => r.table === 70000)).toMatchObject({
      gateway: "192.0.2.1",
      protocol: 4,
      dst: null,
    });
    expect([...t.rules.values()].find((r) => r.priority === 1000)).toMatchObject({
      src: "192.0.2.10",
      table: 1000,
      protocol: 4,
    });
  });
});
