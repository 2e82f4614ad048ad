// Work per link runs in arrival order; different links run in parallel, at
// most `limit` at a time. A link's queue never blocks another link's. What
// waits is bounded (jobs and bytes per link, bytes in all) and coalesces until
// it starts: a job replaces a waiting one with the same fold key and removes
// the waiting ones it supersedes; past a bound the link's oldest waiting job
// goes, one that changes no state (a route, a re-run) before a state change,
// and never the newest. A job that started always runs to its end.

/** What the queue knows of a job (the runner decides it from the event). */
export interface JobMeta {
  /** A waiting job with the same key is replaced by this one. */
  fold?: string;
  /** What kind of job it is, for `supersedes` (the runner's: a link's state family). */
  family?: string;
  /** Waiting jobs of the same link this one makes pointless. */
  supersedes?: (waiting: JobMeta) => boolean;
  /** A state change: at a bound, jobs without it are dropped first. */
  state?: boolean;
  /** What it holds, in bytes (an estimate). */
  weight: number;
}

/** Why a job did not run: another replaced it, or a bound was reached. */
export type Discard = "coalesced" | "bound";

export interface QueueBounds {
  perLinkJobs: number;
  perLinkBytes: number;
  totalBytes: number;
}

const DEFAULT_BOUNDS: QueueBounds = {
  perLinkJobs: 32,
  perLinkBytes: 2 * 1024 * 1024,
  totalBytes: 16 * 1024 * 1024,
};

export interface QueueHooks {
  /** A job was discarded (once per job). */
  onDiscard?: (link: string, why: Discard) => void;
  /** The link has nothing waiting or running any more (a burst ended). */
  onIdle?: (link: string) => void;
}

interface Waiting {
  meta: JobMeta;
  start: () => Promise<void>;
  discard: (why: Discard) => void;
}

interface Line {
  key: string;
  waiting: Waiting[];
  weight: number;
  busy: boolean;
  ready: boolean;
}

export class LinkQueues {
  private readonly lines = new Map<string, Line>();
  /** Links with waiting work and none running, in the order they became ready. */
  private readonly ready: Line[] = [];
  private running = 0;
  private weight = 0;

  constructor(
    private limit: number,
    private readonly bounds: QueueBounds = DEFAULT_BOUNDS,
    private readonly hooks: QueueHooks = {},
  ) {}

  setLimit(limit: number): void {
    this.limit = limit;
    this.pump();
  }

  /**
   * Runs `job` after every earlier job of the same link that still runs;
   * resolves with its result, or with `discarded(why)` when it never started.
   */
  enqueue<T>(link: string, job: () => Promise<T>, meta: JobMeta, discarded: (why: Discard) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let line = this.lines.get(link);
      if (!line) {
        line = { key: link, waiting: [], weight: 0, busy: false, ready: false };
        this.lines.set(link, line);
      }
      const l = line;
      l.waiting = l.waiting.filter((w) => {
        const gone = (meta.fold !== undefined && w.meta.fold === meta.fold) || !!meta.supersedes?.(w.meta);
        if (gone) this.discard(l, w, "coalesced");
        return !gone;
      });
      l.waiting.push({
        meta,
        start: () => Promise.resolve().then(job).then(resolve, reject),
        discard: (why) => resolve(discarded(why)),
      });
      l.weight += meta.weight;
      this.weight += meta.weight;
      const b = this.bounds;
      // The newest job stays: after a burst, the link's last state runs. Route
      // events and re-runs go before state changes: a dispatcher that runs
      // every state must not lose one to a burst of addresses.
      while (
        l.waiting.length > 1 &&
        (l.waiting.length > b.perLinkJobs || l.weight > b.perLinkBytes || this.weight > b.totalBytes)
      ) {
        const lesser = l.waiting.findIndex((w, i) => i < l.waiting.length - 1 && !w.meta.state);
        const [victim] = l.waiting.splice(lesser < 0 ? 0 : lesser, 1);
        this.discard(l, victim as Waiting, "bound");
      }
      this.schedule(l);
    });
  }

  /** Links with waiting or running work. */
  get busyLinks(): number {
    return this.lines.size;
  }

  private discard(l: Line, w: Waiting, why: Discard): void {
    l.weight -= w.meta.weight;
    this.weight -= w.meta.weight;
    w.discard(why);
    this.hooks.onDiscard?.(l.key, why);
  }

  private schedule(l: Line): void {
    if (!l.busy && !l.ready && l.waiting.length > 0) {
      l.ready = true;
      this.ready.push(l);
    }
    this.pump();
    this.settle(l);
  }

  private pump(): void {
    while (this.running < this.limit && this.ready.length > 0) {
      const l = this.ready.shift() as Line;
      l.ready = false;
      const next = l.waiting.shift();
      if (!next) continue;
      l.weight -= next.meta.weight;
      this.weight -= next.meta.weight;
      l.busy = true;
      this.running++;
      void next.start().finally(() => {
        this.running--;
        l.busy = false;
        this.schedule(l);
      });
    }
  }

  /** A link with nothing waiting or running is forgotten. */
  private settle(l: Line): void {
    if (l.busy || l.waiting.length > 0 || this.lines.get(l.key) !== l) return;
    this.lines.delete(l.key);
    this.hooks.onIdle?.(l.key);
  }
}
