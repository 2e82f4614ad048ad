// Script directory styles (netevd-scripts.7, STYLES): what scripts written for
// another dispatcher expect, and which backends can give it. The styles
// themselves (variables, arguments, ordering) live in src/scripts/styles/.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Backend } from "../events/names";
import type { Capability } from "../util/capabilities";
import type { Config } from "./schema";
import type { ScriptStyleName } from "./style-names";

/** The backends whose events a style's dispatcher had; undefined: any. */
const STYLE_BACKENDS: Partial<Record<ScriptStyleName, { backends: Backend[]; why: string }>> = {
  "networkd-dispatcher": {
    backends: ["systemd-networkd"],
    why: "networkd-dispatcher ran scripts for systemd-networkd's link states, which only the systemd-networkd backend reports",
  },
  "nm-dispatcher": {
    backends: ["NetworkManager"],
    why: "NetworkManager-dispatcher's actions and variables come from NetworkManager, which only the NetworkManager backend reads",
  },
};

/** The backends whose events run a style's scripts; undefined: any (netevd's own styles). */
export function styleBackends(style: ScriptStyleName): readonly Backend[] | undefined {
  return STYLE_BACKENDS[style]?.backends;
}

/** networkd-dispatcher before 2.2 never ran these states' scripts (netevd-migrate writes them for such an install). */
export const NETWORKD_DISPATCHER_OLD_IGNORED = ["carrier", "degraded"] as const;

/** NetworkManager's blocking phases: NetworkManager waits for these scripts, netevd only observes it. */
const NM_BLOCKING_DIRS = ["pre-up.d", "pre-down.d"] as const;

export interface ScriptDirectory {
  /** One directory, or several (the first holding a name wins). */
  paths: string[];
  style: ScriptStyleName;
  ignoreStates: string[];
  /** Where it is in the configuration, for diagnostics. */
  at: (string | number)[];
  /** Set when (some of) its scripts run as root outside netevd (netevd-scripts.7, PRIVILEGED HOOKS). */
  privilege?: PrivilegeGrant;
  /** Who its other scripts run as: absent or the daemon's user, the daemon runs them itself. */
  user?: string;
}

export interface PrivilegeGrant {
  /** The scripts it covers, relative to the directory ("routable.d/50-nft"); null: all. */
  scripts: string[] | null;
  /** "all": full root; else the only capabilities they have. */
  capabilities: "all" | Capability[];
  /** The only paths they may write; null: wherever root may. */
  readWritePaths: string[] | null;
  /** For an event of a link in another namespace: "link" runs the hook inside that namespace. */
  namespace: "netevd" | "link";
}

type PrivilegedSetting = Config["scripts"]["privileged"];

function grant(p: PrivilegedSetting): PrivilegeGrant | undefined {
  if (p === false) return undefined;
  if (p === true) return { scripts: null, capabilities: "all", readWritePaths: null, namespace: "netevd" };
  return {
    scripts: p.scripts ?? null,
    capabilities: p.capabilities,
    readWritePaths: p.read_write_paths ?? null,
    namespace: p.namespace,
  };
}

/** The name a grant's `scripts` list matches: the path under the directory that holds it. */
export function grants(g: PrivilegeGrant | undefined, relative: string): boolean {
  return !!g && (g.scripts === null || g.scripts.includes(relative));
}

/** scripts.dir (in scripts.style), then scripts.directories in their order. */
export function scriptDirectories(c: Config): ScriptDirectory[] {
  return [
    {
      paths: [c.scripts.dir],
      style: c.scripts.style,
      // networkd-dispatcher 2.2 and later (what distributions ship) ignore nothing.
      ignoreStates: [],
      at: ["scripts", "style"],
      privilege: grant(c.scripts.privileged),
      user: hooksUserOf(c, c.scripts.user),
    },
    ...c.scripts.directories.map((d, i) => ({
      paths: d.path.split(":").filter(Boolean),
      style: d.style,
      ignoreStates: d.ignore_states ?? [],
      at: ["scripts", "directories", i],
      privilege: grant(d.privileged),
      user: hooksUserOf(c, d.user ?? c.scripts.user),
    })),
  ];
}

/** A user of their own, or undefined when the daemon runs them as itself. */
function hooksUserOf(c: Config, user: string | undefined): string | undefined {
  return user === undefined || user === c.system.user ? undefined : user;
}

export interface StyleProblem {
  severity: "error" | "warning";
  path: (string | number)[];
  message: string;
}

/**
 * A style the backend cannot feed is an error; scripts netevd will not run
 * because it cannot reproduce what their dispatcher did are warnings, named.
 */
export function styleProblems(c: Config): StyleProblem[] {
  const out: StyleProblem[] = [];
  for (const d of scriptDirectories(c)) {
    const need = STYLE_BACKENDS[d.style];
    // Under auto the style's scripts run while their backend manages the host (netevd-scripts.7).
    if (need && c.system.backend !== "auto" && !need.backends.includes(c.system.backend))
      out.push({
        severity: "error",
        path: [...d.at, ...(d.at.length > 2 ? ["style"] : [])],
        message: `style ${d.style} needs system.backend ${need.backends.join(" or ")} (it is ${c.system.backend}): ${need.why}`,
      });
    if (d.style === "nm-dispatcher")
      for (const p of d.paths)
        for (const sub of NM_BLOCKING_DIRS)
          for (const name of entries(join(p, sub)))
            out.push({
              severity: "warning",
              path: d.at,
              message: `${join(p, sub, name)} will not run: NetworkManager holds the connection until ${sub.slice(0, -2)} scripts end, and netevd observes NetworkManager, it cannot hold it`,
            });
    // A name that matches nothing marks nothing: most likely a typo, or the event directory left out.
    for (const name of d.privilege?.scripts ?? [])
      if (!d.paths.some((p) => existsSync(join(p, name))))
        out.push({
          severity: "warning",
          path: [...d.at.slice(0, d.at.length > 2 ? 3 : 1), "privileged", "scripts"],
          message: `${name} is not in ${d.paths.join(":")}: no script by that name runs privileged${name.includes("/") || d.style === "nm-dispatcher" ? "" : " (netevd's scripts are named with their event directory, such as routable.d/50-firewall)"}`,
        });
    // The runner of another user starts its hooks with no capabilities (its unit has none).
    if (d.user && c.scripts.ambient_capabilities.length > 0)
      out.push({
        severity: "warning",
        path: ["scripts", "ambient_capabilities"],
        message: `the scripts of ${d.paths.join(":")} run as ${d.user}, without these capabilities: they apply only to scripts netevd runs as its own user; mark the scripts privileged (with capabilities:) instead`,
      });
    if (d.style === "nm-dispatcher" || d.style === "networkd-dispatcher")
      for (const p of d.paths)
        if (!existsSync(p))
          out.push({
            severity: "warning",
            path: d.at,
            message: `${p} does not exist: no scripts run from it`,
          });
  }
  return out;
}

function entries(dir: string): string[] {
  try {
    if (!statSync(dir).isDirectory()) return [];
    return readdirSync(dir).filter((n) => !n.startsWith("."));
  } catch {
    return [];
  }
}
