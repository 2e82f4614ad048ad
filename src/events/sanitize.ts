// Values a DHCP server or peer controls are checked before any script sees
// them: an invalid one is dropped (with a reason for the log), the event still
// goes on. Nothing here is ever passed through a shell; these checks keep
// scripts that are careless with quoting safe as well.
import { isIP } from "node:net";
import { hasControl } from "../util/control";
import type { AddressInfo, DhcpInfo, NetworkEvent, RouteInfo } from "./event";

const MAX_LIST = 32;
const MAX_LEASE_TEXT = 16 * 1024;
const MAX_NAME = 253;

export interface Dropped {
  field: string;
  reason: string;
}

const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** RFC 1123 host or domain name; a single trailing dot is allowed. */
export function isDnsName(name: string): boolean {
  const bare = name.endsWith(".") ? name.slice(0, -1) : name;
  if (bare.length === 0 || bare.length > MAX_NAME) return false;
  return bare.split(".").every((label) => LABEL.test(label));
}

function isAddress(text: string): boolean {
  return isIP(text) !== 0;
}

/** Checks values, keeping only the valid ones and why the others went. */
class Checks {
  readonly dropped: Dropped[] = [];

  drop(field: string, value: unknown, why: string): void {
    const shown = JSON.stringify(
      typeof value === "string" && value.length > 80 ? `${value.slice(0, 77)}...` : value,
    );
    this.dropped.push({ field, reason: `${shown}: ${why}` });
  }

  address(field: string, v: string | null): string | null {
    if (v === null) return null;
    if (isAddress(v)) return v;
    this.drop(field, v, "not an IP address");
    return null;
  }

  addressList(field: string, list: string[]): string[] {
    return this.capped(field, list).flatMap((v, i) => {
      const ok = this.address(`${field}[${i}]`, v);
      return ok === null ? [] : [ok];
    });
  }

  name(field: string, v: string | null): string | null {
    if (v === null) return null;
    if (isDnsName(v)) return v;
    this.drop(field, v, "not an RFC 1123 name");
    return null;
  }

  nameList(field: string, list: string[]): string[] {
    return this.capped(field, list).filter((d, i) => this.name(`${field}[${i}]`, d) !== null);
  }

  capped<T>(field: string, list: T[]): T[] {
    if (list.length <= MAX_LIST) return list;
    this.drop(field, `${list.length} entries`, `more than ${MAX_LIST}; the rest are dropped`);
    return list.slice(0, MAX_LIST);
  }
}

/**
 * A lease's values as scripts get them (DHCP_*) and as systemd-resolved and
 * systemd-hostnamed are given them: one check for both. Invalid entries of a
 * list go one by one; the rest stay.
 */
export function sanitizeDhcp(d: DhcpInfo, checks = new Checks()): { dhcp: DhcpInfo; dropped: Dropped[] } {
  // dhclient's domain-name may be a space-separated search list.
  const domains =
    d.domain === null ? [] : checks.nameList("dhcp.domain", d.domain.split(" ").filter(Boolean));
  let lease = d.lease_text;
  if (lease !== null && (lease.length > MAX_LEASE_TEXT || hasControl(lease, true))) {
    checks.drop(
      "dhcp.lease",
      `${lease.length} characters`,
      `longer than ${MAX_LEASE_TEXT} or holds control characters`,
    );
    lease = null;
  }
  const dhcp: DhcpInfo = {
    address: checks.address("dhcp.address", d.address),
    gateway: checks.address("dhcp.gateway", d.gateway),
    dns: checks.addressList("dhcp.dns", d.dns),
    domain: domains.length ? domains.join(" ") : null,
    hostname: checks.name("dhcp.hostname", d.hostname),
    lease_seconds:
      d.lease_seconds !== null && Number.isSafeInteger(d.lease_seconds) && d.lease_seconds >= 0
        ? d.lease_seconds
        : null,
    server: checks.address("dhcp.server", d.server),
    lease_text: lease,
    ...(d.subnet_mask === undefined
      ? {}
      : { subnet_mask: checks.address("dhcp.subnet_mask", d.subnet_mask) }),
  };
  return { dhcp, dropped: checks.dropped };
}

/** A copy of the event holding only values that passed validation. */
export function sanitizeEvent(e: NetworkEvent): { event: NetworkEvent; dropped: Dropped[] } {
  const checks = new Checks();
  const drop = checks.drop.bind(checks);

  const link = { ...e.link };
  if (hasControl(link.name) || link.name.length > 15 || link.name.includes("/")) {
    drop("link.name", link.name, "not an interface name");
    link.name = `if${link.index}`;
  }
  if (link.mac !== null && !/^[0-9a-f]{2}(?::[0-9a-f]{2}){1,31}$/i.test(link.mac)) {
    drop("link.mac", link.mac, "not a hardware address");
    link.mac = null;
  }

  const addresses: AddressInfo[] = checks.capped("addresses", e.addresses).filter((a, i) => {
    const ok =
      isAddress(a.address) && a.prefix_length >= 0 && a.prefix_length <= (a.family === "ipv4" ? 32 : 128);
    if (!ok) drop(`addresses[${i}]`, a.address, "not an address with a valid prefix length");
    return ok;
  });

  const domains = checks.nameList("domains", e.domains);
  const dhcp = e.dhcp ? sanitizeDhcp(e.dhcp, checks).dhcp : null;

  let route: RouteInfo | null = e.route;
  if (route && route.gateway !== null && !isAddress(route.gateway)) {
    drop("route.gateway", route.gateway, "not an IP address");
    route = { ...route, gateway: null };
  }

  return {
    event: {
      ...e,
      link,
      addresses,
      gateway: checks.address("gateway", e.gateway),
      gateway6: checks.address("gateway6", e.gateway6),
      dns: checks.addressList("dns", e.dns),
      domains,
      dhcp,
      route,
    },
    dropped: checks.dropped,
  };
}
