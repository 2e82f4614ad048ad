// netevd_event_loop_lag_seconds: a loop held for 200 ms shows as a maximum of
// at least that, and the next scrape starts afresh.
import { describe, expect, it } from "vitest";
import { Metrics } from "../../src/metrics/metrics";
import { LoopLag } from "../../src/util/loop-lag";

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
    // The sampler on the test's clock, its timer's firings made by hand.
    let now = 0;
    const lag = new LoopLag(() => now);
    lag.stop();
    const fire = (after: number) => {
      now += after;
      lag.tick();
    };
    const m = new Metrics(
      () => [["", sampled]],
      () => ({ backend: "none", auto: true, problem: null }),
      lag,
    );
    try {
      fire(20);
      expect(lagOf(await m.text(), "1")).toBeLessThan(0.01);
      // The loop held for 200 ms, as a long synchronous batch would: the timer fires 200 ms late.
      fire(220);
      expect(lagOf(await m.text(), "1")).toBeGreaterThanOrEqual(0.15);
      fire(20);
      expect(lagOf(await m.text(), "1")).toBeLessThan(0.15);
    } finally {
      m.close();
    }
  });
});
