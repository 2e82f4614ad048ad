// Writing the migration: nothing existing is replaced without --force (then a
// timestamped backup is kept next to it, with a name netevd ignores); every
// file is written atomically (temporary file, fsync, rename, fsync of the
// directory); what is already as wanted is left alone, so a second run
// changes nothing. Paths are the image's, resolved inside its root.
import { posix } from "node:path";
import { processAlive } from "../src/util/process-alive";
import type { ImageRoot } from "./image-root";

export interface Write {
  path: string;
  /** `hide`: the file is renamed to `hiddenAs` in its directory (a script moved elsewhere). */
  kind: "file" | "symlink" | "hide";
  content?: Buffer;
  mode?: number;
  linkTarget?: string;
  hiddenAs?: string;
  /**
   * Part of moving scripts: a symlink re-pointed at a script's new place may
   * replace the old one without --force (the report shows both).
   */
  moving?: boolean;
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

function stateOf(image: ImageRoot, w: Write): WriteState {
  const st = image.lstat(w.path);
  if (w.kind === "hide") {
    if (!st) return "unchanged"; // hidden by an earlier run
    return image.lstat(posix.join(posix.dirname(w.path), w.hiddenAs ?? "")) ? "replace" : "create";
  }
  if (!st) return "create";
  if (w.kind === "symlink")
    return st.isSymbolicLink() && image.readlink(w.path) === w.linkTarget ? "unchanged" : "replace";
  if (!st.isFile()) return "replace";
  const same =
    image.readFile(w.path, (w.content?.length ?? 0) + 1).equals(w.content ?? Buffer.alloc(0)) &&
    (st.mode & 0o7777) === (w.mode ?? 0o644);
  return same ? "unchanged" : "replace";
}

export function planWrites(image: ImageRoot, writes: Write[]): WriteResult[] {
  return writes.map((w) => ({ path: w.path, state: stateOf(image, w) }));
}

const stamp = (d: Date) =>
  d
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");

const TEMP = /^\.(.+)\.netevd-migrate-(\d+)$/;
const tempName = (path: string) => `.${posix.basename(path)}.netevd-migrate-${process.pid}`;

/** Temporary files of an earlier run that was killed (its PID is gone), in the directories written to. */
function removeStaleTemps(image: ImageRoot, dirs: Iterable<string>): void {
  for (const dir of dirs) {
    if (!image.stat(dir)?.isDirectory()) continue; // not made yet
    for (const name of image.readdir(dir)) {
      const pid = Number(TEMP.exec(name)?.[2]);
      if (pid && pid !== process.pid && !processAlive(pid)) image.unlink(posix.join(dir, name));
    }
  }
}

function atomicWrite(image: ImageRoot, w: Write): void {
  image.mkdirs(posix.dirname(w.path));
  if (w.kind === "hide") image.rename(w.path, w.hiddenAs ?? "");
  else if (w.kind === "symlink") image.symlink(w.path, tempName(w.path), w.linkTarget ?? "");
  else image.writeFile(w.path, tempName(w.path), w.content ?? Buffer.alloc(0), w.mode ?? 0o644);
}

/**
 * Applies the writes. When any would replace something and `force` is not set,
 * nothing at all is written (all results say why).
 */
export function applyWrites(
  image: ImageRoot,
  writes: Write[],
  force: boolean,
  now = new Date(),
): { results: WriteResult[]; error?: string } {
  const results = planWrites(image, writes);
  const conflicts = results.filter((r, i) => r.state === "replace" && !writes[i]?.moving);
  if (conflicts.length && !force) {
    for (const r of conflicts) r.refused = "exists and differs; not replaced without --force";
    return {
      results,
      error: `${conflicts.length} file(s) exist and differ (${conflicts.map((c) => image.show(c.path)).join(", ")}); nothing was written. Use --force to replace them (a timestamped backup of each is kept)`,
    };
  }
  removeStaleTemps(image, new Set(writes.map((w) => posix.dirname(w.path))));
  writes.forEach((w, i) => {
    const r = results[i] as WriteResult;
    if (r.state === "unchanged") return;
    if (r.state === "replace" && !w.moving) {
      r.backup = `${w.path}.${stamp(now)}.bak`;
      image.backup(w.path, r.backup);
    }
    atomicWrite(image, w);
  });
  return { results };
}
