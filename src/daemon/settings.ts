// The configuration as the daemon's parts take it (written once; applied at
// start and on every reload).
import { compileInterfaceMatcher } from "../config/ifname";
import type { Config } from "../config/schema";
import type { PushFlags } from "../push/lease-push";
import type { PolicySettings } from "../routing/desired";

export function pushFlags(c: Config, dryRun: boolean): PushFlags {
  const d = c.backends.dhclient;
  return { useDns: d.use_dns, useDomain: d.use_domain, useHostname: d.use_hostname, dryRun };
}

export function policySettings(c: Config): PolicySettings | null {
  const r = c.routing;
  if (r.policy_rules.length === 0) return null;
  return {
    matches: compileInterfaceMatcher(r.policy_rules),
    tableBase: r.table_base,
    ipv6: r.ipv6,
    fromPriority: r.from_priority,
    toPriority: r.to_priority,
  };
}
