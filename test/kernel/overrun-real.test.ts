// ≥ 20,000 changes in a burst against a deliberately small receive buffer:
// the kernel drops messages (ENOBUFS), netevd re-dumps, and its tables end up
// equal to the kernel's.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { KernelState } from "../../src/kernel/state";
import { realBinding } from "../../src/native/real";
import { expectInSync } from "../helpers/kernel-compare";
import { canNetns, createNetns, inNetns, ip } from "../helpers/netns";
import { waitFor } from "../helpers/proc";
import { tempDir } from "../helpers/tmp";

/** 12,000 routes through ve0 in one `ip -batch`; returns the lines, to delete some later. */
function addRoutes(ns: string): { dir: string; add: string[] } {
  const dir = tempDir();
  const add = Array.from(
    { length: 12_000 },
    (_, i) => `route add 10.${i >> 8}.${i & 255}.0/24 dev ve0 table 3000\n`,
  );
  writeFileSync(join(dir, "add"), add.join(""));
  ip(ns, "-batch", join(dir, "add"));
  return { dir, add };
}

describe.runIf(canNetns)("overrun on a real kernel", () => {
  it("re-syncs after a burst of 20,000+ changes and equals the kernel", async () => {
    const ns = createNetns();
    ip(ns, "link", "add", "ve0", "type", "veth", "peer", "name", "ve1");
    ip(ns, "link", "set", "ve0", "up");
    const b = realBinding();
    const state = new KernelState(b, { receiveBuffer: 4096 });
    let removed = 0;
    let marker = false;
    state.onChange((c) => {
      if (c.kind === "route" && c.action === "remove") removed++;
      if (c.kind === "route" && c.action === "add" && c.route.dst === "10.254.254.0") marker = true;
    });
    await inNetns(b, ns, () => state.start());
    try {
      expect(state.receiveBufferSize).toBeLessThan(16_384);
      const { dir, add } = addRoutes(ns);
      await expectInSync(state, ns, 30_000);
      expect(state.routes.size).toBeGreaterThanOrEqual(12_000);
      // Delete 10,000 of them: 22,000 changes in all.
      writeFileSync(
        join(dir, "del"),
        add
          .slice(0, 10_000)
          .map((l) => l.replace("route add", "route del"))
          .join(""),
      );
      ip(ns, "-batch", join(dir, "del"));
      await expectInSync(state, ns, 30_000);
      expect(state.netlinkStats.overruns).toBeGreaterThan(0);
      expect(state.stats.resyncs).toBeGreaterThan(0);
      // Changes dropped by the kernel were found by the re-sync and still announced
      // (a re-sync's changes go out in slices, after the tables are equal).
      expect(await waitFor(() => removed === 10_000, 10_000), `${removed} announced`).toBe(true);
      // None more: checked once a later change (announced in order) has come.
      ip(ns, "route", "add", "10.254.254.0/24", "dev", "ve0", "table", "3000");
      expect(await waitFor(() => marker, 10_000)).toBe(true);
      expect(removed).toBe(10_000);
    } finally {
      state.close();
    }
  });

  it("re-syncs the same way on a socket handed over from another namespace", async () => {
    const ns = createNetns();
    ip(ns, "link", "add", "ve0", "type", "veth", "peer", "name", "ve1");
    ip(ns, "link", "set", "ve0", "up");
    const b = realBinding();
    // As netevd-privileged opens it: created inside the namespace, used from outside it.
    const state = new KernelState(b, {
      receiveBuffer: 4096,
      socketFd: b.openNetlinkIn(`/run/netns/${ns}`, 0),
    });
    await state.start();
    try {
      expect([...state.links.values()].map((l) => l.name).sort()).toEqual(["lo", "ve0", "ve1"]);
      addRoutes(ns);
      await expectInSync(state, ns, 30_000);
      expect(state.netlinkStats.overruns).toBeGreaterThan(0);
      expect(state.stats.resyncs).toBeGreaterThan(0);
    } finally {
      state.close();
    }
  });
});
