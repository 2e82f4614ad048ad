// The kernel's links, addresses, routes and rules as netevd knows them.
import type { Address } from "../netlink/address";
import type { Link } from "../netlink/link";
import type { Route } from "../netlink/route";
import type { Rule } from "../netlink/rule";
import { routeIdentity } from "./keys";

/**
 * A table that also knows its entries by link, so that what one link has
 * costs that link's entries, not the whole table: with thousands of links,
 * per-link questions on every event would otherwise grow with the square.
 */
export class LinkKeyed<V> extends Map<string, V> {
  private readonly byLink = new Map<number, Map<string, V>>();

  constructor(private readonly linkOf: (v: V) => number) {
    super();
  }

  override set(key: string, value: V): this {
    const old = super.get(key);
    if (old !== undefined) this.unindex(key, old);
    super.set(key, value);
    this.index(key, value);
    return this;
  }

  override delete(key: string): boolean {
    const old = super.get(key);
    if (old === undefined) return false;
    this.unindex(key, old);
    return super.delete(key);
  }

  override clear(): void {
    this.byLink.clear();
    super.clear();
  }

  /** The entries of one link (by ifindex), live: copy before changing the table while iterating. */
  ofLink(index: number): ReadonlyMap<string, V> {
    return this.byLink.get(index) ?? EMPTY;
  }

  /** Adds an entry to the indexes (a subclass adds its own). */
  protected index(key: string, v: V): void {
    const i = this.linkOf(v);
    let m = this.byLink.get(i);
    if (!m) this.byLink.set(i, (m = new Map<string, V>()));
    m.set(key, v);
  }

  protected unindex(key: string, v: V): void {
    const i = this.linkOf(v);
    const m = this.byLink.get(i);
    m?.delete(key);
    if (m?.size === 0) this.byLink.delete(i);
  }
}

const EMPTY: ReadonlyMap<string, never> = new Map<string, never>();

/**
 * Routes by link, and by what the kernel treats as one route (routeIdentity):
 * a route replaced with NLM_F_REPLACE finds the one it replaces without a
 * walk through every route.
 */
export class RouteTable extends LinkKeyed<Route> {
  /** One key, or a set of them (IPv6 ECMP siblings): a set per route cost 300 bytes in a 50,000-route table. */
  private readonly byIdentity = new Map<string, string | Set<string>>();
  /** Default routes (any table, family) by link: a link with 10,000 routes has a handful. */
  private readonly defaults = new Map<number, Map<string, Route>>();

  constructor() {
    super((r) => r.oif ?? 0);
  }

  override clear(): void {
    this.byIdentity.clear();
    this.defaults.clear();
    super.clear();
  }

  /** Keys of the routes with this identity, any link. */
  withIdentity(id: string): Iterable<string> {
    const keys = this.byIdentity.get(id);
    return keys === undefined ? NO_KEYS : typeof keys === "string" ? [keys] : keys;
  }

  /** The default routes (prefix length 0) through one link, live. */
  defaultsOfLink(index: number): ReadonlyMap<string, Route> {
    return this.defaults.get(index) ?? NO_ROUTES;
  }

  protected override index(key: string, r: Route): void {
    super.index(key, r);
    const id = routeIdentity(r);
    const keys = this.byIdentity.get(id);
    if (keys === undefined || keys === key) this.byIdentity.set(id, key);
    else if (typeof keys === "string") this.byIdentity.set(id, new Set([keys, key]));
    else keys.add(key);
    if (r.dstLength !== 0) return;
    const link = r.oif ?? 0;
    let d = this.defaults.get(link);
    if (!d) this.defaults.set(link, (d = new Map<string, Route>()));
    d.set(key, r);
  }

  protected override unindex(key: string, r: Route): void {
    super.unindex(key, r);
    const id = routeIdentity(r);
    const keys = this.byIdentity.get(id);
    if (keys === key) this.byIdentity.delete(id);
    else if (typeof keys === "object") {
      keys.delete(key);
      if (keys.size === 1) this.byIdentity.set(id, keys.values().next().value as string);
    }
    if (r.dstLength !== 0) return;
    const link = r.oif ?? 0;
    const d = this.defaults.get(link);
    d?.delete(key);
    if (d?.size === 0) this.defaults.delete(link);
  }
}

const NO_ROUTES: ReadonlyMap<string, Route> = new Map<string, Route>();

const NO_KEYS: ReadonlySet<string> = new Set<string>();

export interface Tables {
  links: Map<number, Link>;
  addresses: LinkKeyed<Address>;
  /** By RTA_OIF (0: none, as for multipath routes). */
  routes: RouteTable;
  rules: Map<string, Rule>;
}

export function emptyTables(): Tables {
  return {
    links: new Map(),
    addresses: new LinkKeyed((a) => a.index),
    routes: new RouteTable(),
    rules: new Map(),
  };
}

export type KernelChange =
  | { kind: "link"; action: "add" | "change" | "remove"; link: Link; previous?: Link }
  | { kind: "address"; action: "add" | "change" | "remove"; address: Address }
  | { kind: "route"; action: "add" | "change" | "remove"; route: Route }
  | { kind: "rule"; action: "add" | "remove"; rule: Rule };

/**
 * Equal as the kernel reported them. Links, addresses, routes and rules are
 * flat records of numbers, strings, booleans and nulls: field by field is
 * exact, and a re-read of thousands of entries allocates nothing.
 */
export function sameValue<T extends object>(a: T, b: T): boolean {
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let n = 0;
  for (const k in x) {
    if (x[k] !== y[k]) return false;
    n++;
  }
  for (const k in y) if (--n < 0 || !(k in x)) return false;
  return true;
}

/** The changes that turn `before` into `after` (used after a re-dump). */
export function diffTables(before: Tables, after: Tables): KernelChange[] {
  const out: KernelChange[] = [];
  const diff = <K, V extends object>(
    a: Map<K, V>,
    b: Map<K, V>,
    make: (action: "add" | "change" | "remove", value: V, previous?: V) => KernelChange,
  ) => {
    for (const [k, v] of a) if (!b.has(k)) out.push(make("remove", v));
    for (const [k, v] of b) {
      const old = a.get(k);
      if (old === undefined) out.push(make("add", v));
      else if (!sameValue(old, v)) out.push(make("change", v, old));
    }
  };
  diff(before.links, after.links, (action, link, previous) =>
    previous ? { kind: "link", action, link, previous } : { kind: "link", action, link },
  );
  diff(before.addresses, after.addresses, (action, address) => ({ kind: "address", action, address }));
  diff(before.routes, after.routes, (action, route) => ({ kind: "route", action, route }));
  diff(before.rules, after.rules, (action, rule) => ({
    kind: "rule",
    action: action === "remove" ? "remove" : "add",
    rule,
  }));
  return out;
}
