// Scripts written for NetworkManager-dispatcher: the scripts of the directory
// itself (not of pre-up.d/pre-down.d, which NetworkManager waits for), `$1`
// the interface and `$2` the action, its variables built from what
// NetworkManager says over D-Bus, as nm-dispatcher builds them.
import { lstatSync, readlinkSync, realpathSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import type { NetworkEvent, NmIpConfig, NmView } from "../../events/event";
import { hasControl } from "../../util/control";
import { styleRule } from "../../config/script-rules";
import type { ScriptStyle } from "./style";

/** The PATH nm-dispatcher gives its scripts. */
const NM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin";

/** The device states after which NetworkManager dispatches "down" for a device that was up. */
const DOWN_STATES = new Set(["disconnected", "unavailable", "failed", "unmanaged"]);

/** A symlink into the directory's no-wait.d: nm-dispatcher does not wait for it. */
function noWait(path: string): boolean {
  try {
    if (!lstatSync(path).isSymbolicLink()) return false;
    let target = readlinkSync(path);
    if (!isAbsolute(target)) target = join(dirname(path), target);
    return realpathSync(dirname(target)) === realpathSync(join(dirname(path), "no-wait.d"));
  } catch {
    return false;
  }
}

/** Addresses and routes given per configuration, at most (the environment stays bounded). */
const MAX_ITEMS = 256;

function ipItems(prefix: "IP4" | "IP6" | "VPN_IP4" | "VPN_IP6", full: NmIpConfig): Record<string, string> {
  const v4 = prefix.endsWith("IP4");
  const c = {
    ...full,
    addresses: full.addresses.slice(0, MAX_ITEMS),
    routes: full.routes.slice(0, MAX_ITEMS),
  };
  const env: Record<string, string> = {};
  const any = "0.0.0.0"; // nm-dispatcher writes this for a missing gateway, for IPv6 too
  const gateway = c.gateway || any;
  c.addresses.forEach((a, i) => (env[`${prefix}_ADDRESS_${i}`] = `${a.address}/${a.prefix} ${gateway}`));
  if (c.addresses.length) env[`${prefix}_NUM_ADDRESSES`] = String(c.addresses.length);
  if (c.nameservers.length) env[`${prefix}_NAMESERVERS`] = c.nameservers.join(" ");
  if (c.domains.length) env[`${prefix}_DOMAINS`] = c.domains.join(" ");
  const routes = c.routes.filter((r) => r.prefix !== 0);
  routes.forEach(
    (r, i) =>
      (env[`${prefix}_ROUTE_${i}`] = `${r.dest}/${r.prefix} ${r.nextHop || (v4 ? any : "::")} ${r.metric}`),
  );
  // IPv4's count is there even when it is 0 (nm-dispatcher's "historic reasons").
  if (routes.length || v4) env[`${prefix}_NUM_ROUTES`] = String(routes.length);
  env[`${prefix}_GATEWAY`] = gateway;
  return env;
}

/** DHCP options come from the network: names must be names, values bounded and free of control characters. */
const MAX_OPTIONS = 256;
const MAX_VALUE = 4096;

function dhcpItems(prefix: "DHCP4" | "DHCP6", options: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(options).slice(0, MAX_OPTIONS))
    if (/^[a-z0-9_]{1,64}$/i.test(k) && v.length <= MAX_VALUE && !hasControl(v))
      env[`${prefix}_${k.toUpperCase()}`] = v;
  return env;
}

/**
 * The variables of a device action, from NetworkManager's view; `withConfig`:
 * the device's configurations too. A VPN's own (VPN_*) come with its own
 * interface only, as nm-dispatcher gives them.
 */
export function nmDeviceEnv(action: string, view: NmView, withConfig: boolean): Record<string, string> {
  const env: Record<string, string> = { PATH: NM_PATH, NM_DISPATCHER_ACTION: action };
  const c = view.connection;
  if (c) {
    env.CONNECTION_UUID = c.uuid;
    env.CONNECTION_ID = c.id;
    env.CONNECTION_DBUS_PATH = c.path;
    if (c.filename) env.CONNECTION_FILENAME = c.filename;
    if (c.external) env.CONNECTION_EXTERNAL = "1";
  }
  env.DEVICE_IFACE = view.iface;
  env.DEVICE_IP_IFACE = view.ipIface;
  if (withConfig) {
    if (view.ip4) Object.assign(env, ipItems("IP4", view.ip4));
    if (view.dhcp4) Object.assign(env, dhcpItems("DHCP4", view.dhcp4));
    if (view.ip6) Object.assign(env, ipItems("IP6", view.ip6));
    if (view.dhcp6) Object.assign(env, dhcpItems("DHCP6", view.dhcp6));
  }
  if (view.vpn?.ipIface) {
    env.VPN_IP_IFACE = view.vpn.ipIface;
    if (view.vpn.ip4) Object.assign(env, ipItems("VPN_IP4", view.vpn.ip4));
    // vpn-down's IPv4 configuration is an empty one: its route count alone.
    else env.VPN_IP4_NUM_ROUTES = "0";
    if (view.vpn.ip6) Object.assign(env, ipItems("VPN_IP6", view.vpn.ip6));
  }
  // Domains, host names and option values reach NetworkManager from the network:
  // a value with a control character, or of more than MAX_VALUE bytes, is left out.
  for (const [k, v] of Object.entries(env)) if (v.length > MAX_VALUE || hasControl(v)) delete env[k];
  return env;
}

/** Events that are nm-dispatcher actions of the same name ($1 the link's name). */
const NM_ACTIONS = new Set(["dhcp4-change", "dhcp6-change", "vpn-up", "vpn-down"]);

/** Devices remembered as up, at most. */
const MAX_REMEMBERED = 4096;

/** The manager's events: nm-dispatcher's `$1` for them ("none" for hostname, empty for the others). */
const MANAGER_ACTIONS: Record<string, string> = {
  hostname: "none",
  "connectivity-change": "",
  "dns-change": "",
};

export function nmDispatcherStyle(): ScriptStyle {
  /** Devices that are up, with what they looked like: "down" names the connection that went down. */
  const up = new Map<number, NmView | null>();
  /** Per link, the action runs() decided for the event whose variables are asked next (same queue). */
  const planned = new Map<number, { action: string; last: NmView | null }>();
  return {
    name: "nm-dispatcher",
    layoutDirs: true,
    runs: (e) => {
      if (e.route) return [];
      const index = e.link.index;
      if (index === 0) {
        const first = MANAGER_ACTIONS[e.event];
        return first === undefined ? [] : [{ subdir: "", args: [first, e.event] }];
      }
      let action: string | undefined;
      if (e.event === "activated") {
        action = "up";
        up.set(index, null);
        // Links that came and went without a "down" (deleted while up) are forgotten, oldest first.
        if (up.size > MAX_REMEMBERED) up.delete(up.keys().next().value!);
      } else if (e.event === "deactivating") {
        // Its pre-down is not run; the "down" that follows is. (Also a device up before netevd started.)
        if (!up.has(index)) up.set(index, null);
      } else if (DOWN_STATES.has(e.event) && up.has(index)) {
        action = "down";
      } else if (NM_ACTIONS.has(e.event)) action = e.event;
      if (!action) return [];
      planned.set(index, { action, last: action === "down" ? (up.get(index) ?? null) : null });
      if (action === "down") up.delete(index);
      return [{ subdir: "", args: [e.link.name, action] }];
    },
    environment: (e) => {
      if (e.link.index === 0) {
        const env: Record<string, string> = { PATH: NM_PATH, NM_DISPATCHER_ACTION: e.event };
        if (e.event === "connectivity-change")
          env.CONNECTIVITY_STATE = (e.state.online ?? "unknown").toUpperCase();
        return Promise.resolve(env);
      }
      const p = planned.get(e.link.index) ?? { action: "up", last: null };
      if (p.action === "down")
        return Promise.resolve(p.last ? nmDeviceEnv("down", p.last, false) : fallback("down", e));
      const view = e.nm ?? null;
      if (p.action === "up" && up.has(e.link.index)) up.set(e.link.index, view);
      // nm-dispatcher gets a device's configurations only once it is activated
      // (a VPN's event: its parent device's, which is not the event's link).
      const configured =
        p.action === "up" || (view?.vpn ? view.activated : e.state.administrative === "activated");
      return Promise.resolve(view ? nmDeviceEnv(p.action, view, configured) : fallback(p.action, e));
    },
    rule: styleRule("nm-dispatcher"),
    everyState: true,
    noWait,
  };
}

/** NetworkManager could not be asked: the device's names, as nm-dispatcher gives them at least. */
function fallback(action: string, e: NetworkEvent): Record<string, string> {
  return {
    PATH: NM_PATH,
    NM_DISPATCHER_ACTION: action,
    DEVICE_IFACE: e.link.name,
    DEVICE_IP_IFACE: e.link.name,
  };
}
