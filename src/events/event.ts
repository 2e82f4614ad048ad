// The event object: what one state change means for one link. The script
// environment and the JSON variable are both derived from it (and nothing else).
import { z } from "zod";
import { BACKENDS, type Backend } from "./names";

const EVENT_JSON_SCHEMA = "netevd.event.v1";

/** What happened to a link's lease, for dhcp4-change and dhcp6-change (DHCP_CHANGE). */
const DHCP_CHANGES = ["acquired", "changed", "lost"] as const;
export type DhcpChange = (typeof DHCP_CHANGES)[number];

const text = z.string();
const address = z.string().describe("an IPv4 or IPv6 address, without prefix length");

const LinkInfoSchema = z
  .object({
    name: text.describe("interface name"),
    index: z.number().int().describe("ifindex; 0 for manager events"),
    mac: text.nullable().describe("hardware address, lower case"),
    mtu: z.number().int().nullable(),
    kind: text.nullable().describe('link kind from the kernel ("veth", "bridge", …); null for plain devices'),
    operstate: text.nullable().describe('the kernel\'s operstate ("up", "down", "lowerlayerdown", …)'),
    carrier: z.boolean().nullable(),
  })
  .strict();

const AddressInfoSchema = z
  .object({
    address,
    prefix_length: z.number().int().min(0).max(128),
    family: z.enum(["ipv4", "ipv6"]),
    scope: z.enum(["global", "site", "link", "host", "nowhere"]),
  })
  .strict();

const LinkStatesSchema = z
  .object({
    operational: text.nullable().describe("networkd's OperationalState, or the kernel-derived state"),
    administrative: text
      .nullable()
      .describe("networkd's AdministrativeState, or NetworkManager's device state"),
    carrier: text.nullable(),
    address: text.nullable(),
    online: text.nullable(),
  })
  .strict();

const DhcpJsonSchema = z
  .object({
    address: address.nullable(),
    gateway: address.nullable(),
    dns: z.array(address),
    domain: text.nullable(),
    hostname: text.nullable().describe("validated RFC 1123 host name"),
    lease_seconds: z.number().int().nullable(),
    server: address.nullable(),
  })
  .strict();

const RouteInfoSchema = z
  .object({
    action: z.enum(["add", "del"]),
    dst: text.describe('"default" or ADDRESS/PREFIX'),
    gateway: address.nullable(),
    table: z.number().int(),
    protocol: text.describe('route protocol name ("kernel", "boot", "static", "dhcp", …) or number'),
    metric: z.number().int().nullable(),
  })
  .strict();

/**
 * The JSON variable scripts get and `/v1/events` serves: the one source of its
 * TypeScript type and of the published schema/netevd-event.v1.schema.json.
 * Every key is always present; what a backend does not know is null.
 */
export const EventJsonSchema = z
  .object({
    schema: z.literal(EVENT_JSON_SCHEMA),
    event: text.describe("the event name, also the script directory <event>.d"),
    time: z.iso.datetime().describe("when netevd handled the change (UTC)"),
    backend: z.enum(BACKENDS),
    netns: text.nullable().describe("the network namespace (its name under /run/netns); null: netevd's own"),
    netns_action: z
      .enum(["created", "deleted"])
      .nullable()
      .describe("netns events: the namespace appeared or went; null for every other event"),
    link: LinkInfoSchema,
    state: LinkStatesSchema,
    addresses: z.array(AddressInfoSchema),
    gateway: address.nullable().describe("the link's IPv4 default gateway"),
    gateway6: address.nullable().describe("the link's IPv6 default gateway"),
    dns: z.array(address),
    domains: z.array(text),
    dhcp: DhcpJsonSchema.nullable().describe("the current DHCP lease, when the backend knows one"),
    dhcp_change: z
      .enum(DHCP_CHANGES)
      .nullable()
      .describe(
        "dhcp4-change and dhcp6-change with systemd-networkd: the lease was acquired, its data changed, or it was lost",
      ),
    route: RouteInfoSchema.nullable().describe("set for routes events only"),
  })
  .strict();

export type EventJson = z.infer<typeof EventJsonSchema>;
export type LinkInfo = z.infer<typeof LinkInfoSchema>;
export type AddressInfo = z.infer<typeof AddressInfoSchema>;
export type LinkStates = z.infer<typeof LinkStatesSchema>;
export type RouteInfo = z.infer<typeof RouteInfoSchema>;
export type DhcpInfo = z.infer<typeof DhcpJsonSchema> & {
  /** The lease block as dhclient wrote it; DHCP_LEASE only, not in JSON. */
  lease_text: string | null;
  /** The lease's subnet mask (IPv4); for scripts of the Rust netevd (DHCP_SUBNET_MASK), not in JSON. */
  subnet_mask?: string | null;
};

/** One IP configuration as NetworkManager reports it (its IP4Config/IP6Config objects). */
export interface NmIpConfig {
  /** `peer`: a point-to-point address's far end. */
  addresses: { address: string; prefix: number; peer?: string }[];
  gateway: string;
  routes: { dest: string; prefix: number; nextHop: string; metric: number }[];
  nameservers: string[];
  domains: string[];
}

/**
 * NetworkManager's view of a device when the event ran: the active
 * connection, its IP configurations and DHCP options. Scripts written for
 * NetworkManager-dispatcher get it in its variables; not in JSON.
 */
export interface NmView {
  connection: { id: string; uuid: string; path: string; filename: string; external: boolean } | null;
  iface: string;
  ipIface: string;
  ip4: NmIpConfig | null;
  ip6: NmIpConfig | null;
  dhcp4: Record<string, string> | null;
  dhcp6: Record<string, string> | null;
  /** The device was activated when read (nm-dispatcher gives a device's configurations only then). */
  activated: boolean;
  /**
   * vpn-up and vpn-down: the VPN's own interface (null: it has none, its
   * addresses are on the device's) and its IP configurations (vpn-up only);
   * `connection` is then the VPN's, the rest its parent device's.
   */
  vpn?: { ipIface: string | null; ip4: NmIpConfig | null; ip6: NmIpConfig | null };
}

export interface NetworkEvent {
  event: string;
  time: Date;
  backend: Backend;
  link: LinkInfo;
  state: LinkStates;
  addresses: AddressInfo[];
  gateway: string | null;
  gateway6: string | null;
  dns: string[];
  domains: string[];
  dhcp: DhcpInfo | null;
  route: RouteInfo | null;
  /** The link's network namespace (its name under /run/netns); null: netevd's own. */
  netns?: string | null;
  /** netns events: what happened to the namespace. */
  netnsAction?: "created" | "deleted";
  /** NetworkManager backend: the device as NetworkManager saw it (read when scripts run). */
  nm?: NmView | null;
  /**
   * The link's state did not change: its facts did (a new address, gateway or
   * lease re-runs the up state). Other dispatchers' styles never ran these.
   */
  rerun?: boolean;
  /** Lease events of systemd-networkd: what happened to the lease. */
  dhcpChange?: DhcpChange;
}

/** What an event holds, in bytes (an estimate, for the bounds of queues and logs). */
export function eventBytes(e: {
  addresses: readonly unknown[];
  dns: readonly unknown[];
  domains: readonly unknown[];
}): number {
  return 1024 + 160 * e.addresses.length + 64 * (e.dns.length + e.domains.length);
}

export function emptyStates(): LinkStates {
  return { operational: null, administrative: null, carrier: null, address: null, online: null };
}

/** The JSON variable (netevd.event.v1): snake_case, every key present, unknown = null. */
export function eventJson(e: NetworkEvent): EventJson {
  return {
    schema: EVENT_JSON_SCHEMA,
    event: e.event,
    time: e.time.toISOString(),
    backend: e.backend,
    netns: e.netns ?? null,
    netns_action: e.netnsAction ?? null,
    link: { ...e.link },
    state: { ...e.state },
    addresses: e.addresses.map((a) => ({ ...a })),
    gateway: e.gateway,
    gateway6: e.gateway6,
    dns: [...e.dns],
    domains: [...e.domains],
    dhcp: e.dhcp
      ? {
          address: e.dhcp.address,
          gateway: e.dhcp.gateway,
          dns: [...e.dhcp.dns],
          domain: e.dhcp.domain,
          hostname: e.dhcp.hostname,
          lease_seconds: e.dhcp.lease_seconds,
          server: e.dhcp.server,
        }
      : null,
    dhcp_change: e.dhcpChange ?? null,
    route: e.route ? { ...e.route } : null,
  };
}
