// Filter `scripts:` entries that select nothing: a name no event directory
// holds, or an absolute path that is not a script there. The Rust netevd
// ignored these lists; netevd runs only what they name, so a typo would
// silently run nothing. Checked when the configuration is loaded.
import { readdirSync } from "node:fs";
import { join, normalize } from "node:path";
import type { Config } from "./schema";
import { scriptDirectories } from "./script-styles";

export function unmatchedFilterScripts(c: Config): { path: (string | number)[]; message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = [];
  if (!c.filters.some((f) => f.scripts.length)) return out;
  const present = new Map<string, Set<string>>(); // event → names
  let dirs: string[];
  try {
    dirs = readdirSync(c.scripts.dir).filter((d) => d.endsWith(".d"));
  } catch {
    return out; // no script directory yet: nothing to compare with
  }
  for (const d of dirs) {
    try {
      present.set(d.slice(0, -2), new Set(readdirSync(join(c.scripts.dir, d))));
    } catch {
      // not a directory
    }
  }
  c.filters.forEach((f, i) => {
    const events = f.match_rule.event_type ? [f.match_rule.event_type] : [...present.keys()];
    f.scripts.forEach((entry, j) => {
      const found = events.some((e) => {
        const names = present.get(e);
        if (!names) return false;
        if (!entry.startsWith("/")) return names.has(entry);
        const p = normalize(entry);
        const dir = join(c.scripts.dir, `${e}.d`);
        return p.startsWith(`${dir}/`) && names.has(p.slice(dir.length + 1));
      });
      if (!found && !inStyleDirectories(c, entry))
        out.push({
          path: ["filters", i, "scripts", j],
          message: `"${entry}" names no script in ${join(c.scripts.dir, `${f.match_rule.event_type ?? "*"}.d`)}: this filter will run nothing for it (entries are script names or absolute paths)`,
        });
    });
  });
  return out;
}

/** Whether a script of that name (or path) is in a directory of another style, or in one of its subdirectories. */
function inStyleDirectories(c: Config, entry: string): boolean {
  const dirs = scriptDirectories(c)
    .slice(1)
    .flatMap((d) => d.paths);
  if (c.scripts.style !== "netevd") dirs.push(c.scripts.dir);
  const names = (dir: string): string[] => {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  };
  for (const dir of dirs)
    for (const sub of ["", ...names(dir).filter((n) => n.endsWith(".d"))]) {
      const d = join(dir, sub);
      if (
        entry.startsWith("/")
          ? names(d).some((n) => join(d, n) === normalize(entry))
          : names(d).includes(entry)
      )
        return true;
    }
  return false;
}
