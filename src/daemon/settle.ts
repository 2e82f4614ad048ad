// A short, bounded wait per link for a fact that arrives on another channel
// than the event (the kernel's address after networkd's "routable", the lease
// file after dhclient's address). Bounded: an event is delayed, never lost.
export class Settle {
  private readonly timers = new Map<number, NodeJS.Timeout>();
  private readonly expired = new Set<number>();

  constructor(private readonly ms: number) {}

  /** True while waiting (starting the wait on the first call); false once it ran out, until reset(). */
  waiting(key: number, onTimeout: () => void): boolean {
    if (this.expired.has(key)) return false;
    if (!this.timers.has(key)) {
      this.timers.set(
        key,
        setTimeout(() => {
          this.timers.delete(key);
          this.expired.add(key);
          onTimeout();
        }, this.ms),
      );
    }
    return true;
  }

  /** The awaited fact arrived: the wait ends and the next check passes. */
  arrived(key: number): void {
    if (!this.timers.has(key)) return;
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    this.expired.add(key);
  }

  reset(key: number): void {
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    this.expired.delete(key);
  }

  clear(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
