// Questions about one link asked of the kernel's tables.
import { RT_TABLE, RTN } from "../netlink/constants";
import type { Address } from "../netlink/address";
import type { Tables } from "./tables";

export function linkAddresses(t: Tables, index: number): Address[] {
  return [...t.addresses.ofLink(index).values()];
}

/** The link's default gateway in the main table (lowest metric), per family. */
export function defaultGateway(t: Tables, index: number, family: number): string | null {
  let best: { gw: string; metric: number } | undefined;
  for (const r of t.routes.defaultsOfLink(index).values()) {
    if (r.family !== family || r.table !== RT_TABLE.MAIN || r.type !== RTN.UNICAST) continue;
    if (!r.gateway) continue;
    const metric = r.priority ?? 0;
    if (!best || metric < best.metric) best = { gw: r.gateway, metric };
  }
  return best?.gw ?? null;
}
