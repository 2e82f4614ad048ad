// The environment a script gets: cleared, then exactly these variables
// (netevd-scripts.7). Built from an already sanitized event.
import { SCRIPT_PATH } from "../config/script-rules";
import { eventJson, type NetworkEvent } from "../events/event";
import { envRef } from "../config/script-variables";

/**
 * The variables made of the manager's details of a link (systemd-networkd's
 * DescribeLink: DNS servers, search domains, the lease), as envRef takes
 * them: the lookup is made only for scripts that may read one (JSON holds
 * them too; DHCP_* of every style).
 */
export const MANAGER_DETAILS = envRef("DNS|DOMAINS|DHCP_[A-Z0-9_]+|JSON");

/** Variables passed through from the daemon's own environment, when set. */
const INHERITED = ["LANG", "TZ"] as const;

export interface EnvironmentOptions {
  emitJson: boolean;
  /** The daemon's environment, for LANG and TZ. */
  parent?: NodeJS.ProcessEnv;
}

export function scriptEnvironment(e: NetworkEvent, opts: EnvironmentOptions): Record<string, string> {
  const env: Record<string, string> = { PATH: SCRIPT_PATH };
  const parent = opts.parent ?? process.env;
  for (const key of INHERITED) {
    const value = parent[key];
    if (value !== undefined) env[key] = value;
  }
  const set = (key: string, value: string | number | null | undefined) => {
    if (value !== null && value !== undefined && value !== "") env[key] = String(value);
  };
  set("LINK", e.link.name);
  set("LINKINDEX", e.link.index);
  set("STATE", e.event);
  set("EVENT", e.event);
  set("BACKEND", e.backend);
  set("NETNS", e.netns);
  set("NETNS_ACTION", e.netnsAction);
  env.ADDRESSES = e.addresses
    .filter((a) => a.scope !== "link" && a.scope !== "host")
    .map((a) => a.address)
    .join(" ");
  set("GATEWAY", e.gateway ?? e.gateway6);
  set("DNS", e.dns.join(" "));
  set("DOMAINS", e.domains.join(" "));
  set("DHCP_CHANGE", e.dhcpChange);
  if (e.dhcp) {
    set("DHCP_ADDRESS", e.dhcp.address);
    set("DHCP_GATEWAY", e.dhcp.gateway);
    set("DHCP_DNS", e.dhcp.dns.join(" "));
    set("DHCP_DOMAIN", e.dhcp.domain);
    set("DHCP_HOSTNAME", e.dhcp.hostname);
    set("DHCP_LEASE", e.dhcp.lease_text);
  }
  if (e.route) {
    set("ROUTE_ACTION", e.route.action);
    set("ROUTE_DST", e.route.dst);
    set("ROUTE_GATEWAY", e.route.gateway);
    set("ROUTE_TABLE", e.route.table);
    set("ROUTE_PROTOCOL", e.route.protocol);
    set("ROUTE_METRIC", e.route.metric);
  }
  if (opts.emitJson) env.JSON = JSON.stringify(eventJson(e));
  return env;
}
