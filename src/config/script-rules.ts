// Which files may run as scripts, and how scripts are run, as every side of
// netevd must agree: the daemon's runner, the privileged executor (root's
// side) and netevd-migrate. Pure rules on names and stat results; nothing
// here reads a directory (src/scripts/discover.ts does).
import type { Stats } from "node:fs";
import type { ScriptStyleName } from "./style-names";

export type SkipRule =
  | "unsafe-directory"
  | "broken-symlink"
  | "not-a-regular-file"
  | "not-owned-by-root"
  | "group-or-other-writable"
  | "setuid-or-setgid"
  | "not-executable";

/** Why a file (after following symlinks) may not run, or undefined when it may. */
export type FileRule = (st: Stats) => { rule: SkipRule; detail: string } | undefined;

/** The PATH scripts get (and privileged hooks, from the executor). */
export const SCRIPT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** After a timeout's SIGTERM, how long a script's processes have before SIGKILL. */
export const KILL_GRACE_MS = 5000;

const IGNORED_SUFFIXES = ["~", ".rpmsave", ".rpmorig", ".rpmnew", ".swp", ".bak"];

export function isIgnoredName(name: string): boolean {
  return name.startsWith(".") || IGNORED_SUFFIXES.some((s) => name.endsWith(s)) || name.includes(".dpkg-");
}

/** Byte order of the names, as `ls` with LC_ALL=C (not locale order). */
export function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

const ROOT_UID = 0;
const modeOf = (st: Stats) => (st.mode & 0o7777).toString(8).padStart(4, "0");

/** A script directory whoever is not root could add a file to: refused as a whole. */
export function unsafeDirectory(st: Stats): boolean {
  return st.uid !== ROOT_UID || (st.mode & 0o022) !== 0;
}

/** netevd's rule (and the Rust netevd's): root's, not writable by group or others, no setuid/setgid, executable. */
export const ruleBroken: FileRule = (st) => {
  const mode = modeOf(st);
  if (!st.isFile()) return { rule: "not-a-regular-file", detail: "not a regular file" };
  if (st.uid !== ROOT_UID)
    return { rule: "not-owned-by-root", detail: `owned by uid ${st.uid}, must be owned by root` };
  if (st.mode & 0o022)
    return { rule: "group-or-other-writable", detail: `mode ${mode} is writable by group or others` };
  if (st.mode & 0o6000) return { rule: "setuid-or-setgid", detail: `mode ${mode} has setuid or setgid` };
  if (!(st.mode & 0o100))
    return { rule: "not-executable", detail: `mode ${mode} is not executable by its owner` };
  return undefined;
};

/** networkd-dispatcher's: uid 0, gid 0, the owner may execute; and, netevd's one addition, nobody else may write. */
const networkdDispatcherRule: FileRule = (st) => {
  const mode = modeOf(st);
  if (!st.isFile()) return { rule: "not-a-regular-file", detail: "not a regular file" };
  if (st.uid !== 0 || st.gid !== 0)
    return {
      rule: "not-owned-by-root",
      detail: `owned by ${st.uid}:${st.gid}, networkd-dispatcher runs only root:root files`,
    };
  if (st.mode & 0o002)
    return { rule: "group-or-other-writable", detail: `mode ${mode} is writable by others` };
  if (!(st.mode & 0o100))
    return { rule: "not-executable", detail: `mode ${mode} is not executable by its owner` };
  return undefined;
};

/** nm-dispatcher's: root's, not writable by group or others, not setuid, executable by its owner. */
const nmDispatcherRule: FileRule = (st) => {
  const mode = modeOf(st);
  if (!st.isFile()) return { rule: "not-a-regular-file", detail: "not a regular file" };
  if (st.uid !== 0)
    return { rule: "not-owned-by-root", detail: `owned by uid ${st.uid}, must be owned by root` };
  if (st.mode & 0o022)
    return { rule: "group-or-other-writable", detail: `mode ${mode} is writable by group or others` };
  if (st.mode & 0o4000) return { rule: "setuid-or-setgid", detail: `mode ${mode} has setuid` };
  if (!(st.mode & 0o100))
    return { rule: "not-executable", detail: `mode ${mode} is not executable by its owner` };
  return undefined;
};

/** The file rule of a style's directories. */
export function styleRule(style: ScriptStyleName): FileRule {
  switch (style) {
    case "networkd-dispatcher":
      return networkdDispatcherRule;
    case "nm-dispatcher":
      return nmDispatcherRule;
    case "netevd":
    case "netevd-rust":
      return ruleBroken;
  }
}
