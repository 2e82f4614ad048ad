// The event object: what one state change means for one link. The script
// environment and the JSON variable are both derived from it (and nothing else).
import type { AddressInfo, DhcpJson, EventJson, LinkInfo, LinkStates, RouteInfo } from "./event-schema";
import { type Backend, type DhcpChange, EVENT_JSON_SCHEMA } from "./names";

export type { AddressInfo, DhcpChange, EventJson, LinkInfo, LinkStates, RouteInfo };

export type DhcpInfo = DhcpJson & {
  /** The lease block as dhclient wrote it; DHCP_LEASE only, not in JSON. */
  lease_text: string | null;
  /** The lease's subnet mask (IPv4); for scripts of the Rust netevd (DHCP_SUBNET_MASK), not in JSON. */
  subnet_mask?: string | null;
};

/** One IP configuration as NetworkManager reports it (its IP4Config/IP6Config objects). */
export interface NmIpConfig {
  /** `peer`: a point-to-point address's far end. */
  addresses: { address: string; prefix: number; peer?: string }[];
  gateway: string;
  routes: { dest: string; prefix: number; nextHop: string; metric: number }[];
  nameservers: string[];
  domains: string[];
}

/**
 * NetworkManager's view of a device when the event ran: the active
 * connection, its IP configurations and DHCP options. Scripts written for
 * NetworkManager-dispatcher get it in its variables; not in JSON.
 */
export interface NmView {
  connection: { id: string; uuid: string; path: string; filename: string; external: boolean } | null;
  iface: string;
  ipIface: string;
  ip4: NmIpConfig | null;
  ip6: NmIpConfig | null;
  dhcp4: Record<string, string> | null;
  dhcp6: Record<string, string> | null;
  /** The device was activated when read (nm-dispatcher gives a device's configurations only then). */
  activated: boolean;
  /**
   * vpn-up and vpn-down: the VPN's own interface (null: it has none, its
   * addresses are on the device's) and its IP configurations (vpn-up only);
   * `connection` is then the VPN's, the rest its parent device's.
   */
  vpn?: { ipIface: string | null; ip4: NmIpConfig | null; ip6: NmIpConfig | null };
}

export interface NetworkEvent {
  event: string;
  time: Date;
  backend: Backend;
  link: LinkInfo;
  state: LinkStates;
  addresses: AddressInfo[];
  gateway: string | null;
  gateway6: string | null;
  dns: string[];
  domains: string[];
  dhcp: DhcpInfo | null;
  route: RouteInfo | null;
  /** The link's network namespace (its name under /run/netns); null: netevd's own. */
  netns?: string | null;
  /** netns events: what happened to the namespace. */
  netnsAction?: "created" | "deleted";
  /** NetworkManager backend: the device as NetworkManager saw it (read when scripts run). */
  nm?: NmView | null;
  /**
   * The link's state did not change: its facts did (a new address, gateway or
   * lease re-runs the up state). Other dispatchers' styles never ran these.
   */
  rerun?: boolean;
  /** Lease events of systemd-networkd: what happened to the lease. */
  dhcpChange?: DhcpChange;
}

/** What an event holds, in bytes (an estimate, for the bounds of queues and logs). */
export function eventBytes(e: {
  addresses: readonly unknown[];
  dns: readonly unknown[];
  domains: readonly unknown[];
}): number {
  return 1024 + 160 * e.addresses.length + 64 * (e.dns.length + e.domains.length);
}

export function emptyStates(): LinkStates {
  return { operational: null, administrative: null, carrier: null, address: null, online: null };
}

/** The JSON variable (netevd.event.v1): snake_case, every key present, unknown = null. */
export function eventJson(e: NetworkEvent): EventJson {
  return {
    schema: EVENT_JSON_SCHEMA,
    event: e.event,
    time: e.time.toISOString(),
    backend: e.backend,
    netns: e.netns ?? null,
    netns_action: e.netnsAction ?? null,
    link: { ...e.link },
    state: { ...e.state },
    addresses: e.addresses.map((a) => ({ ...a })),
    gateway: e.gateway,
    gateway6: e.gateway6,
    dns: [...e.dns],
    domains: [...e.domains],
    dhcp: e.dhcp
      ? {
          address: e.dhcp.address,
          gateway: e.dhcp.gateway,
          dns: [...e.dhcp.dns],
          domain: e.dhcp.domain,
          hostname: e.dhcp.hostname,
          lease_seconds: e.dhcp.lease_seconds,
          server: e.dhcp.server,
        }
      : null,
    dhcp_change: e.dhcpChange ?? null,
    route: e.route ? { ...e.route } : null,
  };
}
