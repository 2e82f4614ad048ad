// systemd-networkd's DHCPv6 lease, as its DescribeLink shows it: networkd
// writes no DHCPv6 lease file, but tags what the lease configured (addresses,
// DNS servers, search domains) with ConfigSource "DHCPv6" and the server's
// address as ConfigProvider. Lifetimes are left out: they are absolute times
// that move at every renewal.
import type { DhcpInfo } from "../../events/event";
import type { LeaseData } from "../../links/link-table";
import { type DescribeReply, ipOf } from "./describe-link";

type Entry = Record<string, unknown>;

const entries = (v: unknown): Entry[] =>
  Array.isArray(v) ? v.filter((e): e is Entry => typeof e === "object" && e !== null) : [];

const fromDhcp6 = (e: Entry) => e.ConfigSource === "DHCPv6";

/**
 * The link's DHCPv6 lease from a DescribeLink reply; null when it has none;
 * "pending" while an address of it is still being set up (tentative, or not
 * configured yet; "requesting,configured" is an update of one that is).
 */
export function dhcp6Lease(d: DescribeReply): LeaseData | null | "pending" {
  const addresses = entries(d.Addresses).filter(fromDhcp6);
  const pending = addresses.some(
    (a) =>
      (typeof a.ConfigState === "string" && !a.ConfigState.split(",").includes("configured")) ||
      (typeof a.FlagsString === "string" && a.FlagsString.split(",").includes("tentative")),
  );
  if (pending) return "pending";
  const list = addresses
    .map((a) => ({ address: ipOf(a.Address), prefix: Number(a.PrefixLength) }))
    .filter((a): a is { address: string; prefix: number } => a.address !== null)
    .sort((a, b) => (a.address < b.address ? -1 : 1));
  const dns = entries(d.DNS)
    .filter(fromDhcp6)
    .flatMap((e) => ipOf(e.AddressString ?? e.Address) ?? []);
  const domains = entries(d.SearchDomains)
    .filter(fromDhcp6)
    .flatMap((e) => (typeof e.Domain === "string" ? [e.Domain] : []));
  if (list.length === 0 && dns.length === 0 && domains.length === 0) return null;
  const provider = [...addresses, ...entries(d.DNS).filter(fromDhcp6)].find((e) => e.ConfigProvider);
  const info: DhcpInfo = {
    address: list[0]?.address ?? null,
    gateway: null,
    dns,
    domain: domains.length ? domains.join(" ") : null,
    hostname: null,
    lease_seconds: null,
    server: provider ? ipOf(provider.ConfigProvider) : null,
    lease_text: null,
  };
  return { info, fingerprint: JSON.stringify([list, dns, domains, info.server]) };
}
