// Which backend the daemon uses, and what it says about it. `auto`: the one
// that manages the host (host-manager.ts), followed while netevd runs: a
// manager that appears is taken at once; one that leaves is given a grace
// period first, since a restart (systemctl restart NetworkManager) drops its
// bus name for a moment. A configured backend is kept, and when its manager
// is not running that is said once, in one line, and shown in `netevd status`.
import { absentManagerProblem, chooseBackend, type HostFacts } from "../backends/host-manager";
import { HostManagerWatch } from "../backends/host-manager-watch";
import type { Backend, BackendSetting } from "../events/names";
import type { Logger } from "../log/logger";

/** How long a manager that left the bus is waited for before auto moves on. */
const LEAVE_GRACE_MS = 5000;

export interface BackendInUse {
  backend: Backend;
  /** Chosen by `auto`, or as configured. */
  auto: boolean;
  reason: string;
  /** A configured backend whose manager is not running: the plain word; null when all is well. */
  problem: string | null;
}

/** Under auto: the host's manager changed; the daemon rewires to it. */
export type OnSwitch = (now: BackendInUse, before: BackendInUse) => void;

/** Which backend is in use, and when it changes. */
export interface Follow {
  /** The backend to start with. */
  start(): Promise<BackendInUse>;
  now(): BackendInUse;
  stop(): void;
}

export interface BackendFollowOptions {
  setting: BackendSetting;
  /** Where system.backend is set, for messages ("FILE line N"). */
  where: string;
  leaseFiles: string[];
  log: Logger;
  onSwitch: OnSwitch;
}

export class BackendFollow implements Follow {
  /** None under `backend: none`: nothing seen of the host changes what it does or says. */
  private readonly watch: HostManagerWatch | undefined;
  private current: BackendInUse = { backend: "none", auto: false, reason: "not started", problem: null };
  private graceTimer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: BackendFollowOptions) {
    this.watch =
      opts.setting === "none"
        ? undefined
        : new HostManagerWatch({
            log: opts.log,
            leaseFiles: opts.leaseFiles,
            onChange: (f) => this.changed(f),
          });
  }

  /** The backend to start with, logged with its reason in one line. */
  async start(): Promise<BackendInUse> {
    const facts = await this.watch?.start();
    this.current = facts
      ? this.judge(facts)
      : { backend: "none", auto: false, reason: "configured", problem: null };
    const c = this.current;
    if (c.auto) this.opts.log.info(`backend ${c.backend} (auto: ${c.reason})`);
    else if (c.problem) this.opts.log.warn(c.problem);
    else this.opts.log.info(`backend ${c.backend} (configured)`);
    return c;
  }

  now(): BackendInUse {
    return this.current;
  }

  private judge(f: HostFacts): BackendInUse {
    const s = this.opts.setting;
    if (s === "auto") return { ...chooseBackend(f), auto: true, problem: null };
    return {
      backend: s,
      auto: false,
      reason: "configured",
      problem: absentManagerProblem(s, f, this.opts.where),
    };
  }

  private changed(f: HostFacts): void {
    const next = this.judge(f);
    const before = this.current;
    if (!next.auto) {
      this.current = next;
      if (next.problem && next.problem !== before.problem) this.opts.log.warn(next.problem);
      else if (!next.problem && before.problem)
        this.opts.log.info(`${next.backend} is running now: its events come`);
      return;
    }
    clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
    if (next.backend === before.backend) {
      this.current = { ...before, reason: next.reason };
      return;
    }
    // The manager in use left (or the bus did): wait a moment for it to come back.
    if (this.stillThere(before, f)) this.switchTo(next);
    else
      this.graceTimer = setTimeout(() => {
        this.graceTimer = undefined;
        if (!this.watch) return;
        const now = this.judge(this.watch.facts());
        if (now.backend !== this.current.backend) this.switchTo(now);
      }, LEAVE_GRACE_MS);
  }

  /** Whether the backend in use still has its manager (then a new choice outranks it). */
  private stillThere(c: BackendInUse, f: HostFacts): boolean {
    if (c.backend === "systemd-networkd") return f.networkd;
    if (c.backend === "NetworkManager") return f.networkManager;
    if (c.backend === "dhclient") return f.dhclientLeases.length > 0;
    return true;
  }

  private switchTo(next: BackendInUse): void {
    const before = this.current;
    this.current = next;
    this.opts.log.info(`backend ${next.backend} (auto: ${next.reason}); was ${before.backend}`);
    this.opts.onSwitch(next, before);
  }

  stop(): void {
    clearTimeout(this.graceTimer);
    this.watch?.stop();
  }
}
