// One record per link with a single setState(): the only place that decides
// whether a change is an event. The same state again is not re-run; the same
// state with new facts (an address, a gateway, a renewed lease with new data)
// is.
export interface TrackedLink {
  index: number;
  name: string;
  state: string | null;
  /** What the last event was about; a different fingerprint in the same state re-runs it. */
  fingerprint: string | null;
}

export type Emit = (link: TrackedLink, previous: string | null) => void;

export class LinkTracker {
  private readonly links = new Map<number, TrackedLink>();

  constructor(private readonly emit: Emit) {}

  get(index: number): TrackedLink | undefined {
    return this.links.get(index);
  }

  all(): TrackedLink[] {
    return [...this.links.values()];
  }

  /** Records the state; emits unless nothing changed or `silent` (startup without triggers). */
  setState(index: number, name: string, state: string, fingerprint: string, silent = false): boolean {
    const link = this.links.get(index) ?? { index, name, state: null, fingerprint: null };
    this.links.set(index, link);
    link.name = name;
    if (link.state === state && link.fingerprint === fingerprint) return false;
    const previous = link.state;
    link.state = state;
    link.fingerprint = fingerprint;
    if (!silent) this.emit(link, previous);
    return !silent;
  }

  remove(index: number): void {
    this.links.delete(index);
  }
}
