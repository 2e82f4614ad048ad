// How late the event loop runs: a timer every INTERVAL_MS notes how much later
// than due it fired. (perf_hooks' monitorEventLoopDelay loses the first delay
// after each reset(), so a stall just after a scrape would go unseen.)
import { createHistogram, type RecordableHistogram } from "node:perf_hooks";

const INTERVAL_MS = 20;

export interface LagSample {
  p50: number;
  p99: number;
  max: number;
  /** Seconds late in all, and samples, since the sampler started (a summary's _sum and _count). */
  sum: number;
  count: number;
}

export class LoopLag {
  private readonly histogram: RecordableHistogram = createHistogram();
  private readonly timer: NodeJS.Timeout;
  private last: number;
  private sumUs = 0;
  private count = 0;

  /** `now` in milliseconds (the tests' clock; performance.now otherwise). */
  constructor(private readonly now: () => number = () => performance.now()) {
    this.last = now();
    this.timer = setInterval(() => this.tick(), INTERVAL_MS);
    // Sampling never keeps the process alive.
    this.timer.unref();
  }

  /** The timer fired: how much later than due. */
  tick(): void {
    const now = this.now();
    const late = now - this.last - INTERVAL_MS;
    this.last = now;
    const us = Math.max(1, Math.round(late * 1000));
    this.histogram.record(us);
    this.sumUs += us;
    this.count++;
  }

  /** Quantiles of the seconds late since the last take (0 when nothing was sampled), which starts them afresh. */
  take(): LagSample {
    const h = this.histogram;
    const s = (us: number) => (h.count > 0 ? us / 1e6 : 0);
    const sample = {
      p50: s(h.percentile(50)),
      p99: s(h.percentile(99)),
      max: s(h.max),
      sum: this.sumUs / 1e6,
      count: this.count,
    };
    h.reset();
    return sample;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
