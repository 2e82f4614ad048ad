// The event JSON's schema (netevd.event.v1): the one source of its TypeScript
// types and of schema/netevd-event.v1.schema.json. Types only at run time: the
// daemon never loads zod for events.
import { z } from "zod";
import { BACKENDS, DHCP_CHANGES, EVENT_JSON_SCHEMA } from "./names";

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
export type DhcpJson = z.infer<typeof DhcpJsonSchema>;
