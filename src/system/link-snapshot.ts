// A link's current facts read from sysfs and getifaddrs(), for commands that
// run without the daemon (`netevd test`). The daemon itself keeps a netlink
// table instead.
import { readFileSync } from "node:fs";
import { networkInterfaces } from "node:os";
import type { AddressInfo, LinkInfo } from "../events/event";

export interface LinkSnapshot {
  link: LinkInfo;
  addresses: AddressInfo[];
  gateway: string | null;
  gateway6: string | null;
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}

function sys(name: string, attr: string): string | null {
  return readText(`/sys/class/net/${name}/${attr}`)?.trim() ?? null;
}

export function linkSnapshot(name: string): LinkSnapshot | undefined {
  if (name.includes("/") || name === "." || name === "..") return undefined;
  const index = sys(name, "ifindex");
  if (index === null) return undefined;
  const mtu = sys(name, "mtu");
  const carrier = sys(name, "carrier");
  const devtype = /^DEVTYPE=(.*)$/m.exec(sys(name, "uevent") ?? "")?.[1] ?? null;
  const link: LinkInfo = {
    name,
    index: Number(index),
    mac: sys(name, "address") || null,
    mtu: mtu === null ? null : Number(mtu),
    kind: devtype,
    operstate: sys(name, "operstate"),
    carrier: carrier === null ? null : carrier === "1",
  };
  const addresses: AddressInfo[] = (networkInterfaces()[name] ?? []).map((a) => ({
    address: a.address,
    prefix_length: Number(a.cidr?.split("/")[1] ?? (a.family === "IPv4" ? 32 : 128)),
    family: a.family === "IPv4" ? "ipv4" : "ipv6",
    scope: scopeOf(a.address, a.internal),
  }));
  return { link, addresses, gateway: gateway4(name), gateway6: gateway6(name) };
}

function scopeOf(address: string, internal: boolean): AddressInfo["scope"] {
  if (internal) return "host";
  if (/^fe[89ab]/i.test(address) || address.startsWith("169.254.")) return "link";
  return "global";
}

/** Default IPv4 gateway of the link in the main table, from /proc/net/route. */
function gateway4(name: string): string | null {
  for (const line of (readText("/proc/net/route") ?? "").split("\n").slice(1)) {
    const [iface, dest, gw, , , , , mask] = line.trim().split(/\s+/);
    if (iface === name && dest === "00000000" && mask === "00000000" && gw && gw !== "00000000") {
      const n = Number.parseInt(gw, 16);
      return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24].join(".");
    }
  }
  return null;
}

/** Default IPv6 gateway of the link, from /proc/net/ipv6_route. */
function gateway6(name: string): string | null {
  for (const line of (readText("/proc/net/ipv6_route") ?? "").split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f[9] === name && f[0] === "0".repeat(32) && f[1] === "00" && f[4] && f[4] !== "0".repeat(32)) {
      // The URL parser prints IPv6 in canonical (RFC 5952) form.
      return new URL(`http://[${(f[4].match(/.{4}/g) as string[]).join(":")}]/`).hostname.slice(1, -1);
    }
  }
  return null;
}
