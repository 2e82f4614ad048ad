// What the kernel tables say about one link, in the event object's terms.
import type { AddressInfo, LinkInfo } from "../events/event";
import type { Tables } from "../kernel/tables";
import { type Address, familyName } from "../netlink/address";
import { AF_INET, RT_SCOPE, RT_TABLE, RTN } from "../netlink/constants";
import type { Link } from "../netlink/link";

export function linkAddresses(t: Tables, index: number): Address[] {
  return [...t.addresses.values()].filter((a) => a.index === index);
}

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

/** The link's default gateway in the main table (lowest metric), per family. */
export function defaultGateway(t: Tables, index: number, family: number): string | null {
  let best: { gw: string; metric: number } | undefined;
  for (const r of t.routes.values()) {
    if (r.family !== family || r.table !== RT_TABLE.MAIN || r.dstLength !== 0 || r.type !== RTN.UNICAST)
      continue;
    if (r.oif !== index || !r.gateway) continue;
    const metric = r.priority ?? 0;
    if (!best || metric < best.metric) best = { gw: r.gateway, metric };
  }
  return best?.gw ?? null;
}

export const isIPv4 = (family: number): boolean => family === AF_INET;
