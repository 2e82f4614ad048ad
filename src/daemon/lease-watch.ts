// The dhclient backend's lease side: the lease files watched, and each link's
// lease pushed to systemd-resolved (DNS, domains) and systemd-hostnamed (the
// transient host name) as backends.dhclient.use_* ask.
import type { AuditEntry } from "../audit/audit-log";
import { DhclientLeases } from "../backends/dhclient/dhclient";
import type { Config } from "../config/schema";
import type { LeaseData } from "../links/link-table";
import { getLogger } from "../log/logger";
import type { KernelState } from "../kernel/state";
import type { Link } from "../netlink/link";
import { BusConnection } from "../push/bus-connection";
import { Hostnamed } from "../push/hostnamed";
import { LeasePush } from "../push/lease-push";
import { Resolved } from "../push/resolved";
import { pushFlags } from "./settings";

export interface LeaseWatchOptions {
  /** A new link's lease is pushed, a deleted link's forgotten: the watch follows the kernel itself. */
  kernel: Pick<KernelState, "onChange">;
  config: Config;
  dryRun: boolean;
  /** An interface's lease files changed. */
  onChange: (ifname: string) => void;
  audit: (e: AuditEntry) => void;
  onPushFailed: (peer: string) => void;
  monitored: (name: string) => boolean;
}

export class LeaseWatch {
  private readonly leases: DhclientLeases;
  private readonly bus = new BusConnection();
  private readonly push: LeasePush;
  private config: Config;

  constructor(private readonly opts: LeaseWatchOptions) {
    this.config = opts.config;
    this.leases = new DhclientLeases({
      leaseFiles: opts.config.backends.dhclient.lease_files,
      log: getLogger("dhclient"),
      onChange: opts.onChange,
    });
    this.push = new LeasePush(
      pushFlags(opts.config, opts.dryRun),
      new Resolved(this.bus),
      new Hostnamed(this.bus),
      getLogger("push"),
    );
    this.push.onPushed = (action, link, values, via) => opts.audit({ action, link, values, via });
    this.push.onFailed = (peer) => opts.onPushFailed(peer);
  }

  private unsubscribe: (() => void) | undefined;

  /** Reads the lease files, pushes every known link's lease, and follows links coming and going. */
  start(links: Iterable<Link>): void {
    this.leases.start();
    for (const link of links) this.pushFor(link);
    this.unsubscribe = this.opts.kernel.onChange((c) => {
      if (c.kind !== "link") return;
      if (c.action === "remove") this.forget(c.link.index);
      else if (c.action === "add") this.pushFor(c.link);
    });
  }

  leaseOf(name: string): LeaseData | null {
    return this.leases.forLink(name);
  }

  /** The link's current lease to resolved and hostnamed (nothing when use_* are all off). */
  pushFor(link: Link): void {
    const flags = pushFlags(this.config, this.opts.dryRun);
    if (!this.opts.monitored(link.name)) return;
    if (!flags.useDns && !flags.useDomain && !flags.useHostname) return;
    void this.push.apply(link.index, link.name, this.leases.forLink(link.name)?.info ?? null);
  }

  private forget(index: number): void {
    this.push.forget(index);
  }

  update(config: Config): void {
    this.config = config;
    this.push.update(pushFlags(config, this.opts.dryRun));
  }

  close(): void {
    this.unsubscribe?.();
    this.leases.close();
    this.bus.close();
  }
}
