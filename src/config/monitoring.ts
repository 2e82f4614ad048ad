// Which links the configuration watches (monitoring.interfaces and
// monitoring.exclude), for the daemon and for `netevd validate`.
import { compileInterfaceMatcher } from "./ifname";
import type { Config } from "./schema";

/** monitoring.interfaces and monitoring.exclude: empty interfaces means every link but lo. */
export function monitoredMatcher(c: Config): (name: string) => boolean {
  const include = compileInterfaceMatcher(c.monitoring.interfaces);
  const exclude = compileInterfaceMatcher(c.monitoring.exclude);
  const all = c.monitoring.interfaces.length === 0;
  return (name) => (all ? name !== "lo" : include(name)) && !exclude(name);
}

/**
 * Links a configuration written for the Rust netevd now leaves alone: that
 * daemon never read monitoring.interfaces and ran scripts for every link.
 */
export function silencedLinks(c: Config, present: Iterable<string>): string[] {
  if (c.monitoring.interfaces.length === 0) return [];
  const monitored = monitoredMatcher(c);
  return [...present].filter((n) => n !== "lo" && !monitored(n)).sort();
}
