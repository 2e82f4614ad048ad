// netevd_event_loop_lag_seconds: a loop held for 200 ms shows as a maximum of
// at least that, and the next scrape starts afresh.
import { describe, expect, it } from "vitest";
import { Metrics } from "../../src/metrics/metrics";

const none = () => 0;
const lagOf = (text: string, quantile: string) =>
  Number(
    new RegExp(`^netevd_event_loop_lag_seconds\\{quantile="${quantile}"\\} (\\S+)$`, "m").exec(text)?.[1],
  );

describe("event loop lag metric", () => {
  it("reports a held loop as its maximum, then resets", async () => {
    const sampled = {
      netlinkMessages: none,
      overruns: none,
      resyncs: none,
      routeRereads: none,
      links: none,
      managedRules: none,
      managedRoutes: none,
    };
    const m = new Metrics(
      () => [["", sampled]],
      () => ({ backend: "none", auto: true, problem: null }),
    );
    try {
      await new Promise((r) => setTimeout(r, 50));
      await m.text();
      const until = Date.now() + 200;
      while (Date.now() < until) {
        /* holds the loop, as a long synchronous batch would */
      }
      await new Promise((r) => setTimeout(r, 50));
      const held = await m.text();
      expect(lagOf(held, "1")).toBeGreaterThanOrEqual(0.15);
      await new Promise((r) => setTimeout(r, 100));
      expect(lagOf(await m.text(), "1")).toBeLessThan(0.15);
    } finally {
      m.close();
    }
  });
});
