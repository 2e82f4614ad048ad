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

export function isAddress(text: string): boolean {
  return isIP(text) !== 0;
}

/** A copy of the event holding only values that passed validation. */
export function sanitizeEvent(e: NetworkEvent): { event: NetworkEvent; dropped: Dropped[] } {
  const dropped: Dropped[] = [];
  const drop = (field: string, value: unknown, why: string) => {
    const shown = JSON.stringify(
      typeof value === "string" && value.length > 80 ? `${value.slice(0, 77)}...` : value,
    );
    dropped.push({ field, reason: `${shown}: ${why}` });
  };
  const address = (field: string, v: string | null): string | null => {
    if (v === null) return null;
    if (isAddress(v)) return v;
    drop(field, v, "not an IP address");
    return null;
  };
  const addressList = (field: string, list: string[]): string[] =>
    capped(field, list).flatMap((v, i) => {
      const ok = address(`${field}[${i}]`, v);
      return ok === null ? [] : [ok];
    });
  const name = (field: string, v: string | null): string | null => {
    if (v === null) return null;
    if (isDnsName(v)) return v;
    drop(field, v, "not an RFC 1123 name");
    return null;
  };
  const capped = <T>(field: string, list: T[]): T[] => {
    if (list.length <= MAX_LIST) return list;
    drop(field, `${list.length} entries`, `more than ${MAX_LIST}; the rest are dropped`);
    return list.slice(0, MAX_LIST);
  };

  const link = { ...e.link };
  if (hasControl(link.name) || link.name.length > 15 || link.name.includes("/")) {
    drop("link.name", link.name, "not an interface name");
    link.name = `if${link.index}`;
  }
  if (link.mac !== null && !/^[0-9a-f]{2}(?::[0-9a-f]{2}){1,31}$/i.test(link.mac)) {
    drop("link.mac", link.mac, "not a hardware address");
    link.mac = null;
  }

  const addresses: AddressInfo[] = capped("addresses", e.addresses).filter((a, i) => {
    const ok =
      isAddress(a.address) && a.prefix_length >= 0 && a.prefix_length <= (a.family === "ipv4" ? 32 : 128);
    if (!ok) drop(`addresses[${i}]`, a.address, "not an address with a valid prefix length");
    return ok;
  });

  const domains = capped("domains", e.domains).filter((d, i) => name(`domains[${i}]`, d) !== null);
  let dhcp: DhcpInfo | null = null;
  if (e.dhcp) {
    const domain = e.dhcp.domain === null ? null : domainList("dhcp.domain", e.dhcp.domain);
    let lease = e.dhcp.lease_text;
    if (lease !== null && (lease.length > MAX_LEASE_TEXT || hasControl(lease, true))) {
      drop(
        "dhcp.lease",
        `${lease.length} characters`,
        `longer than ${MAX_LEASE_TEXT} or holds control characters`,
      );
      lease = null;
    }
    dhcp = {
      address: address("dhcp.address", e.dhcp.address),
      gateway: address("dhcp.gateway", e.dhcp.gateway),
      dns: addressList("dhcp.dns", e.dhcp.dns),
      domain,
      hostname: name("dhcp.hostname", e.dhcp.hostname),
      lease_seconds:
        e.dhcp.lease_seconds !== null &&
        Number.isSafeInteger(e.dhcp.lease_seconds) &&
        e.dhcp.lease_seconds >= 0
          ? e.dhcp.lease_seconds
          : null,
      server: address("dhcp.server", e.dhcp.server),
      lease_text: lease,
    };
  }

  function domainList(field: string, text: string): string | null {
    // dhclient's domain-name may be a space-separated search list.
    const parts = text.split(" ").filter(Boolean);
    if (parts.length > 0 && parts.length <= MAX_LIST && parts.every(isDnsName)) return parts.join(" ");
    drop(field, text, "not a list of RFC 1123 names");
    return null;
  }

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
      gateway: address("gateway", e.gateway),
      gateway6: address("gateway6", e.gateway6),
      dns: addressList("dns", e.dns),
      domains,
      dhcp,
      route,
    },
    dropped,
  };
}
