// What a dispatcher.d script got, recorded by one script run both by
// NetworkManager's own dispatcher and by netevd (style nm-dispatcher), to compare.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeScript } from "./tmp";

/** netevd's own variables, there alongside; and what a process's shell adds. */
const NETEVD_OWN =
  /^(LINK|LINKINDEX|STATE|EVENT|BACKEND|ADDRESSES|GATEWAY|DNS|DOMAINS|DHCP_[A-Z]+|JSON|LANG|TZ)$/;

export interface DispatcherRecord {
  args: string;
  env: Record<string, string>;
}

/** A script in `dir` recording its arguments and variables in `out` as nm.ACTION.* or netevd.ACTION.*. */
export function recordingDispatcherScript(dir: string, out: string, name = "10-record"): void {
  writeScript(
    dir,
    name,
    `who=nm; [ -n "$BACKEND" ] && who=netevd
f=${out}/$who.$2.$(date +%s%N).$$; { printf '%s\\0' "$1 $2"; env -0; } > $f.t; mv $f.t $f`,
  );
}

/** The records of one action, oldest first. */
export function records(out: string, who: "nm" | "netevd", action: string): DispatcherRecord[] {
  return (
    readdirSync(out)
      // Only finished records: "X.t" is one a hook is still writing (it renames it when done).
      .filter((f) => f.startsWith(`${who}.${action}.`) && !f.endsWith(".t"))
      .sort()
      .map((f) => {
        const [args, ...env] = readFileSync(join(out, f), "utf8").split("\0").filter(Boolean);
        return {
          args: args!,
          env: Object.fromEntries(
            env.map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
          ),
        };
      })
  );
}

/** A record's variables without netevd's own. */
export const dispatcherView = (env: Record<string, string>) =>
  Object.fromEntries(Object.entries(env).filter(([k]) => !NETEVD_OWN.test(k)));

/**
 * The same, with each configuration's routes as a sorted list: with several
 * routes, NetworkManager's D-Bus objects list them in another order than the
 * one NetworkManager hands its dispatcher (documented in netevd-scripts(7)).
 */
export function dispatcherRouteSet(env: Record<string, string>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(dispatcherView(env))) {
    const route = /^((?:VPN_)?IP[46])_ROUTE_\d+$/.exec(k);
    if (!route) out[k] = v;
    else
      out[`${route[1]}_ROUTES`] = [...((out[`${route[1]}_ROUTES`] as string[] | undefined) ?? []), v].sort();
  }
  return out;
}
