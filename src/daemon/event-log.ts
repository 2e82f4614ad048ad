// The last events the daemon handled (for `netevd events`) and the last script
// runs (GET /v1/runs), each with live subscribers (`--follow`, the
// dashboard). Bounded: old entries fall off.
import type { EventFilter } from "../api/server";
import type { EventJson } from "../events/event";
import type { RunBody } from "../api/types";

class RecentLog<T> {
  private readonly recent: T[] = [];
  private readonly subscribers = new Set<{ f: EventFilter; send: (e: T) => void }>();

  constructor(
    private readonly matches: (e: T, f: EventFilter) => boolean,
    private readonly size = 200,
  ) {}

  add(e: T): void {
    this.recent.push(e);
    if (this.recent.length > this.size) this.recent.shift();
    for (const s of this.subscribers) if (this.matches(e, s.f)) s.send(e);
  }

  list(f: EventFilter): T[] {
    return this.recent.filter((e) => this.matches(e, f));
  }

  subscribe(f: EventFilter, send: (e: T) => void): () => void {
    const s = { f, send };
    this.subscribers.add(s);
    return () => this.subscribers.delete(s);
  }
}

const matchesLink = (link: string, event: string, f: EventFilter) =>
  (f.link === undefined || link === f.link) && (f.event === undefined || event === f.event);

export class EventLog extends RecentLog<EventJson> {
  constructor(size?: number) {
    super((e, f) => matchesLink(e.link.name, e.event, f), size);
  }
}

export class RunLog extends RecentLog<RunBody> {
  constructor(size?: number) {
    super((r, f) => matchesLink(r.link, r.event, f), size);
  }
}
