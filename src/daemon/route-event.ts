// Which kernel route changes are `routes` events, and what scripts see of them.
import type { RouteInfo } from "../events/event";
import { AF_INET, RT_TABLE, RTN, RTPROT_NAMES } from "../netlink/constants";
import type { Route } from "../netlink/route";
import { NETEVD_RTPROT, NETEVD_RTPROT_NAME } from "../routing/protocol";

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
  const v4 = r.family === AF_INET;
  return {
    action: action === "add" ? "add" : "del",
    dst: r.dstLength === 0 ? "default" : `${r.dst ?? (v4 ? "0.0.0.0" : "::")}/${r.dstLength}`,
    gateway: r.gateway,
    table: r.table,
    protocol:
      r.protocol === NETEVD_RTPROT ? NETEVD_RTPROT_NAME : (RTPROT_NAMES[r.protocol] ?? String(r.protocol)),
    metric: r.priority,
  };
}
