// One pass at a time; a request during a pass makes exactly one more pass
// follow it, however many requests came. Every request resolves when the pass
// that covers it is done.
export class Coalesced {
  private running: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly pass: () => Promise<void>,
    /** Checked before each further pass (e.g. the owner is closing). */
    private readonly goOn: () => boolean = () => true,
  ) {}

  run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.pass();
        } while (this.again && this.goOn());
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  /** The pass running now, if any. */
  get current(): Promise<void> | undefined {
    return this.running;
  }
}
