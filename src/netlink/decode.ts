import { type Address, parseAddress } from "./address";
import { NLM_F, RTM } from "./constants";
import { type Link, parseLink } from "./link";
import type { NlMessage } from "./message";
import { parseRoute, type Route } from "./route";
import { parseRule, type Rule } from "./rule";

type RtAction = "new" | "del";

export type RtMessage =
  | { kind: "link"; action: RtAction; link: Link }
  | { kind: "address"; action: RtAction; address: Address }
  | { kind: "route"; action: RtAction; route: Route; replace: boolean }
  | { kind: "rule"; action: RtAction; rule: Rule };

/** The typed rtnetlink message, or null for types netevd does not track. Throws NetlinkParseError. */
export function decodeRt(msg: NlMessage): RtMessage | null {
  const { type, flags } = msg.header;
  switch (type) {
    case RTM.NEWLINK:
    case RTM.DELLINK:
      return { kind: "link", action: type === RTM.NEWLINK ? "new" : "del", link: parseLink(msg.payload) };
    case RTM.NEWADDR:
    case RTM.DELADDR:
      return {
        kind: "address",
        action: type === RTM.NEWADDR ? "new" : "del",
        address: parseAddress(msg.payload),
      };
    case RTM.NEWROUTE:
    case RTM.DELROUTE:
      return {
        kind: "route",
        action: type === RTM.NEWROUTE ? "new" : "del",
        route: parseRoute(msg.payload),
        replace: (flags & NLM_F.REPLACE) !== 0,
      };
    case RTM.NEWRULE:
    case RTM.DELRULE:
      return { kind: "rule", action: type === RTM.NEWRULE ? "new" : "del", rule: parseRule(msg.payload) };
    default:
      return null;
  }
}
