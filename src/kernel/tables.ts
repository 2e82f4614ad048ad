// The kernel's links, addresses, routes and rules as netevd knows them.
import type { Address } from "../netlink/address";
import type { Link } from "../netlink/link";
import type { Route } from "../netlink/route";
import type { Rule } from "../netlink/rule";

export interface Tables {
  links: Map<number, Link>;
  addresses: Map<string, Address>;
  routes: Map<string, Route>;
  rules: Map<string, Rule>;
}

export function emptyTables(): Tables {
  return { links: new Map(), addresses: new Map(), routes: new Map(), rules: new Map() };
}

export type KernelChange =
  | { kind: "link"; action: "add" | "change" | "remove"; link: Link; previous?: Link }
  | { kind: "address"; action: "add" | "change" | "remove"; address: Address }
  | { kind: "route"; action: "add" | "change" | "remove"; route: Route }
  | { kind: "rule"; action: "add" | "remove"; rule: Rule };

/** Equal as the kernel reported them (plain data: JSON compares every field). */
export const sameValue = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** The changes that turn `before` into `after` (used after a re-dump). */
export function diffTables(before: Tables, after: Tables): KernelChange[] {
  const out: KernelChange[] = [];
  const diff = <K, V>(
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
