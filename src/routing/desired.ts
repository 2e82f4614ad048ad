// What policy routing should look like, computed from the kernel's tables and
// the configuration alone (netevd.8, POLICY ROUTING): for each policy link and each of its
// global addresses, "from ADDR lookup T" and "to ADDR lookup T" rules; in T the
// link's connected prefixes and a default route via its gateway. T is
// table_base + ifindex. Pure: the reconciler diffs this against the kernel.
import type { Tables } from "../kernel/tables";
import type { Address } from "../netlink/address";
import { AF_INET, AF_INET6, RT_SCOPE, RTN } from "../netlink/constants";
import { formatIp, ipBytes } from "../netlink/ip";
import type { Link } from "../netlink/link";
import type { RouteSpec } from "../netlink/route";
import type { RuleSpec } from "../netlink/rule";
import { defaultGateway } from "../kernel/queries";
import { NETEVD_RTPROT } from "../kernel/protocol";

export interface PolicySettings {
  /** Links that get policy routing (names or globs, compiled). */
  matches: (name: string) => boolean;
  tableBase: number;
  ipv6: boolean;
  fromPriority: number;
  toPriority: number;
}

interface Refusal {
  link: string;
  table: number;
  reason: string;
}

export interface DesiredPolicy {
  rules: RuleSpec[];
  routes: RouteSpec[];
  refused: Refusal[];
}

/** Tables netevd must never use: default, main, local (and 0, unspec). */
const RESERVED_TABLES = new Set([0, 253, 254, 255]);
const MAX_TABLE = 0xffff_ffff;
const IFA_F_DADFAILED = 0x08;

/** Why table_base + ifindex cannot be used, or undefined. */
export function tableProblem(tableBase: number, ifindex: number): string | undefined {
  const t = tableBase + ifindex;
  if (t > MAX_TABLE) return `table ${t} (table_base ${tableBase} + ifindex ${ifindex}) is above ${MAX_TABLE}`;
  if (RESERVED_TABLES.has(t))
    return `table ${t} (table_base ${tableBase} + ifindex ${ifindex}) is reserved (253 default, 254 main, 255 local); choose another routing.table_base`;
  return undefined;
}

/** The network address of addr/len ("10.1.2.3", 24 → "10.1.2.0"). */
export function networkOf(address: string, prefixLength: number): string {
  const bytes = ipBytes(address);
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, prefixLength - i * 8));
    bytes[i] = (bytes[i] as number) & ((0xff << (8 - keep)) & 0xff);
  }
  return formatIp(bytes) as string;
}

function policyAddresses(t: Tables, link: Link, ipv6: boolean): Address[] {
  return [...t.addresses.ofLink(link.index).values()].filter(
    (a) =>
      a.scope === RT_SCOPE.UNIVERSE &&
      !(a.flags & IFA_F_DADFAILED) &&
      (a.family === AF_INET || (ipv6 && a.family === AF_INET6)),
  );
}

export function desiredPolicy(t: Tables, links: Iterable<Link>, s: PolicySettings): DesiredPolicy {
  const out: DesiredPolicy = { rules: [], routes: [], refused: [] };
  for (const link of links) {
    if (!s.matches(link.name)) continue;
    const addresses = policyAddresses(t, link, s.ipv6);
    if (addresses.length === 0) continue;
    const table = s.tableBase + link.index;
    const problem = tableProblem(s.tableBase, link.index);
    if (problem) {
      out.refused.push({ link: link.name, table, reason: problem });
      continue;
    }
    const prefixes = new Set<string>();
    const families = new Set<number>();
    for (const a of addresses) {
      const full = a.family === AF_INET ? 32 : 128;
      families.add(a.family);
      for (const [dir, priority] of [
        ["src", s.fromPriority],
        ["dst", s.toPriority],
      ] as const) {
        out.rules.push({
          family: a.family,
          table,
          priority,
          protocol: NETEVD_RTPROT,
          ...(dir === "src" ? { src: a.address, srcLength: full } : { dst: a.address, dstLength: full }),
        });
      }
      if (a.prefixLength >= full) continue; // a host address has no connected prefix
      const dst = networkOf(a.address, a.prefixLength);
      const key = `${a.family}|${dst}/${a.prefixLength}`;
      if (prefixes.has(key)) continue;
      prefixes.add(key);
      out.routes.push({
        family: a.family,
        table,
        protocol: NETEVD_RTPROT,
        scope: RT_SCOPE.LINK,
        type: RTN.UNICAST,
        dst,
        dstLength: a.prefixLength,
        oif: link.index,
      });
    }
    for (const family of families) {
      const gateway = defaultGateway(t, link.index, family);
      if (!gateway) continue;
      out.routes.push({
        family,
        table,
        protocol: NETEVD_RTPROT,
        scope: RT_SCOPE.UNIVERSE,
        type: RTN.UNICAST,
        dst: null,
        dstLength: 0,
        gateway,
        oif: link.index,
      });
    }
  }
  return out;
}

/** Identity of a rule as netevd compares it with the kernel's. */
export function ruleId(r: {
  family: number;
  table: number;
  priority?: number | null;
  src?: string | null;
  srcLength?: number;
  dst?: string | null;
  dstLength?: number;
}): string {
  return `${r.family}|${r.table}|${r.priority ?? ""}|${r.src ?? ""}/${r.srcLength ?? 0}|${r.dst ?? ""}/${r.dstLength ?? 0}`;
}

/** Identity of a route as netevd compares it with the kernel's (metric aside: the kernel picks IPv6's). */
export function routeId(r: {
  family: number;
  table: number;
  dst?: string | null;
  dstLength?: number;
  gateway?: string | null;
  oif?: number | null;
}): string {
  return `${r.family}|${r.table}|${r.dst ?? ""}/${r.dstLength ?? 0}|${r.gateway ?? ""}|${r.oif ?? 0}`;
}
