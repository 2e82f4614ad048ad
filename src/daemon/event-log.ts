// The last events the daemon handled (for `netevd events`) and the last script
// runs (GET /v1/runs), each with live subscribers (`--follow`, the
// dashboard). Bounded: old entries fall off.
import type { EventFilter } from "../api/server";
import { eventBytes, type EventJson, eventJson, type NetworkEvent } from "../events/event";
import type { RunBody } from "../api/types";

class RecentLog<T, V = T> {
  private readonly recent: { e: T; weight: number }[] = [];
  private weight = 0;
  private readonly subscribers = new Set<{ f: EventFilter; send: (e: V) => void }>();

  constructor(
    private readonly matches: (e: T, f: EventFilter) => boolean,
    /** What readers get: made when read, not for every entry (a burst makes 50,000). */
    private readonly view: (e: T) => V,
    private readonly size = 200,
    /** An entry's size in bytes (an estimate) and the bound of them all: a link with 4,000 addresses makes big events. */
    private readonly weigh: (e: T) => number = () => 0,
    private readonly maxWeight = Infinity,
  ) {}

  add(e: T): void {
    const weight = this.weigh(e);
    this.recent.push({ e, weight });
    this.weight += weight;
    while (this.recent.length > 1 && (this.recent.length > this.size || this.weight > this.maxWeight))
      this.weight -= (this.recent.shift() as { weight: number }).weight;
    // One view for every subscriber (the API writes each object's line once).
    let view: V | undefined;
    for (const s of this.subscribers) if (this.matches(e, s.f)) s.send((view ??= this.view(e)));
  }

  list(f: EventFilter): V[] {
    return this.recent.filter(({ e }) => this.matches(e, f)).map(({ e }) => this.view(e));
  }

  subscribe(f: EventFilter, send: (e: V) => void): () => void {
    const s = { f, send };
    this.subscribers.add(s);
    return () => this.subscribers.delete(s);
  }
}

const matchesLink = (link: string, event: string, f: EventFilter) =>
  (f.link === undefined || link === f.link) && (f.event === undefined || event === f.event);

/** Events as handled (they are not changed later), read as their JSON. */
export class EventLog extends RecentLog<NetworkEvent, EventJson> {
  constructor(size?: number) {
    super((e, f) => matchesLink(e.link.name, e.event, f), eventJson, size, eventBytes, 8 * 1024 * 1024);
  }
}

export class RunLog extends RecentLog<RunBody> {
  constructor(size?: number) {
    super(
      (r, f) => matchesLink(r.link, r.event, f),
      (r) => r,
      size,
    );
  }
}
