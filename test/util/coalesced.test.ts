import { describe, expect, it } from "vitest";
import { Coalesced } from "../../src/util/coalesced";

describe("Coalesced", () => {
  it("runs one pass at a time, and one more for any number of requests made during a pass", async () => {
    let passes = 0;
    let release!: () => void;
    const c = new Coalesced(async () => {
      passes += 1;
      if (passes === 1) await new Promise<void>((r) => (release = r));
    });
    const first = c.run();
    const during = [c.run(), c.run(), c.run()];
    expect(passes).toBe(1);
    release();
    await Promise.all([first, ...during]);
    expect(passes).toBe(2);
    expect(c.current).toBeUndefined();
    await c.run();
    expect(passes).toBe(3);
  });

  it("stops asking for further passes when told to", async () => {
    let passes = 0;
    let open = true;
    const c = new Coalesced(
      async () => {
        passes += 1;
        await Promise.resolve();
      },
      () => open,
    );
    const p = c.run();
    void c.run();
    open = false;
    await p;
    expect(passes).toBe(1);
  });
});
