// Writing the migration: nothing existing is replaced without --force (then a
// timestamped backup is kept next to it, with a name netevd ignores); every
// file is written atomically (temporary file, fsync, rename, fsync of the
// directory); what is already as wanted is left alone, so a second run
// changes nothing.
import {
  chownSync,
  closeSync,
  copyFileSync,
  existsSync,
  fchmodSync,
  fsyncSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  renameSync,
  symlinkSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { processAlive } from "../src/util/process-alive";
import { readRegularFile } from "../src/util/read-regular";

export interface Write {
  path: string;
  kind: "file" | "symlink";
  content?: Buffer;
  mode?: number;
  linkTarget?: string;
}

export type WriteState = "create" | "unchanged" | "replace";

export interface WriteResult {
  path: string;
  state: WriteState;
  /** With --force: where the old version was kept. */
  backup?: string;
  /** Set when --apply did not write it. */
  refused?: string;
}

function stateOf(w: Write): WriteState {
  let st;
  try {
    st = lstatSync(w.path);
  } catch {
    return "create";
  }
  if (w.kind === "symlink")
    return st.isSymbolicLink() && readlinkSync(w.path) === w.linkTarget ? "unchanged" : "replace";
  if (!st.isFile() || st.isSymbolicLink()) return "replace";
  const same =
    readRegularFile(w.path, (w.content?.length ?? 0) + 1).equals(w.content ?? Buffer.alloc(0)) &&
    (st.mode & 0o7777) === (w.mode ?? 0o644);
  return same ? "unchanged" : "replace";
}

export function planWrites(writes: Write[]): WriteResult[] {
  return writes.map((w) => ({ path: w.path, state: stateOf(w) }));
}

const stamp = (d: Date) =>
  d
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");

function fsyncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

const asRoot = process.getuid?.() === 0;

function mkdirs(dir: string): void {
  if (existsSync(dir)) return;
  mkdirs(dirname(dir));
  mkdirSync(dir, { mode: 0o755 });
  if (asRoot) chownSync(dir, 0, 0);
}

const TEMP = /^\.(.+)\.netevd-migrate-(\d+)$/;
const tempName = (path: string) => join(dirname(path), `.${basename(path)}.netevd-migrate-${process.pid}`);

/** Temporary files of an earlier run that was killed (its PID is gone), in the directories written to. */
function removeStaleTemps(dirs: Iterable<string>): void {
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue; // not made yet
    }
    for (const name of names) {
      const pid = Number(TEMP.exec(name)?.[2]);
      if (pid && pid !== process.pid && !processAlive(pid)) unlinkSync(join(dir, name));
    }
  }
}

function atomicWrite(w: Write): void {
  const dir = dirname(w.path);
  mkdirs(dir);
  const tmp = tempName(w.path);
  try {
    if (w.kind === "symlink") {
      symlinkSync(w.linkTarget ?? "", tmp);
      if (asRoot) lchownSync(tmp, 0, 0);
    } else {
      const fd = openSync(tmp, "wx", 0o600);
      try {
        writeSync(fd, w.content ?? Buffer.alloc(0));
        if (asRoot) chownSync(tmp, 0, 0);
        // chmod after chown (chown clears setuid bits); the mode is copied as it was.
        fchmodSync(fd, w.mode ?? 0o644);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
    renameSync(tmp, w.path);
    fsyncDir(dir);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // not created
    }
    throw err;
  }
}

/**
 * Applies the writes. When any would replace something and `force` is not set,
 * nothing at all is written (all results say why).
 */
export function applyWrites(
  writes: Write[],
  force: boolean,
  now = new Date(),
): { results: WriteResult[]; error?: string } {
  const results = planWrites(writes);
  const conflicts = results.filter((r) => r.state === "replace");
  if (conflicts.length && !force) {
    for (const r of conflicts) r.refused = "exists and differs; not replaced without --force";
    return {
      results,
      error: `${conflicts.length} file(s) exist and differ (${conflicts.map((c) => c.path).join(", ")}); nothing was written. Use --force to replace them (a timestamped backup of each is kept)`,
    };
  }
  removeStaleTemps(new Set(writes.map((w) => dirname(w.path))));
  writes.forEach((w, i) => {
    const r = results[i] as WriteResult;
    if (r.state === "unchanged") return;
    if (r.state === "replace") {
      r.backup = `${w.path}.${stamp(now)}.bak`;
      const st = lstatSync(w.path);
      if (st.isSymbolicLink()) symlinkSync(readlinkSync(w.path), r.backup);
      else copyFileSync(w.path, r.backup);
    }
    atomicWrite(w);
  });
  return { results };
}
