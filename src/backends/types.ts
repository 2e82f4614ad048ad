// What a network-manager backend tells the daemon: new property values, taken
// from the manager's own signals.
import type { DhcpChange } from "../events/event";
import type { LeaseData, LinkDetails, LinkProperties, LinkProperty } from "../links/link-table";

export interface BackendSink {
  /** A link's properties: `initial` during (re-)enumeration, otherwise from a change signal. */
  link(
    ifindex: number,
    name: string | null,
    props: LinkProperties,
    initial: boolean,
    /** Values asked of the manager for a link its signal was the first word of: facts, not changes. */
    asked?: LinkProperties,
  ): void;
  /** The link is gone from the manager (NetworkManager's DeviceRemoved). */
  removed?(ifindex: number): void;
  /** The manager's own state changed (the `manager` event). */
  manager(props: LinkProperties, initial: boolean): void;
  /**
   * A happening that is not a state, with the values it brings: a link's
   * (NetworkManager's dhcp4-change) or the manager's (index 0: hostname,
   * connectivity-change). `initial`: read while (re)enumerating, an event only
   * after netevd's start, and then even with the same values.
   */
  event?(
    ifindex: number,
    event: string,
    props?: LinkProperties,
    initial?: boolean,
    /** A lease event's kind (systemd-networkd's dhcp4-change). */
    dhcpChange?: DhcpChange,
  ): void;
}

export interface Backend {
  /** The properties whose new values are events, the first one also the startup trigger. */
  readonly eventProperties: readonly LinkProperty[];
  start(): Promise<void>;
  /** DNS servers and domains the manager knows for a link (for the event), or null. */
  details(ifindex: number, event?: string): Promise<LinkDetails | null>;
  /**
   * Details are read when the change is seen, not when the link's queue
   * reaches it: NetworkManager hands its dispatcher the configuration of the
   * moment (a reactivation in between would empty it).
   */
  readonly detailsAtChange?: boolean;
  /** The link's DHCP lease as the manager holds it now (systemd-networkd's lease files). */
  lease?(ifindex: number, family?: 4 | 6): LeaseData | null;
  /**
   * The kernel announced an IPv6 address of the link (new, or its lifetimes
   * renewed): networkd's DHCPv6 renewals show there first.
   */
  addressAnnounced?(ifindex: number): void;
  stop(): void;
}
