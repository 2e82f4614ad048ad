// A manager's signal can come before the kernel's message about a new link
// (networkd reads its own netlink socket, and its signals carry the ifindex
// only). Such a signal waits, in order with the link's others, until the
// kernel names the link, so no script ever gets a placeholder for its name;
// a link the kernel never shows within the bound is not there, and its
// signals are dropped.
import type { Link } from "../netlink/link";

/** How long a signal waits for the kernel to announce its link. */
const NAME_WAIT_MS = 1000;

export class NameWait {
  private readonly waiting = new Map<number, { timer: NodeJS.Timeout; jobs: ((name: string) => void)[] }>();

  constructor(
    private readonly links: ReadonlyMap<number, Link>,
    private readonly onDropped: (ifindex: number, signals: number) => void,
  ) {}

  /** Runs `job` with the link's name: now if the kernel knows it (and nothing waits before it), else once it does. */
  run(ifindex: number, job: (name: string) => void): void {
    const w = this.waiting.get(ifindex);
    if (w) {
      w.jobs.push(job);
      return;
    }
    const link = this.links.get(ifindex);
    if (link) return job(link.name);
    const timer = setTimeout(() => {
      const gone = this.waiting.get(ifindex);
      this.waiting.delete(ifindex);
      if (gone) this.onDropped(ifindex, gone.jobs.length);
    }, NAME_WAIT_MS);
    this.waiting.set(ifindex, { timer, jobs: [job] });
  }

  /** The kernel announced a link: what waited for it goes on, in order. */
  announced(link: Link): void {
    const w = this.waiting.get(link.index);
    if (!w) return;
    clearTimeout(w.timer);
    this.waiting.delete(link.index);
    for (const job of w.jobs) job(link.name);
  }

  clear(): void {
    for (const w of this.waiting.values()) clearTimeout(w.timer);
    this.waiting.clear();
  }
}
