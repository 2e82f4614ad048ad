// A filter's match_rule.netns: "" is netevd's own namespace, a glob picks
// other namespaces' events, and a filter without it matches every namespace.
import { describe, expect, it } from "vitest";
import { loadConfigBytes } from "../../src/config/load";
import { emptyStates, type NetworkEvent } from "../../src/events/event";
import { EventFilters } from "../../src/filters/apply";
import { getLogger } from "../../src/log/logger";

const event = (netns: string | null): NetworkEvent => ({
  event: "routable",
  time: new Date(),
  backend: "none",
  netns,
  link: { name: "veth0", index: 2, mac: null, mtu: 1500, kind: "veth", operstate: "up", carrier: true },
  state: emptyStates(),
  addresses: [],
  gateway: null,
  gateway6: null,
  dns: [],
  domains: [],
  dhcp: null,
  route: null,
});

function filters(yaml: string): EventFilters {
  const c = loadConfigBytes("netevd.yaml", Buffer.from(yaml)).config;
  if (!c) throw new Error("invalid");
  return new EventFilters(c.filters);
}

describe("filters on the namespace", () => {
  it("ignores by namespace glob, or only netevd's own namespace", () => {
    const log = getLogger("test");
    const tenants = filters("filters:\n  - { match_rule: { netns: 'tenant-*' }, action: ignore }\n");
    expect(tenants.decide(event("tenant-1"), log).run).toBe(false);
    expect(tenants.decide(event("vpn"), log).run).toBe(true);
    expect(tenants.decide(event(null), log).run).toBe(true);
    const own = filters("filters:\n  - { match_rule: { netns: '' }, action: ignore }\n");
    expect(own.decide(event(null), log).run).toBe(false);
    expect(own.decide(event("tenant-1"), log).run).toBe(true);
    const any = filters("filters:\n  - { match_rule: { interface: veth0 }, action: ignore }\n");
    expect(any.decide(event("tenant-1"), log).run).toBe(false);
    expect(any.decide(event(null), log).run).toBe(false);
  });
});
