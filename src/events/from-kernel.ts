// The kernel's objects in the event's terms (what scripts and the API see).
import { RT_SCOPE, RT_TABLE, RTN, RTPROT_NAMES } from "../netlink/constants";
import { type Address, familyName } from "../netlink/address";
import type { Link } from "../netlink/link";
import { type Route, routeDestination } from "../netlink/route";
import { NETEVD_RTPROT, NETEVD_RTPROT_NAME } from "../kernel/protocol";
import type { AddressInfo, LinkInfo, RouteInfo } from "./event";

export function linkInfo(l: Link): LinkInfo {
  return {
    name: l.name,
    index: l.index,
    mac: l.mac,
    mtu: l.mtu,
    kind: l.kind,
    operstate: l.operstate,
    carrier: l.carrier,
  };
}

const SCOPE_NAMES: Record<number, AddressInfo["scope"]> = {
  [RT_SCOPE.UNIVERSE]: "global",
  [RT_SCOPE.SITE]: "site",
  [RT_SCOPE.LINK]: "link",
  [RT_SCOPE.HOST]: "host",
  [RT_SCOPE.NOWHERE]: "nowhere",
};

export function addressInfo(a: Address): AddressInfo {
  return {
    address: a.address,
    prefix_length: a.prefixLength,
    family: familyName(a.family),
    scope: SCOPE_NAMES[a.scope] ?? "global",
  };
}

/** Not netevd's own, not the kernel's local/broadcast/multicast bookkeeping. */
export function isReportedRoute(r: Route): boolean {
  if (r.protocol === NETEVD_RTPROT || r.table === RT_TABLE.LOCAL) return false;
  return (
    r.type === RTN.UNICAST ||
    r.type === RTN.BLACKHOLE ||
    r.type === RTN.UNREACHABLE ||
    r.type === RTN.PROHIBIT
  );
}

export function routeInfo(action: "add" | "remove", r: Route): RouteInfo {
  return {
    action: action === "add" ? "add" : "del",
    dst: routeDestination(r),
    gateway: r.gateway,
    table: r.table,
    protocol:
      r.protocol === NETEVD_RTPROT ? NETEVD_RTPROT_NAME : (RTPROT_NAMES[r.protocol] ?? String(r.protocol)),
    metric: r.priority,
  };
}
