// Scripts written for networkd-dispatcher: <state>.d for every new
// operational or administrative state but those on its ignore list; IFACE
// STATE ESSID ADDR IP_ADDRS IP6_ADDRS AdministrativeState OperationalState
// and `json`, built as it built them: from `networkctl status IFACE`, parsed
// its way, dumped as Python's json.dumps(sort_keys=True) writes it.
import { NETWORKD_ADMINISTRATIVE, NETWORKD_OPERATIONAL } from "../../events/names";
import type { NetworkEvent } from "../../events/event";
import { styleRule } from "../../config/script-rules";
import { pythonJson } from "./python-json";
import type { ScriptStyle, StyleContext } from "./style";
import { envRef } from "../../config/script-variables";

/** Keys networkd-dispatcher kept as one string; every other key is a list. */
const SINGLETONS = new Set(["Type", "ESSID", "OperationalState"]);
const STATES = new Set<string>([...NETWORKD_OPERATIONAL, ...NETWORKD_ADMINISTRATIVE]);
/** Lease events networkd-dispatcher never had: no hook of it is in these directories, new ones may be. */
const LEASE_EVENTS = new Set(["dhcp4-change", "dhcp6-change"]);

type Data = Record<string, string | string[]>;

/** `networkctl status` output as networkd-dispatcher read it: "Key: value" lines, continuations join the key above. */
export function parseNetworkctlStatus(out: string): Data {
  // No prototype: a line "__proto__: x" is a key like any other, as in Python.
  const data = Object.create(null) as Data;
  let oldk: string | null = null;
  for (const line of out.split("\n").slice(1, -1)) {
    const i = line.indexOf(": ");
    const k: string | null = i < 0 ? oldk : line.slice(0, i).trim();
    const v = (i < 0 ? line : line.slice(i + 2)).trim();
    if (!v || k === null) continue;
    const value = k === "Address" ? v.replace(/ \(DHCP4.*\)$/, "") : v;
    oldk = k;
    if (SINGLETONS.has(k)) data[k] = value;
    else {
      const list = data[k];
      if (Array.isArray(list)) list.push(value);
      else data[k] = [value];
    }
  }
  return data;
}

/** Its split of addresses: 127.* and fe80: are left out. */
function split(addresses: string[]): { v4: string[]; v6: string[] } {
  const out = { v4: [] as string[], v6: [] as string[] };
  for (const a of addresses) {
    if (a.startsWith("127.") || a.startsWith("fe80:")) continue;
    if (a.includes(":")) out.v6.push(a);
    else if (a.includes(".")) out.v4.push(a);
  }
  return out;
}

export function networkdDispatcherStyle(ignoreStates: readonly string[]): ScriptStyle {
  /** `networkctl status` started for a link's event (prefetch), taken by its environment(). */
  const started = new Map<number, Promise<string | null>>();
  const status = (e: NetworkEvent, ctx: StyleContext) =>
    ctx.networkctlStatus?.(e.link.name) ?? Promise.resolve(null);
  return {
    name: "networkd-dispatcher",
    // Once per new state: it never ran a state again for new addresses (e.rerun).
    runs: (e) =>
      (STATES.has(e.event) || LEASE_EVENTS.has(e.event)) && !e.rerun && !ignoreStates.includes(e.event)
        ? [{ subdir: `${e.event}.d`, args: [] }]
        : [],
    // Built from `networkctl status`, as networkd-dispatcher built them.
    costly: envRef("json|ADDR|ESSID|IP_ADDRS|IP6_ADDRS"),
    prefetch: (e, ctx) => {
      started.set(e.link.index, status(e, ctx));
    },
    environment: async (e, _run, ctx, _base, costly) => {
      const pending = started.get(e.link.index);
      started.delete(e.link.index);
      return networkdDispatcherEnv(e, costly ? await (pending ?? status(e, ctx)) : null);
    },
    rule: styleRule("networkd-dispatcher"),
    everyState: true,
  };
}

export function networkdDispatcherEnv(e: NetworkEvent, status: string | null): Record<string, string> {
  const data = Object.create(null) as Data;
  data.Type = e.link.kind ?? "ether";
  data.OperationalState = e.state.operational ?? "";
  data.AdministrativeState = e.state.administrative ?? "";
  data.InterfaceName = e.link.name;
  if (status !== null) for (const [k, v] of Object.entries(parseNetworkctlStatus(status))) data[k] = v;
  else data.Address = e.addresses.map((a) => a.address);
  const text = (k: string) => {
    const v = data[k];
    return Array.isArray(v) ? (v[0] ?? "") : (v ?? "");
  };
  data.State = `${text("OperationalState")} (${text("AdministrativeState")})`;
  const addresses = Array.isArray(data.Address) ? data.Address : [];
  const { v4, v6 } = split(addresses);
  return {
    ADDR: addresses[0] ?? "",
    ESSID: text("ESSID"),
    IP_ADDRS: v4.join(" "),
    IP6_ADDRS: v6.join(" "),
    IFACE: e.link.name,
    STATE: e.event,
    AdministrativeState: text("AdministrativeState"),
    OperationalState: text("OperationalState"),
    json: pythonJson(data, true),
  };
}
