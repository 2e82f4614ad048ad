// Whether only root can change what a path runs: every directory walked on the
// way (symlink hops included) and the file itself are root's and writable by
// no one else. Then checking now and running a moment later is the same file,
// unless root changed it (as ssh's StrictModes and sudo reason).
import { lstatSync, readlinkSync, type Stats } from "node:fs";
import { posix } from "node:path";
import { ruleBroken } from "../config/script-rules";

const MAX_HOPS = 40; // as the kernel's ELOOP

const owned = (st: Stats) => st.uid === 0 && (st.mode & 0o022) === 0;
const describe = (st: Stats) => `uid ${st.uid}, mode ${(st.mode & 0o7777).toString(8).padStart(4, "0")}`;

/** The file the path names after all symlinks, or why it may not run as root. */
export const secureExecutable = (path: string) => securePath(path, (st) => ruleBroken(st)?.detail);

/** A file root reads its orders from (the configuration): root's, and writable by no one else. */
export const secureConfig = (path: string) =>
  securePath(path, (st) =>
    !st.isFile()
      ? "not a regular file"
      : owned(st)
        ? undefined
        : `${describe(st)}: must be root's and writable by no one else`,
  );

function securePath(
  path: string,
  fileProblem: (st: Stats) => string | undefined,
): { real: string } | { refused: string } {
  if (!path.startsWith("/")) return { refused: `${path} is not absolute` };
  const pending = path.split("/").filter(Boolean);
  let dir = "/";
  let hops = 0;
  const root = lstatSync("/");
  if (!owned(root)) return { refused: `/ (${describe(root)}) is not root's alone` };
  while (pending.length > 0) {
    const name = pending.shift() as string;
    if (name === ".") continue;
    if (name === "..") {
      dir = posix.dirname(dir);
      continue;
    }
    const next = posix.join(dir, name);
    let st: Stats;
    try {
      st = lstatSync(next);
    } catch (err) {
      return { refused: `${next}: ${(err as NodeJS.ErrnoException).code ?? "cannot be read"}` };
    }
    if (st.isSymbolicLink()) {
      // The link lives in `dir`, already checked: only root could have put it there.
      if (++hops > MAX_HOPS) return { refused: `${path}: too many symlinks` };
      const target = readlinkSync(next);
      if (target.startsWith("/")) dir = "/";
      pending.unshift(...target.split("/").filter(Boolean));
      continue;
    }
    if (pending.length > 0) {
      if (!st.isDirectory()) return { refused: `${next} is not a directory` };
      if (!owned(st))
        return {
          refused: `directory ${next} (${describe(st)}) must be root's and writable by no one else`,
        };
      dir = next;
      continue;
    }
    const broken = fileProblem(st);
    if (broken) return { refused: `${next}: ${broken}` };
    return { real: next };
  }
  return { refused: `${path} names a directory` };
}
