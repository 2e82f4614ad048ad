// A lease in the event's terms (DHCP_* and JSON `dhcp`). The values come from
// a DHCP server: the event sanitizer checks them before any script sees them.
import type { DhcpInfo } from "../../events/event";
import { type Lease, option } from "./lease-parser";

const first = (v: string[]): string | null => v[0] ?? null;

export function leaseInfo(lease: Lease): DhcpInfo {
  const v6 = lease.family === 6;
  const search = option(lease, v6 ? "dhcp6.domain-search" : "domain-search").map((d) => d.replace(/\.$/, ""));
  const domainName = first(option(lease, "domain-name"));
  // domain-name may hold several space-separated names; domain-search adds more.
  const domains = [...(domainName ? domainName.split(/\s+/) : []), ...search].filter(
    (d, i, all) => d !== "" && all.indexOf(d) === i,
  );
  const seconds = Number(first(option(lease, "dhcp-lease-time")) ?? NaN);
  return {
    address: lease.address,
    gateway: v6 ? null : first(option(lease, "routers")),
    dns: option(lease, v6 ? "dhcp6.name-servers" : "domain-name-servers"),
    domain: domains.length ? domains.join(" ") : null,
    hostname: first(option(lease, "host-name")),
    lease_seconds: Number.isSafeInteger(seconds) ? seconds : null,
    // A v6 server id is a DUID, not an address.
    server: v6 ? null : first(option(lease, "dhcp-server-identifier")),
    lease_text: lease.text,
    subnet_mask: v6 ? null : first(option(lease, "subnet-mask")),
  };
}

/** What makes a renewal "new data": everything but the timers dhclient rewrites on every renewal. */
export function leaseFingerprint(info: DhcpInfo): string {
  return JSON.stringify([info.address, info.gateway, info.dns, info.domain, info.hostname, info.server]);
}

/** A lease still in force at `now` (an expired last block, e.g. after a reboot, is not current). */
export function leaseActive(lease: Lease, now: Date): boolean {
  return lease.expire === null || lease.expire.getTime() > now.getTime();
}
