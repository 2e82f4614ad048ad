// releasing(): what a task loaded for itself is let go after it (the daemon
// reads netevd.yaml this way), and loads anew the next time.
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { releasing } from "../../src/util/release-modules";
import { tempDir } from "../helpers/tmp";

// Node's own require (its cache is the one releasing() prunes).
const load = createRequire(__filename);

/** A module that counts how often its body ran and leaves a mark on the global object, as zod does. */
function fixture(): string {
  const dir = tempDir();
  const file = join(dir, "counted.js");
  writeFileSync(
    file,
    `globalThis.__releaseTestRuns = (globalThis.__releaseTestRuns ?? 0) + 1;
globalThis.__releaseTestState = { big: new Array(1000).fill(1) };
exports.state = globalThis.__releaseTestState;
exports.child = require("./child.js");`,
  );
  writeFileSync(join(dir, "child.js"), "exports.made = Symbol('child');");
  return file;
}

describe("releasing()", () => {
  it("forgets the modules a task loaded and what it added to the global object; the next require loads them anew", () => {
    const file = fixture();
    const child = join(file, "..", "child.js");
    const g = globalThis as { __releaseTestState?: unknown; __releaseTestRuns?: number };
    const first = releasing(() => load(file) as { state: unknown; child: { made: symbol } });
    expect(load.cache[file]).toBeUndefined();
    expect(load.cache[child]).toBeUndefined();
    expect(g.__releaseTestState).toBeUndefined();
    // No module that was there before lists the forgotten ones among its children.
    expect(Object.values(load.cache).some((m) => m?.children.some((c) => c.filename === file))).toBe(false);
    const second = releasing(() => load(file) as { state: unknown; child: { made: symbol } });
    expect(second).not.toBe(first);
    expect(second.child.made).not.toBe(first.child.made);
    expect(g.__releaseTestRuns).toBeUndefined();
  });

  it("keeps modules that were loaded before the task", () => {
    const file = fixture();
    const before = load(file) as object;
    releasing(() => load(file) as object);
    expect(load.cache[file]).toBeDefined();
    expect(load(file)).toBe(before);
    delete load.cache[file];
  });

  it("lets go after a task that throws", () => {
    const file = fixture();
    expect(() =>
      releasing(() => {
        load(file);
        throw new Error("bad file");
      }),
    ).toThrow("bad file");
    expect(load.cache[file]).toBeUndefined();
  });
});
