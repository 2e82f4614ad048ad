// Identity of kernel objects in netevd's tables.
import type { Address } from "../netlink/address";
import type { Route } from "../netlink/route";
import type { Rule } from "../netlink/rule";

// Keys are joined, not templated: a template makes a rope of small strings, and
// the tables keep every key (13 rope pieces per route, 21 MB for 50,000 routes).
export const addressKey = (a: Address): string =>
  [a.index, a.family, `${a.address}/${a.prefixLength}`, a.peer ?? ""].join("|");

/** What the kernel treats as the same route: a NEWROUTE with NLM_F_REPLACE replaces it. */
export const routeIdentity = (r: Route): string =>
  [
    r.family,
    r.table,
    `${r.dst ?? "default"}/${r.dstLength}`,
    `${r.src ?? ""}/${r.srcLength}`,
    r.tos,
    r.priority ?? 0,
    r.type,
  ].join("|");

/** One entry of a dump: IPv6 ECMP siblings share an identity and differ by next hop. */
export const routeKey = (r: Route): string => [routeIdentity(r), r.oif ?? 0, r.gateway ?? ""].join("|");

export const ruleKey = (r: Rule): string =>
  [
    r.family,
    r.priority ?? "",
    `${r.src ?? ""}/${r.srcLength}`,
    `${r.dst ?? ""}/${r.dstLength}`,
    r.table,
    r.action,
    r.tos,
    r.iifname ?? "",
    r.oifname ?? "",
    r.fwmark ?? "",
    r.protocol ?? "",
    r.flags,
  ].join("|");
