import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LineSplitter } from "../../src/scripts/line-splitter";

describe("line splitter", () => {
  it("yields the same lines however the bytes are chunked", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom("a", "b", "\n", "é", "xyz"), { maxLength: 100 }),
        fc.array(fc.nat(20), { maxLength: 20 }),
        (parts, cuts) => {
          const bytes = Buffer.from(parts.join(""));
          const whole: string[] = [];
          const s1 = new LineSplitter(1000, (l) => whole.push(l));
          s1.push(bytes);
          s1.end();
          const chunked: string[] = [];
          const s2 = new LineSplitter(1000, (l) => chunked.push(l));
          let at = 0;
          for (const c of cuts) {
            s2.push(bytes.subarray(at, at + c));
            at += c;
          }
          s2.push(bytes.subarray(at));
          s2.end();
          expect(chunked).toEqual(whole);
          expect(whole.join("\n")).toBe(parts.join("").replace(/\n$/, ""));
        },
      ),
    );
  });

  it("never holds more than the cap", () => {
    const lines: string[] = [];
    const s = new LineSplitter(4, (l) => lines.push(l));
    s.push(Buffer.from("abcdefghij\nxy"));
    s.end();
    expect(lines).toEqual(["abcd […]", "efgh […]", "ij", "xy"]);
  });
});
