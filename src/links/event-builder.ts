// The one place an event is built, for the daemon and for `netevd test`, so
// both give a script the same environment by construction: the kernel's facts
// of the link, the manager's values, the current lease.
import { addressInfo, linkInfo } from "../events/from-kernel";
import { emptyStates, type DhcpInfo, type NetworkEvent, type RouteInfo } from "../events/event";
import type { Backend } from "../events/names";
import { defaultGateway, linkAddresses } from "../kernel/queries";
import type { Tables } from "../kernel/tables";
import { AF_INET, AF_INET6 } from "../netlink/constants";
import type { Link } from "../netlink/link";
import { kernelLinkState } from "./kernel-link-state";
import type { LinkDetails, LinkProperties } from "./link-table";

export interface EventSource {
  tables: Tables;
  backend: Backend;
  /** A manager (networkd, NetworkManager) reports the link states. */
  managed: boolean;
}

/** A link that is not (yet) in the kernel's table, or the manager itself (index 0). */
export function stubLink(index: number, name: string): Link {
  return {
    index,
    name,
    type: 0,
    flags: 0,
    up: true,
    lowerUp: true,
    mtu: null,
    mac: null,
    operstate: "unknown",
    carrier: null,
    master: null,
    kind: null,
  };
}

/** Addresses and default gateways of the link, as the kernel's tables have them now. */
export function kernelFacts(
  t: Tables,
  index: number,
): Pick<NetworkEvent, "addresses" | "gateway" | "gateway6"> {
  return {
    addresses: linkAddresses(t, index).map(addressInfo),
    gateway: defaultGateway(t, index, AF_INET),
    gateway6: defaultGateway(t, index, AF_INET6),
  };
}

function states(link: Link, src: EventSource, manager: LinkProperties | undefined): NetworkEvent["state"] {
  const state = emptyStates();
  const kernelState = () => kernelLinkState(link, linkAddresses(src.tables, link.index));
  if (manager?.DeviceState !== undefined) {
    // NetworkManager: its device state; the operational state is the kernel's.
    state.administrative = manager.DeviceState;
    state.operational = kernelState();
    state.carrier = link.carrier === false ? "no-carrier" : "carrier";
  } else if (src.managed) {
    state.operational = manager?.OperationalState ?? null;
    state.administrative = manager?.AdministrativeState ?? null;
    state.carrier = manager?.CarrierState ?? null;
    state.address = manager?.AddressState ?? null;
    state.online = manager?.OnlineState || null;
  } else {
    state.operational = kernelState();
    state.carrier = link.carrier === false ? "no-carrier" : "carrier";
  }
  return state;
}

export function buildEvent(
  name: string,
  link: Link,
  route: RouteInfo | null,
  src: EventSource,
  manager: LinkProperties | undefined,
  lease: DhcpInfo | null,
): NetworkEvent {
  return withLease(
    {
      event: name,
      time: new Date(),
      backend: src.backend,
      link: linkInfo(link),
      state: states(link, src, manager),
      ...kernelFacts(src.tables, link.index),
      dns: [],
      domains: [],
      dhcp: null,
      route,
    },
    lease,
  );
}

/** The lease's data: DHCP_*, and the DNS servers and domains unless a manager gives its own. */
function withLease(e: NetworkEvent, lease: DhcpInfo | null): NetworkEvent {
  if (!lease) return e;
  return { ...e, dhcp: lease, dns: lease.dns, domains: lease.domain?.split(/\s+/).filter(Boolean) ?? [] };
}

/** What the manager knows of the link (DescribeLink, Ip4Config…): its DNS, domains and DHCP data. */
export function withDetails(e: NetworkEvent, d: LinkDetails | null | undefined): NetworkEvent {
  if (!d) return e;
  // A lease event keeps the lease of its moment; other events take the manager's latest.
  const dhcp = e.dhcpChange || d.dhcp === undefined ? e.dhcp : d.dhcp;
  return { ...e, dns: d.dns, domains: d.domains, dhcp, nm: d.nm ?? e.nm };
}
