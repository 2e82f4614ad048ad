// The event object: what one state change means for one link. The script
// environment and the JSON variable are both derived from it (and nothing else).
import type { Backend } from "./names";

export interface LinkInfo {
  name: string;
  index: number;
  mac: string | null;
  mtu: number | null;
  kind: string | null;
  operstate: string | null;
  carrier: boolean | null;
}

export interface AddressInfo {
  address: string;
  prefix_length: number;
  family: "ipv4" | "ipv6";
  scope: "global" | "site" | "link" | "host" | "nowhere";
}

export interface LinkStates {
  operational: string | null;
  administrative: string | null;
  carrier: string | null;
  address: string | null;
  online: string | null;
}

export interface DhcpInfo {
  address: string | null;
  gateway: string | null;
  dns: string[];
  domain: string | null;
  hostname: string | null;
  lease_seconds: number | null;
  server: string | null;
  /** The lease block as dhclient wrote it; DHCP_LEASE only, not in JSON. */
  lease_text: string | null;
}

export interface RouteInfo {
  action: "add" | "del";
  dst: string;
  gateway: string | null;
  table: number;
  protocol: string;
  metric: number | null;
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
}

export const EVENT_JSON_SCHEMA = "netevd.event.v1";

export function emptyStates(): LinkStates {
  return { operational: null, administrative: null, carrier: null, address: null, online: null };
}

/** The JSON variable (netevd.event.v1): snake_case, every key present, unknown = null. */
export function eventJson(e: NetworkEvent): Record<string, unknown> {
  return {
    schema: EVENT_JSON_SCHEMA,
    event: e.event,
    time: e.time.toISOString(),
    backend: e.backend,
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
    route: e.route ? { ...e.route } : null,
  };
}
