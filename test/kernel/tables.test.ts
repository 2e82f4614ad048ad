// The per-link index of the kernel's tables always agrees with the table
// itself, whatever sequence of sets, replacements and deletions it sees.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LinkKeyed } from "../../src/kernel/tables";

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
