// networkd's DescribeLink reply (JSON, keys present only when set), parsed
// once per call and read by the event's details and by the DHCPv6 lease.
import type { LinkDetails } from "../../links/link-table";
import { formatIp } from "../../netlink/ip";

export type DescribeReply = Record<string, unknown>;

/** The reply as an object, or null when it is not one. */
export function parseDescribe(json: string): DescribeReply | null {
  try {
    const d: unknown = JSON.parse(json);
    return typeof d === "object" && d !== null && !Array.isArray(d) ? (d as DescribeReply) : null;
  } catch {
    return null;
  }
}

/** An address as text: a string, or (networkd 252) a byte array. */
export function ipOf(v: unknown): string | null {
  if (typeof v === "string") return v;
  if (Array.isArray(v) && v.every((b) => Number.isInteger(b) && b >= 0 && b < 256))
    return formatIp(Uint8Array.from(v as number[]));
  return null;
}

/** DNS servers and domains of a reply (entries may be strings or objects). */
export function parseDescribeLink(reply: DescribeReply | string): LinkDetails {
  const d = typeof reply === "string" ? parseDescribe(reply) : reply;
  if (!d) return { dns: [], domains: [] };
  // Entries are strings, or objects with the text (AddressString, Domain) or the address bytes.
  const list = (v: unknown, key: string): string[] =>
    Array.isArray(v)
      ? v.flatMap((e) => {
          if (typeof e === "string") return [e];
          const o = e as Record<string, unknown> | null;
          const s = o?.[key];
          if (typeof s === "string") return [s];
          return ipOf(o?.Address) ?? [];
        })
      : [];
  return { dns: list(d.DNS, "AddressString"), domains: list(d.SearchDomains, "Domain") };
}
