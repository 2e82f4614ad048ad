// The indexes of the kernel's tables (by link, by route identity) always agree
// with the table itself, whatever sequence of sets, replacements and deletions
// it sees; entries compare field by field exactly as JSON would.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { routeIdentity, routeKey } from "../../src/kernel/keys";
import { LinkKeyed, RouteTable, sameValue } from "../../src/kernel/tables";

type Entry = { index: number; n: number };
const op = fc.oneof(
  fc.record({
    kind: fc.constant("set" as const),
    key: fc.integer({ min: 0, max: 20 }),
    index: fc.integer({ min: 0, max: 4 }),
  }),
  fc.record({ kind: fc.constant("delete" as const), key: fc.integer({ min: 0, max: 20 }) }),
  fc.record({ kind: fc.constant("clear" as const) }),
);

describe("LinkKeyed", () => {
  it("ofLink(i) is always the entries of link i, after any operations", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const t = new LinkKeyed<Entry>((e) => e.index);
        ops.forEach((o, n) => {
          if (o.kind === "set") t.set(String(o.key), { index: o.index, n });
          else if (o.kind === "delete") t.delete(String(o.key));
          else t.clear();
        });
        for (let i = 0; i <= 4; i++) {
          const want = [...t].filter(([, e]) => e.index === i);
          expect([...t.ofLink(i)].sort()).toEqual(want.sort());
        }
      }),
    );
  });
});

const route = fc.record({
  family: fc.constantFrom(2, 10),
  table: fc.constantFrom(254, 100),
  protocol: fc.constant(4),
  scope: fc.constant(0),
  type: fc.constant(1),
  tos: fc.constant(0),
  flags: fc.constant(0),
  dst: fc.constantFrom(null, "10.0.0.0"),
  dstLength: fc.constantFrom(0, 8),
  src: fc.constant(null),
  srcLength: fc.constant(0),
  gateway: fc.constantFrom(null, "10.0.0.1", "10.0.0.2"),
  oif: fc.constantFrom(null, 1, 2),
  priority: fc.constantFrom(null, 100),
  prefsrc: fc.constant(null),
});

describe("RouteTable", () => {
  it("withIdentity(id) and defaultsOfLink(i) always hold what a walk through the table finds, after any operations", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.tuple(fc.constant("set" as const), route),
            fc.tuple(fc.constant("delete" as const), route),
          ),
          {
            maxLength: 100,
          },
        ),
        (ops) => {
          const t = new RouteTable();
          for (const [kind, r] of ops) {
            if (kind === "set") t.set(routeKey(r), r);
            else t.delete(routeKey(r));
          }
          for (const [, r] of ops) {
            const id = routeIdentity(r);
            const want = [...t].filter(([, x]) => routeIdentity(x) === id).map(([k]) => k);
            expect([...t.withIdentity(id)].sort()).toEqual(want.sort());
          }
          for (const link of [0, 1, 2]) {
            const want = [...t].filter(([, x]) => x.dstLength === 0 && (x.oif ?? 0) === link).map(([k]) => k);
            expect([...t.defaultsOfLink(link).keys()].sort()).toEqual(want.sort());
          }
        },
      ),
    );
  });
});

describe("sameValue", () => {
  it("is exactly JSON equality for the kernel's flat records", () => {
    fc.assert(
      fc.property(route, route, fc.boolean(), (a, b, drop) => {
        const c: Record<string, unknown> = { ...b };
        if (drop) delete c.gateway;
        expect(sameValue(a, c)).toBe(JSON.stringify(a) === JSON.stringify(c));
        expect(sameValue(a, { ...a })).toBe(true);
      }),
    );
  });
});
