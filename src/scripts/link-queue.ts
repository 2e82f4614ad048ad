// Work per link runs in arrival order; different links run in parallel, at
// most `limit` at a time. A link's queue never blocks another link's.
export class LinkQueues {
  private readonly tails = new Map<string, Promise<void>>();
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private limit: number) {}

  setLimit(limit: number): void {
    this.limit = limit;
    this.wake();
  }

  /** Runs `job` after every earlier job of the same link; resolves with its result. */
  enqueue<T>(link: string, job: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(link) ?? Promise.resolve();
    const result = previous.then(() => this.withSlot(job));
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(link, tail);
    void tail.then(() => {
      if (this.tails.get(link) === tail) this.tails.delete(link);
    });
    return result;
  }

  /** Links with queued or running work. */
  get busyLinks(): number {
    return this.tails.size;
  }

  private async withSlot<T>(job: () => Promise<T>): Promise<T> {
    if (this.running < this.limit) this.running++;
    // A slot is handed over by release() with `running` already counted.
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await job();
    } finally {
      this.release();
    }
  }

  private release(): void {
    const next = this.running <= this.limit ? this.waiting.shift() : undefined;
    if (next) next();
    else this.running--;
  }

  private wake(): void {
    while (this.running < this.limit && this.waiting.length > 0) {
      this.running++;
      (this.waiting.shift() as () => void)();
    }
  }
}
