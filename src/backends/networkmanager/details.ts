// What NetworkManager knows of a device beyond its state, read when its state
// changes (what nm-dispatcher is handed): DNS servers and domains from its
// Ip4Config/Ip6Config, DHCP data from its Dhcp4Config, and the whole view
// nm-dispatcher style scripts get (the active connection and its profile's
// file, the IP configurations).
import type { DhcpInfo, NmIpConfig, NmView } from "../../events/event";
import type { LinkDetails } from "../../links/link-table";
import { formatIp } from "../../netlink/ip";
import { DEVICE, NM, type Props, str } from "./names";

/** NM_ACTIVATION_STATE_FLAG_EXTERNAL: a connection NetworkManager found configured, not one it made. */
const ACTIVATION_EXTERNAL = 0x80;
/** NMDeviceState ACTIVATED. */
const DEVICE_ACTIVATED = 100;

/** org.freedesktop.DBus.Properties.GetAll on one of NetworkManager's objects. */
export type GetAll = (path: string, iface: string) => Promise<Props>;

export async function deviceDetails(
  getAll: GetAll,
  device: { path: string; name: string },
): Promise<LinkDetails> {
  const props = await getAll(device.path, DEVICE);
  const ip4 = await ipConfig(getAll, str(props, "Ip4Config", "/"), 4);
  const ip6 = await ipConfig(getAll, str(props, "Ip6Config", "/"), 6);
  const dns = [...(ip4?.nameservers ?? []), ...(ip6?.nameservers ?? [])];
  const domains = [...new Set([...(ip4?.searches ?? []), ...(ip6?.searches ?? [])])];
  const dhcp4 = await dhcpOptions(getAll, str(props, "Dhcp4Config", "/"), "DHCP4Config");
  const dhcp6 = await dhcpOptions(getAll, str(props, "Dhcp6Config", "/"), "DHCP6Config");
  const nm: NmView = {
    connection: await connection(getAll, str(props, "ActiveConnection", "/")),
    iface: str(props, "Interface", device.name),
    ipIface: str(props, "IpInterface", device.name),
    ip4: ip4 && withoutSearches(ip4),
    ip6: ip6 && withoutSearches(ip6),
    dhcp4,
    dhcp6,
    activated: Number(props.State?.value ?? 0) === DEVICE_ACTIVATED,
  };
  return { dns, domains, dhcp: dhcp4 ? dhcpFromOptions(dhcp4) : null, nm };
}

/** One IP configuration; `searches` holds its Domains and Searches both (the resolver's list). */
export async function ipConfig(
  getAll: GetAll,
  path: string,
  family: 4 | 6,
): Promise<(NmIpConfig & { searches: string[] }) | null> {
  if (path === "/") return null;
  const c = await getAll(path, `${NM}.IP${family}Config`);
  const dicts = (key: string) => (c[key]?.value ?? []) as Props[];
  const text = (p: Props, key: string) => {
    const v = p[key]?.value;
    return typeof v === "string" ? v : "";
  };
  const num = (p: Props, key: string) => Number(p[key]?.value ?? 0);
  const nameservers =
    family === 4 || c.NameserverData
      ? dicts("NameserverData")
          .map((n) => text(n, "address"))
          .filter(Boolean)
      : ((c.Nameservers?.value ?? []) as Buffer[])
          .map((b) => formatIp(Buffer.from(b)))
          .filter((a): a is string => a !== null);
  const domains = (c.Domains?.value ?? []) as string[];
  const searches = [...domains, ...((c.Searches?.value ?? []) as string[])];
  return {
    addresses: dicts("AddressData").map((a) => ({
      address: text(a, "address"),
      prefix: num(a, "prefix"),
      ...(text(a, "peer") ? { peer: text(a, "peer") } : {}),
    })),
    gateway: str(c, "Gateway"),
    routes: dicts("RouteData").map((r) => ({
      dest: text(r, "dest"),
      prefix: num(r, "prefix"),
      nextHop: text(r, "next-hop"),
      metric: num(r, "metric"),
    })),
    nameservers,
    domains,
    searches: [...new Set(searches)],
  };
}

async function dhcpOptions(
  getAll: GetAll,
  path: string,
  iface: string,
): Promise<Record<string, string> | null> {
  if (path === "/") return null;
  const o = ((await getAll(path, `${NM}.${iface}`)).Options?.value ?? {}) as Props;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(o)) if (typeof v.value === "string") out[k] = v.value;
  return out;
}

export async function connection(getAll: GetAll, path: string): Promise<NmView["connection"]> {
  if (path === "/") return null;
  const ac = await getAll(path, `${NM}.Connection.Active`);
  const settings = str(ac, "Connection", "/");
  let filename = "";
  if (settings !== "/") {
    try {
      filename = str(await getAll(settings, `${NM}.Settings.Connection`), "Filename");
    } catch {
      // a profile NetworkManager has not saved
    }
  }
  return {
    id: str(ac, "Id"),
    uuid: str(ac, "Uuid"),
    path: settings,
    filename,
    external: (Number(ac.StateFlags?.value ?? 0) & ACTIVATION_EXTERNAL) !== 0,
  };
}

/** DHCP4Config Options in the event's terms. */
function dhcpFromOptions(o: Record<string, string>): DhcpInfo | null {
  const get = (k: string): string | null => o[k] ?? null;
  const address = get("ip_address");
  if (!address) return null;
  const list = (k: string) => (get(k) ?? "").split(/\s+/).filter(Boolean);
  const seconds = Number(get("dhcp_lease_time") ?? NaN);
  return {
    address,
    gateway: list("routers")[0] ?? null,
    dns: list("domain_name_servers"),
    domain: get("domain_name"),
    hostname: get("host_name"),
    lease_seconds: Number.isSafeInteger(seconds) ? seconds : null,
    server: get("dhcp_server_identifier"),
    lease_text: null,
    subnet_mask: get("subnet_mask"),
  };
}

/** nm-dispatcher's IPn_DOMAINS is the configuration's Domains only. */
export function withoutSearches(c: NmIpConfig & { searches: string[] }): NmIpConfig {
  const { searches: _, ...rest } = c;
  return rest;
}
