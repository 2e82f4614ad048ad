// Event names (netevd-scripts.7, EVENTS). Each has a script directory `<event>.d`.
export const BACKENDS = ["systemd-networkd", "NetworkManager", "dhclient", "none"] as const;
export type Backend = (typeof BACKENDS)[number];
/** What system.backend may say: a backend, or `auto` (whatever manages the host, followed). */
export const BACKEND_SETTINGS = ["auto", ...BACKENDS] as const;
export type BackendSetting = (typeof BACKEND_SETTINGS)[number];

/** A network manager reports the link states; the others derive them from the kernel. */
export const isManagerBackend = (b: Backend): boolean => b === "systemd-networkd" || b === "NetworkManager";

export const NETWORKD_OPERATIONAL = [
  "carrier",
  "no-carrier",
  "degraded",
  "degraded-carrier",
  "routable",
  "dormant",
  "off",
  "enslaved",
  "missing",
] as const;
export const NETWORKD_ADMINISTRATIVE = [
  "pending",
  "initialized",
  "configuring",
  "configured",
  "failed",
  "linger",
  "unmanaged",
] as const;
export const NM_DEVICE_STATES = [
  "unavailable",
  "disconnected",
  "prepare",
  "config",
  "need-auth",
  "ip-config",
  "ip-check",
  "secondaries",
  "activated",
  "deactivating",
  "failed",
  "unmanaged",
] as const;
/**
 * NetworkManager events that are not states: a link's new DHCP data, a VPN
 * connected or disconnected, a device appearing or going; the manager's host
 * name, connectivity and DNS configuration.
 */
const NM_HAPPENINGS = [
  "dhcp4-change",
  "dhcp6-change",
  "vpn-up",
  "vpn-down",
  "device-add",
  "device-delete",
  "hostname",
  "connectivity-change",
  "dns-change",
] as const;
export const KERNEL_STATES = ["no-carrier", "carrier", "degraded", "routable", "off"] as const;

const BY_BACKEND: Record<Backend, readonly string[]> = {
  // dhcpN-change: networkd's lease acquired, changed at a renewal, or lost.
  "systemd-networkd": [
    ...NETWORKD_OPERATIONAL,
    ...NETWORKD_ADMINISTRATIVE,
    "dhcp4-change",
    "dhcp6-change",
    "manager",
    "routes",
  ],
  // NetworkManager has no operational state: the kernel's runs beside its device states.
  NetworkManager: [...NM_DEVICE_STATES, ...NM_HAPPENINGS, ...KERNEL_STATES, "manager", "routes"],
  dhclient: [...KERNEL_STATES, "routes"],
  none: [...KERNEL_STATES, "routes"],
};

/** The events a setting can bring: `auto`, any backend's (it follows the host's manager). */
export const EVENTS_BY_BACKEND: Record<BackendSetting, readonly string[]> = {
  ...BY_BACKEND,
  auto: [...new Set(Object.values(BY_BACKEND).flat())],
};

/**
 * Links in other network namespaces (monitoring.namespaces) have kernel-derived
 * states whatever the backend; `netns` is a namespace appearing or going.
 */
export const NAMESPACE_EVENTS: readonly string[] = [...KERNEL_STATES, "routes", "netns"];

/** Every event name any backend can emit, sorted. */
export const ALL_EVENTS: readonly string[] = [
  ...new Set([...Object.values(EVENTS_BY_BACKEND).flat(), ...NAMESPACE_EVENTS]),
].sort();

/**
 * Which of a link's states an event is (its new operational, administrative or
 * NetworkManager device state); undefined for events that are not a state.
 */
export function stateFamily(event: string, backend: Backend): string | undefined {
  const is = (list: readonly string[]) => list.includes(event);
  if (is(NETWORKD_OPERATIONAL) || is(KERNEL_STATES)) return "operational";
  if (backend === "NetworkManager" && is(NM_DEVICE_STATES)) return "device";
  if (is(NETWORKD_ADMINISTRATIVE)) return "administrative";
  return undefined;
}

export function isEventName(name: string): boolean {
  return ALL_EVENTS.includes(name);
}

/** The event JSON's schema name (its `schema` key). */
export const EVENT_JSON_SCHEMA = "netevd.event.v1";

/** What happened to a link's lease, for dhcp4-change and dhcp6-change (DHCP_CHANGE). */
export const DHCP_CHANGES = ["acquired", "changed", "lost"] as const;
export type DhcpChange = (typeof DHCP_CHANGES)[number];
