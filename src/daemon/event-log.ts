// The last events the daemon handled (for `netevd events`) and live
// subscribers (for `netevd events --follow`). Bounded: old events fall off.
import type { EventFilter } from "../api/server";
import type { EventJson } from "../events/event";

type LoggedEvent = EventJson;

const matches = (e: LoggedEvent, f: EventFilter) =>
  (f.link === undefined || e.link.name === f.link) && (f.event === undefined || e.event === f.event);

export class EventLog {
  private readonly recent: LoggedEvent[] = [];
  private readonly subscribers = new Set<{ f: EventFilter; send: (e: LoggedEvent) => void }>();

  constructor(private readonly size = 200) {}

  add(e: LoggedEvent): void {
    this.recent.push(e);
    if (this.recent.length > this.size) this.recent.shift();
    for (const s of this.subscribers) if (matches(e, s.f)) s.send(e);
  }

  list(f: EventFilter): LoggedEvent[] {
    return this.recent.filter((e) => matches(e, f));
  }

  subscribe(f: EventFilter, send: (e: LoggedEvent) => void): () => void {
    const s = { f, send };
    this.subscribers.add(s);
    return () => this.subscribers.delete(s);
  }
}
