// Scripts written for the Rust netevd: its flat JSON, EVENT new/del in
// routes.d, DHCP_SUBNET_MASK, and HOME/USER/LOGNAME (it passed its own
// environment on, which systemd fills with the service user's).
import { userInfo } from "node:os";
import type { NetworkEvent } from "../../events/event";
import { ruleBroken } from "../../config/script-rules";
import type { ScriptStyle } from "./style";

/** The Rust netevd's JSON: keys in its order, empty values left out. */
export function rustJson(e: NetworkEvent): Record<string, unknown> {
  const out: Record<string, unknown> = { ifindex: e.link.index, ifname: e.link.name };
  const put = (key: string, v: string | null | undefined | string[]) => {
    if (v === null || v === undefined || v === "" || (Array.isArray(v) && v.length === 0)) return;
    out[key] = v;
  };
  put("admin_state", e.state.administrative);
  put("oper_state", e.state.operational);
  put("carrier_state", e.state.carrier);
  put("address_state", e.state.address);
  put("online_state", e.state.online);
  put("dns", e.dns);
  put("domains", e.domains);
  // As a kernel dump lists them (the Rust netevd asked for one): IPv4 first, then IPv6.
  const byFamily = [...e.addresses].sort((a, b) =>
    a.family === b.family ? 0 : a.family === "ipv4" ? -1 : 1,
  );
  put(
    "addresses",
    byFamily.map((a) => a.address),
  );
  put("gateway", e.gateway);
  put("gateway6", e.gateway6);
  return out;
}

function serviceUser(): Record<string, string> {
  try {
    const u = userInfo();
    return { HOME: u.homedir, USER: u.username, LOGNAME: u.username };
  } catch {
    return {}; // a uid without a passwd entry
  }
}

export const netevdRustStyle: ScriptStyle = {
  name: "netevd-rust",
  otherNamespaces: true,
  runs: (e) => [{ subdir: `${e.event}.d`, args: [] }],
  environment: (e, _run, _ctx, base) => {
    const env: Record<string, string> = serviceUser();
    if (base.JSON !== undefined) env.JSON = JSON.stringify(rustJson(e));
    if (e.route) env.EVENT = e.route.action === "add" ? "new" : "del";
    if (e.dhcp?.subnet_mask) env.DHCP_SUBNET_MASK = e.dhcp.subnet_mask;
    return Promise.resolve(env);
  },
  rule: ruleBroken,
};
