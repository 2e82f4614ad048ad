// One rtnetlink message applied to the tables, as the kernel itself changed
// them, and the changes it makes, in order. Pure: no I/O, no timers. What the
// kernel does without a message (the IPv4 routes it flushes when a link goes
// down or loses its last IPv4 address) is mirrored here, and the caller is
// told so it can re-read that link's routes to be sure.
import { AF_INET, AF_INET6, RT_TABLE } from "../netlink/constants";
import type { RtMessage } from "../netlink/decode";
import type { Route } from "../netlink/route";
import { addressKey, routeIdentity, routeKey, ruleKey } from "./keys";
import { type KernelChange, RouteTable, type Tables } from "./tables";

export type Emit = (change: KernelChange) => void;

export interface ApplyHooks {
  /** The kernel flushed (some of) a link's IPv4 routes without a message: they should be re-read. */
  flushedUnannounced(index: number): void;
  /** The link is gone, and with it whatever was due for it. */
  linkDeleted(index: number): void;
}

function familyOfMessage(m: RtMessage): number | null {
  switch (m.kind) {
    case "address":
      return m.address.family;
    case "route":
      return m.route.family;
    case "rule":
      return m.rule.family;
    case "link":
      return null;
  }
}

/**
 * Links, and IPv4/IPv6 addresses, routes and rules: the multicast-routing
 * families (RTNL_FAMILY_IPMR/IP6MR) share the dumps but netevd does not track them.
 */
export function isTrackedMessage(m: RtMessage): boolean {
  const f = familyOfMessage(m);
  return f === null || f === AF_INET || f === AF_INET6;
}

export function applyMessage(t: Tables, m: RtMessage, emit: Emit, hooks: ApplyHooks): void {
  switch (m.kind) {
    case "link": {
      const previous = t.links.get(m.link.index);
      if (m.action === "del") {
        if (!previous) return;
        t.links.delete(m.link.index);
        // The kernel drops the link's addresses and routes; IPv4 route flushes come without events.
        for (const [k, a] of [...t.addresses.ofLink(m.link.index)]) {
          t.addresses.delete(k);
          emit({ kind: "address", action: "remove", address: a });
        }
        // Its routes go with it (IPv4 ones unannounced): no route can name a link that is gone.
        for (const [k, r] of [...t.routes.ofLink(m.link.index)]) {
          t.routes.delete(k);
          emit({ kind: "route", action: "remove", route: r });
        }
        hooks.linkDeleted(m.link.index);
        emit({ kind: "link", action: "remove", link: m.link });
        return;
      }
      t.links.set(m.link.index, m.link);
      if (!previous) emit({ kind: "link", action: "add", link: m.link });
      else {
        emit({ kind: "link", action: "change", link: m.link, previous });
        // Taking a link down flushes its IPv4 routes without events.
        if (previous.up && !m.link.up) hooks.flushedUnannounced(m.link.index);
      }
      return;
    }
    case "address": {
      const key = addressKey(m.address);
      const had = t.addresses.has(key);
      if (m.action === "del") {
        if (t.addresses.delete(key)) emit({ kind: "address", action: "remove", address: m.address });
        // Removing a link's last IPv4 address flushes its IPv4 routes in every table,
        // unannounced: mirror that now (so no decision is taken on routes that are gone),
        // and re-read the routes soon after to be sure.
        if (m.address.family === AF_INET) {
          const index = m.address.index;
          const left = [...t.addresses.ofLink(index).values()].some((a) => a.family === AF_INET);
          if (!left) {
            for (const [k, r] of [...t.routes.ofLink(index)]) {
              if (r.family !== AF_INET) continue;
              t.routes.delete(k);
              emit({ kind: "route", action: "remove", route: r });
            }
            hooks.flushedUnannounced(index);
          } else dropPrefsrcRoutes(t, m.address.address, emit);
        }
      } else {
        t.addresses.set(key, m.address);
        emit({ kind: "address", action: had ? "change" : "add", address: m.address });
      }
      return;
    }
    case "route":
      applyRoute(t.routes, m, emit);
      return;
    case "rule": {
      const key = ruleKey(m.rule);
      if (m.action === "del") {
        if (t.rules.delete(key)) emit({ kind: "rule", action: "remove", rule: m.rule });
      } else if (!t.rules.has(key)) {
        t.rules.set(key, m.rule);
        emit({ kind: "rule", action: "add", rule: m.rule });
      }
      return;
    }
  }
}

/**
 * Another IPv4 address of the link is left: the kernel flushes only the
 * main-table routes that had the removed address as their source, unless
 * another link has that same address. Kernels since 6.7 announce it; older
 * ones do not, so it is mirrored here instead of re-reading the link's routes.
 */
function dropPrefsrcRoutes(t: Tables, address: string, emit: Emit): void {
  for (const a of t.addresses.values()) if (a.family === AF_INET && a.address === address) return;
  for (const [k, r] of [...t.routes]) {
    if (r.family !== AF_INET || r.table !== RT_TABLE.MAIN || r.prefsrc !== address) continue;
    t.routes.delete(k);
    emit({ kind: "route", action: "remove", route: r });
  }
}

/** A route message applied to a table of routes: NLM_F_REPLACE replaces routes of the same identity. */
export function applyRoute(
  routes: Map<string, Route>,
  m: Extract<RtMessage, { kind: "route" }>,
  emit: Emit,
): void {
  const key = routeKey(m.route);
  if (m.action === "del") {
    const old = routes.get(key);
    if (old && routes.delete(key)) emit({ kind: "route", action: "remove", route: old });
    return;
  }
  if (m.replace) {
    const id = routeIdentity(m.route);
    // The live table knows its routes by identity; a re-read's holds one link's.
    const candidates = routes instanceof RouteTable ? [...routes.withIdentity(id)] : [...routes.keys()];
    for (const k of candidates) {
      const r = routes.get(k);
      if (r && k !== key && routeIdentity(r) === id) {
        routes.delete(k);
        emit({ kind: "route", action: "remove", route: r });
      }
    }
  }
  const had = routes.has(key);
  routes.set(key, m.route);
  emit({ kind: "route", action: had ? "change" : "add", route: m.route });
}
