// Event filters in the Rust netevd's syntax: the first matching filter with
// action execute or ignore decides; `log` logs the match and goes on; with no
// match every script runs. `execute` with a `scripts` list runs only those.
import type { Filter } from "../config/schema";
import { compileInterfaceMatcher } from "../config/ifname";
import { compileNamespaceMatcher } from "../config/netns-name";
import type { NetworkEvent } from "../events/event";
import type { Logger } from "../log/logger";
import { evaluateCondition, parseCondition, type Condition } from "../config/filter-condition";

export type FilterDecision = { run: true; only: string[] | null } | { run: false; filter: number };

interface Compiled {
  filter: Filter;
  pattern: ((name: string) => boolean) | null;
  /** match_rule.netns: "" is netevd's own namespace. */
  netns: ((name: string) => boolean) | null;
  condition: Condition | null;
}

export class EventFilters {
  private readonly compiled: Compiled[];

  constructor(filters: readonly Filter[]) {
    this.compiled = filters.map((filter) => {
      const c = filter.match_rule.condition;
      const parsed = c === undefined ? null : parseCondition(c);
      return {
        filter,
        pattern: filter.match_rule.interface_pattern
          ? compileInterfaceMatcher([filter.match_rule.interface_pattern])
          : null,
        netns: namespaceMatch(filter.match_rule.netns),
        // The schema has already refused conditions that do not parse.
        condition: parsed && !("error" in parsed) ? parsed : null,
      };
    });
  }

  decide(e: NetworkEvent, log: Logger): FilterDecision {
    for (const [i, c] of this.compiled.entries()) {
      if (!this.matches(c, e)) continue;
      switch (c.filter.action) {
        case "log":
          log.info(`filter ${i} matched`, { event: e.event });
          continue;
        case "ignore":
          return { run: false, filter: i };
        case "execute":
          return { run: true, only: c.filter.scripts.length ? c.filter.scripts : null };
      }
    }
    return { run: true, only: null };
  }

  private matches(c: Compiled, e: NetworkEvent): boolean {
    const m = c.filter.match_rule;
    if (m.interface !== undefined && m.interface !== e.link.name) return false;
    if (c.pattern && !c.pattern(e.link.name)) return false;
    if (c.netns && !c.netns(e.netns ?? "")) return false;
    if (m.event_type !== undefined && m.event_type !== e.event) return false;
    if (m.backend !== undefined && m.backend !== e.backend) return false;
    if (m.ip_family === "ipv4" && !e.addresses.some((a) => a.family === "ipv4")) return false;
    if (m.ip_family === "ipv6" && !e.addresses.some((a) => a.family === "ipv6")) return false;
    if (c.condition) {
      const input = {
        interface: e.link.name,
        hasGateway: e.gateway !== null || e.gateway6 !== null,
        dnsCount: e.dns.length,
      };
      if (!evaluateCondition(c.condition, input)) return false;
    }
    return true;
  }
}

function namespaceMatch(pattern: string | undefined): ((name: string) => boolean) | null {
  if (pattern === undefined) return null;
  if (pattern === "") return (name) => name === "";
  return compileNamespaceMatcher([pattern]);
}
