import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bytePosition, firstInvalidUtf8 } from "../../src/util/utf8";

describe("UTF-8 check", () => {
  it("agrees with the platform's strict decoder", () => {
    const strict = new TextDecoder("utf-8", { fatal: true });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        let valid = true;
        try {
          strict.decode(bytes);
        } catch {
          valid = false;
        }
        expect(firstInvalidUtf8(bytes) === -1).toBe(valid);
      }),
      { numRuns: 5000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (s) => {
        expect(firstInvalidUtf8(Buffer.from(s))).toBe(-1);
      }),
    );
  });

  it("finds the first bad byte and its line and column", () => {
    const bytes = Buffer.concat([Buffer.from("ab\ncé"), Buffer.from([0xff]), Buffer.from("x")]);
    const at = firstInvalidUtf8(bytes);
    expect(at).toBe(6);
    expect(bytePosition(bytes, at)).toEqual({ line: 2, col: 3 });
    expect(firstInvalidUtf8(Buffer.from([0xc0, 0x80]))).toBe(0); // overlong NUL
    expect(firstInvalidUtf8(Buffer.from([0xed, 0xa0, 0x80]))).toBe(0); // surrogate
  });
});
