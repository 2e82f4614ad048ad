// Compares netevd's kernel tables with what `ip -j` reports, both reduced to
// the same canonical lines.
import { expect } from "vitest";
import type { KernelState } from "../../src/kernel/state";
import type { Tables } from "../../src/kernel/tables";
import { AF_INET } from "../../src/netlink/constants";
import { ipJson } from "./netns";

const TABLE: Record<string, number> = { local: 255, main: 254, default: 253, unspec: 0 };
const RTN_NAMES = [
  "unspec",
  "unicast",
  "local",
  "broadcast",
  "anycast",
  "multicast",
  "blackhole",
  "unreachable",
  "prohibit",
];
const tableId = (t: string | undefined) => (t === undefined ? 254 : (TABLE[t] ?? Number(t)));
const withLen = (a: string, v4: boolean) => (a.includes("/") ? a : `${a}/${v4 ? 32 : 128}`);

interface IpLink {
  ifindex: number;
  ifname: string;
  mtu: number;
  address?: string;
  operstate: string;
}
interface IpAddr {
  ifindex: number;
  addr_info: { family: string; local: string; prefixlen: number }[];
}
interface IpRoute {
  type?: string;
  dst: string;
  gateway?: string;
  dev?: string;
  table?: string;
  metric?: number;
}
interface IpRule {
  priority: number;
  src: string;
  srclen?: number;
  dst?: string;
  dstlen?: number;
  table?: string;
}

export interface Snapshot {
  links: string[];
  addresses: string[];
  routes: string[];
  rules: string[];
}

export interface IpDump {
  link: IpLink[];
  addr: IpAddr[];
  route4: IpRoute[];
  route6: IpRoute[];
  rule4: IpRule[];
  rule6: IpRule[];
}

function ipDump(ns: string): IpDump {
  return {
    link: ipJson<IpLink[]>(ns, "link", "show"),
    addr: ipJson<IpAddr[]>(ns, "addr", "show"),
    route4: ipJson<IpRoute[]>(ns, "-4", "route", "show", "table", "all"),
    route6: ipJson<IpRoute[]>(ns, "-6", "route", "show", "table", "all"),
    rule4: ipJson<IpRule[]>(ns, "-4", "rule", "show"),
    rule6: ipJson<IpRule[]>(ns, "-6", "rule", "show"),
  };
}

function kernelSnapshot(ns: string): Snapshot {
  return ipSnapshot(ipDump(ns));
}

/** `ip -j` output reduced to canonical lines. */
export function ipSnapshot(d: IpDump): Snapshot {
  const links = d.link.map(
    (l) => `${l.ifindex} ${l.ifname} ${l.mtu} ${l.address ?? "-"} ${l.operstate.toLowerCase()}`,
  );
  const addresses = d.addr.flatMap((l) =>
    l.addr_info.map((a) => `${l.ifindex} ${a.family === "inet" ? 4 : 6} ${a.local}/${a.prefixlen}`),
  );
  const routes = [...d.route4.map((r) => ipRoute(r, true)), ...d.route6.map((r) => ipRoute(r, false))];
  const rules = [...d.rule4.map((r) => ipRule(r, true)), ...d.rule6.map((r) => ipRule(r, false))];
  return { links: links.sort(), addresses: addresses.sort(), routes: routes.sort(), rules: rules.sort() };
}

function ipRoute(r: IpRoute, v4: boolean): string {
  const dst = r.dst === "default" ? (v4 ? "0.0.0.0/0" : "::/0") : withLen(r.dst, v4);
  return `${v4 ? 4 : 6} ${tableId(r.table)} ${r.type ?? "unicast"} ${dst} ${r.gateway ?? "-"} ${r.dev ?? "-"} ${r.metric ?? 0}`;
}

function ipRule(r: IpRule, v4: boolean): string {
  const src = r.src === "all" ? "-" : `${r.src}/${r.srclen ?? (v4 ? 32 : 128)}`;
  const dst = r.dst === undefined ? "-" : `${r.dst}/${r.dstlen ?? (v4 ? 32 : 128)}`;
  return `${v4 ? 4 : 6} ${r.priority} ${src} ${dst} ${tableId(r.table)}`;
}

function stateSnapshot(state: KernelState): Snapshot {
  return tablesSnapshot(state.tables);
}

export function tablesSnapshot(t: Tables): Snapshot {
  const name = (index: number | null) => (index === null ? "-" : (t.links.get(index)?.name ?? `if${index}`));
  const links = [...t.links.values()].map(
    (l) => `${l.index} ${l.name} ${l.mtu} ${l.mac ?? "-"} ${l.operstate}`,
  );
  const addresses = [...t.addresses.values()].map(
    (a) => `${a.index} ${a.family === AF_INET ? 4 : 6} ${a.address}/${a.prefixLength}`,
  );
  const routes = [...t.routes.values()].map((r) => {
    const v4 = r.family === AF_INET;
    const dst = `${r.dst ?? (v4 ? "0.0.0.0" : "::")}/${r.dstLength}`;
    return `${v4 ? 4 : 6} ${r.table} ${RTN_NAMES[r.type]} ${dst} ${r.gateway ?? "-"} ${name(r.oif)} ${r.priority ?? 0}`;
  });
  const rules = [...t.rules.values()].map((r) => {
    const v4 = r.family === AF_INET;
    const src = r.src === null ? "-" : `${r.src}/${r.srcLength}`;
    const dst = r.dst === null ? "-" : `${r.dst}/${r.dstLength}`;
    return `${v4 ? 4 : 6} ${r.priority ?? 0} ${src} ${dst} ${r.table}`;
  });
  return { links: links.sort(), addresses: addresses.sort(), routes: routes.sort(), rules: rules.sort() };
}

/** Waits (events are asynchronous) until the tables equal the kernel's; then asserts it. */
export async function expectInSync(state: KernelState, ns: string, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  let kernel = kernelSnapshot(ns);
  while (Date.now() < end) {
    if (JSON.stringify(stateSnapshot(state)) === JSON.stringify(kernel)) return;
    await new Promise((r) => setTimeout(r, 25));
    kernel = kernelSnapshot(ns);
  }
  expect(stateSnapshot(state)).toEqual(kernel);
}
