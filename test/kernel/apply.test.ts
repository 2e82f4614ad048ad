// The pure table update (src/kernel/apply.ts) on messages the kernel sent
// (captured dumps): the tables end equal to what `ip -j` showed, every entry
// announced once; a link deleted takes its addresses and routes with it, in
// order, and the flushes the kernel does not announce are reported.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { applyMessage, isTrackedMessage } from "../../src/kernel/apply";
import { emptyTables, type KernelChange, type Tables } from "../../src/kernel/tables";
import { AF_INET } from "../../src/netlink/constants";
import { decodeRt, type RtMessage } from "../../src/netlink/decode";
import { splitMessages } from "../../src/netlink/message";
import { fixtureDatagrams, NETLINK_FIXTURES } from "../helpers/fixtures";
import { type IpDump, ipSnapshot, tablesSnapshot } from "../helpers/kernel-compare";

function captured(): RtMessage[] {
  const out: RtMessage[] = [];
  for (const name of ["links", "addresses", "routes", "rules"])
    for (const d of fixtureDatagrams(name))
      for (const m of splitMessages(d).messages) {
        const rt = decodeRt(m);
        if (rt && isTrackedMessage(rt)) out.push(rt);
      }
  return out;
}

function applied(messages: RtMessage[], t: Tables = emptyTables()) {
  const changes: KernelChange[] = [];
  const flushed: number[] = [];
  const deleted: number[] = [];
  for (const m of messages)
    applyMessage(t, m, (c) => changes.push(c), {
      flushedUnannounced: (i) => flushed.push(i),
      linkDeleted: (i) => deleted.push(i),
    });
  return { t, changes, flushed, deleted };
}

describe("applyMessage on captured kernel messages", () => {
  it("builds the tables ip showed, announcing each entry once as added", () => {
    const messages = captured();
    const { t, changes, flushed } = applied(messages);
    const ip = JSON.parse(readFileSync(join(NETLINK_FIXTURES, "ip.json"), "utf8")) as IpDump;
    expect(tablesSnapshot(t)).toEqual(ipSnapshot(ip));
    expect(changes.every((c) => c.action === "add")).toBe(true);
    expect(changes).toHaveLength(t.links.size + t.addresses.size + t.routes.size + t.rules.size);
    expect(flushed).toEqual([]);
    // The same dump again changes nothing but re-announces links and addresses as changed.
    const again = applied(messages, t);
    expect(tablesSnapshot(again.t)).toEqual(ipSnapshot(ip));
    expect(again.changes.filter((c) => c.action === "add")).toEqual([]);
  });

  it("a deleted link takes its addresses and routes with it, announced before the link itself", () => {
    const messages = captured();
    const { t } = applied(messages);
    const ve0 = [...t.links.values()].find((l) => l.name === "ve0")!;
    const mine = (c: KernelChange) =>
      (c.kind === "address" && c.address.index === ve0.index) ||
      (c.kind === "route" && c.route.oif === ve0.index);
    const expectRemoved = [...t.addresses.ofLink(ve0.index)].length + [...t.routes.ofLink(ve0.index)].length;
    expect(expectRemoved).toBeGreaterThan(0);
    const del = applied([{ kind: "link", action: "del", link: ve0 }], t);
    expect(del.deleted).toEqual([ve0.index]);
    expect(del.changes.slice(0, -1).every((c) => c.action === "remove" && mine(c))).toBe(true);
    expect(del.changes).toHaveLength(expectRemoved + 1);
    expect(del.changes.at(-1)).toMatchObject({ kind: "link", action: "remove" });
    expect([...t.routes.values()].some((r) => r.oif === ve0.index)).toBe(false);
  });

  it("a link taken down, or losing its last IPv4 address, reports the unannounced flush", () => {
    const { t } = applied(captured());
    const ve0 = [...t.links.values()].find((l) => l.name === "ve0")!;
    const down = applied([{ kind: "link", action: "new", link: { ...ve0, up: false } }], t);
    expect(down.flushed).toEqual([ve0.index]);
    const v4 = [...t.addresses.ofLink(ve0.index).values()].filter((a) => a.family === AF_INET);
    const gone = applied(
      v4.map((address): RtMessage => ({ kind: "address", action: "del", address })),
      t,
    );
    expect(gone.flushed).toEqual([ve0.index]);
    expect([...t.routes.values()].some((r) => r.oif === ve0.index && r.family === AF_INET)).toBe(false);
  });
});
