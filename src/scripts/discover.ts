// Which files in <dir>/<event>.d are scripts netevd will run (netevd-scripts.7).
import { fileVersion } from "../config/script-variables";
import { lstatSync, readdirSync, realpathSync, type Stats, statSync } from "node:fs";
import { join, normalize } from "node:path";
import {
  byteOrder,
  type FileRule,
  isIgnoredName,
  ruleBroken,
  type SkipRule,
  unsafeDirectory,
} from "../config/script-rules";

interface Script {
  name: string;
  path: string;
  /** This version of the file (device, inode, size, times; after symlinks): what was read of it holds until it changes. */
  version: string;
}

/**
 * Whether a filter's `scripts` list selects this script: by its name, or by
 * its absolute path (as the Rust netevd's documentation wrote them).
 */
export function selects(only: readonly string[] | null, s: Pick<Script, "name" | "path">): boolean {
  return !only || only.some((e) => e === s.name || (e.startsWith("/") && normalize(e) === s.path));
}

export interface Skipped {
  name: string;
  path: string;
  rule: SkipRule;
  detail: string;
  /** Identifies this version of the file, so a warning is repeated only after it changes. */
  stamp: string;
}

export interface Discovery {
  scripts: Script[];
  skipped: Skipped[];
  /** Names ignored on purpose (backups, editor and package-manager leftovers). */
  ignored: string[];
}

export interface DiscoverOptions {
  /** The file rule (netevd's unless a style has its own). */
  rule?: FileRule;
  /** Directories among the entries are part of the layout (NetworkManager's pre-up.d …), not scripts. */
  layoutDirs?: boolean;
}

/**
 * Lists the scripts of one event directory, or of several: a name in an
 * earlier one hides the same name in later ones (networkd-dispatcher's and
 * NetworkManager's /etc over /usr/lib). A missing directory has no scripts. A
 * directory others could write to is refused as a whole: anyone who can add
 * a file there could run code as netevd.
 */
export function discoverScripts(dirs: string | readonly string[], o: DiscoverOptions = {}): Discovery {
  const list = typeof dirs === "string" ? [dirs] : dirs;
  if (list.length === 1) return discoverOne(list[0]!, o);
  const out: Discovery = { scripts: [], skipped: [], ignored: [] };
  const seen = new Set<string>();
  for (const dir of list) {
    const one = discoverOne(dir, o);
    for (const s of one.scripts) if (!seen.has(s.name)) out.scripts.push(s);
    for (const s of one.skipped) if (!seen.has(s.name)) out.skipped.push(s);
    for (const n of one.ignored) if (!seen.has(n)) out.ignored.push(n);
    for (const n of [...one.scripts.map((s) => s.name), ...one.skipped.map((s) => s.name)]) seen.add(n);
  }
  out.scripts.sort((a, b) => byteOrder(a.name, b.name));
  return out;
}

function discoverOne(dir: string, o: DiscoverOptions): Discovery {
  const rule = o.rule ?? ruleBroken;
  const out: Discovery = { scripts: [], skipped: [], ignored: [] };
  let dirStat: Stats | undefined;
  try {
    // Most events have no directory: no exception for that (a routes flood asks thousands of times).
    dirStat = statSync(dir, { throwIfNoEntry: false });
  } catch {
    return out;
  }
  if (!dirStat?.isDirectory()) return out;
  const dirProblem = unsafeDirectory(dirStat);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  names.sort(byteOrder);
  for (const name of names) {
    const path = join(dir, name);
    if (isIgnoredName(name)) {
      out.ignored.push(name);
      continue;
    }
    if (dirProblem) {
      const mode = (dirStat.mode & 0o7777).toString(8).padStart(4, "0");
      out.skipped.push({
        name,
        path,
        rule: "unsafe-directory",
        detail: `directory ${dir} (uid ${dirStat.uid}, mode ${mode}) must be owned by root and not writable by group or others`,
        stamp: `${dirStat.ino}:${dirStat.mode}:${dirStat.uid}`,
      });
      continue;
    }
    let link: Stats;
    let st: Stats;
    try {
      link = lstatSync(path);
      st = link.isSymbolicLink() ? statSync(path) : link;
    } catch {
      out.skipped.push({
        name,
        path,
        rule: "broken-symlink",
        detail: "symlink to a missing file",
        stamp: "broken",
      });
      continue;
    }
    if (o.layoutDirs && !link.isSymbolicLink() && st.isDirectory()) {
      out.ignored.push(name);
      continue;
    }
    const broken = rule(st);
    const target = link.isSymbolicLink() ? ` (symlink to ${safeRealpath(path)})` : "";
    if (broken) {
      out.skipped.push({
        name,
        path,
        rule: broken.rule,
        detail: broken.detail + target,
        stamp: `${st.ino}:${st.mode}:${st.uid}:${st.mtimeMs}`,
      });
    } else {
      out.scripts.push({ name, path, version: fileVersion(st) });
    }
  }
  return out;
}

function safeRealpath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return "?";
  }
}
