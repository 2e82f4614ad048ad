// Retrying with backoff, the one way netevd does it: delays that double from
// a first one up to a cap, and a timer that runs one retry at a time.

/** Delays doubling from `firstMs` up to `maxMs`; reset() after a success. */
export class Backoff {
  private current: number;

  constructor(
    private readonly firstMs: number,
    private readonly maxMs: number,
  ) {
    this.current = firstMs;
  }

  /** The delay to wait now; the one after it is doubled. */
  next(): number {
    const d = this.current;
    this.current = Math.min(d * 2, this.maxMs);
    return d;
  }

  /** The delay next() will give. */
  peek(): number {
    return this.current;
  }

  reset(): void {
    this.current = this.firstMs;
  }
}

/** Runs `retry` after the backoff's next delay; one retry pending at a time. */
export class RetryTimer {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly backoff: Backoff,
    private readonly retry: () => void,
  ) {}

  /** Schedules the retry unless one is pending; the delay used, or undefined. */
  schedule(): number | undefined {
    if (this.timer) return undefined;
    const ms = this.backoff.next();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.retry();
    }, ms);
    return ms;
  }

  /** The attempt worked: the next failure starts again from the first delay. */
  succeeded(): void {
    this.backoff.reset();
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
