// Link states derived from the kernel alone (backends none and dhclient), with
// the meanings networkd gives them: off (administratively down), no-carrier,
// carrier (no address), degraded (link-local addresses only), routable (a
// global address).
import type { Address } from "../netlink/address";
import { RT_SCOPE } from "../netlink/constants";
import type { Link } from "../netlink/link";

export type KernelLinkState = "off" | "no-carrier" | "carrier" | "degraded" | "routable";

/** IFA_F_TENTATIVE and IFA_F_DADFAILED: not usable yet, or never. */
const UNUSABLE = 0x40 | 0x08;

/** Without copying the addresses: a link with thousands is checked on each of their messages. */
export function kernelLinkState(link: Link, addresses: Iterable<Address>): KernelLinkState {
  if (!link.up) return "off";
  if (link.carrier === false || !link.lowerUp) return "no-carrier";
  let linkLocal = false;
  for (const a of addresses) {
    if (a.flags & UNUSABLE) continue;
    if (a.scope < RT_SCOPE.LINK) return "routable";
    if (a.scope === RT_SCOPE.LINK) linkLocal = true;
  }
  return linkLocal ? "degraded" : "carrier";
}
