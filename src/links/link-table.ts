// One record per link (by ifindex) holding everything netevd keeps about it
// beyond the kernel's own tables: the state its scripts last ran for and the
// facts that run was about, the manager's values, a manager's up state that
// waits for the kernel's address, the two bounded waits, and its DHCP lease.
// One function changes the state (setState, like networkd's link_set_state):
// the only place that decides whether a change is an event.
import type { DhcpInfo, NmView } from "../events/event";

/** The values a network manager reports for a link (networkd's properties, NetworkManager's device state). */
export type LinkProperty =
  | "OperationalState"
  | "AdministrativeState"
  | "CarrierState"
  | "AddressState"
  | "OnlineState"
  /** NetworkManager's device state name (activated, disconnected, …). */
  | "DeviceState"
  /** NetworkManager's host name (the manager's own value). */
  | "Hostname"
  /** NetworkManager's DNS configuration, as JSON (the manager's own value; dns-change). */
  | "DnsConfiguration";

export type LinkProperties = Partial<Record<LinkProperty, string>>;

/** What a manager knows of a link beyond its state (networkd's DescribeLink, NetworkManager's Ip4Config…). */
export interface LinkDetails {
  dns: string[];
  domains: string[];
  dhcp?: DhcpInfo | null;
  /** NetworkManager: the device's connection and configurations. */
  nm?: NmView | null;
}

/** A link's current lease and what of it makes a new event when it changes. */
export interface LeaseData {
  info: DhcpInfo;
  fingerprint: string;
}

/**
 * A short, bounded wait for a fact that arrives on another channel than the
 * event (the kernel's address after networkd's "routable", the lease file after
 * dhclient's address). An event is delayed by it, never lost.
 */
class Wait {
  private timer: NodeJS.Timeout | undefined;
  private expired = false;

  /** A wait is under way. */
  get started(): boolean {
    return this.timer !== undefined;
  }

  /** True while waiting (starting the wait on the first call); false once it ran out or the fact came, until reset(). */
  waiting(ms: number, onTimeout: () => void): boolean {
    if (this.expired) return false;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.expired = true;
      onTimeout();
    }, ms);
    return true;
  }

  /** The awaited fact arrived: the wait ends and the next check passes. */
  arrived(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.expired = true;
  }

  reset(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.expired = false;
  }
}

export interface LinkRecord {
  readonly index: number;
  name: string;
  /** The state scripts last ran for; null before the first. */
  state: string | null;
  /** What that run was about; a different fingerprint in the same state runs it again. */
  fingerprint: string | null;
  /** The manager's last values, when a manager reports this link. */
  manager: LinkProperties | undefined;
  /** Values asked of the manager (a new link's first signal lacked them): variables only, never a change. */
  asked: LinkProperties | undefined;
  /** A manager's up state that waits for the kernel's first global address. */
  pendingUp: string | null;
  /** dhclient: the routable link waits for a lease naming its address. */
  readonly leaseWait: Wait;
  /** A manager's up state waits for the kernel's address. */
  readonly addressWait: Wait;
  lease: LeaseData | null;
}

export type Emit = (link: LinkRecord, previous: string | null) => void;

export class LinkTable {
  private readonly links = new Map<number, LinkRecord>();

  constructor(private readonly emit: Emit) {}

  get(index: number): LinkRecord | undefined {
    return this.links.get(index);
  }

  all(): LinkRecord[] {
    return [...this.links.values()];
  }

  /** The link's record, made on first sight; the name follows renames. */
  ensure(index: number, name: string): LinkRecord {
    let link = this.links.get(index);
    if (!link) {
      link = {
        index,
        name,
        state: null,
        fingerprint: null,
        manager: undefined,
        asked: undefined,
        pendingUp: null,
        leaseWait: new Wait(),
        addressWait: new Wait(),
        lease: null,
      };
      this.links.set(index, link);
    }
    link.name = name;
    return link;
  }

  /** Records the state; emits unless nothing changed or `silent` (startup without triggers). */
  setState(index: number, name: string, state: string, fingerprint: string, silent = false): boolean {
    const link = this.ensure(index, name);
    if (link.state === state && link.fingerprint === fingerprint) return false;
    const previous = link.state;
    link.state = state;
    link.fingerprint = fingerprint;
    if (!silent) this.emit(link, previous);
    return !silent;
  }

  /** Forgets the link's state (the link or the manager's device is gone); its waits end. */
  remove(index: number): void {
    const link = this.links.get(index);
    link?.leaseWait.reset();
    link?.addressWait.reset();
    this.links.delete(index);
  }

  /** Ends every wait (the daemon stops). */
  clear(): void {
    for (const link of this.links.values()) {
      link.leaseWait.reset();
      link.addressWait.reset();
    }
  }
}
