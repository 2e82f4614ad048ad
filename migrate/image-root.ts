// Every path netevd-migrate reads or writes is resolved inside --root (the
// whole system when it is /), symlinks included, the way openat2(2) does with
// RESOLVE_IN_ROOT: an absolute symlink starts again at the root and ".." stops
// there, so nothing outside the root is read or written, whatever the image's
// links say. Each directory on the way is opened (O_PATH|O_NOFOLLOW) relative
// to the one before it, through /proc/self/fd: a directory swapped for a
// symlink during the walk is refused, never followed.
import {
  chownSync,
  closeSync,
  constants,
  copyFileSync,
  fchmodSync,
  fsyncSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  renameSync,
  type Stats,
  statSync,
  symlinkSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { join, posix } from "node:path";
import { readRegularFile } from "../src/util/read-regular";

/** Not in Node's fs.constants. */
const O_PATH = 0o10000000;
/** As the kernel's own limit on symlinks in one lookup. */
const MAX_SYMLINKS = 40;

const at = (dirFd: number, name: string) => `/proc/self/fd/${dirFd}/${name}`;
const components = (path: string) => path.split("/").filter((c) => c !== "" && c !== ".");
const codeOf = (err: unknown) => (err as NodeJS.ErrnoException).code;

export class ImageRootError extends Error {
  override name = "ImageRootError";
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** A directory, pinned by its fd, and one name in it. */
interface Located {
  dirFd: number;
  name: string;
}

export class ImageRoot {
  private readonly rootFd: number;
  readonly asRoot = process.getuid?.() === 0;

  constructor(readonly root: string) {
    this.rootFd = openSync(root, O_PATH | constants.O_DIRECTORY);
  }

  /** An image path as the user sees it on this system (for messages). */
  show(path: string): string {
    return this.root === "/" ? path : join(this.root, path);
  }

  close(): void {
    closeSync(this.rootFd);
  }

  /**
   * Resolves every component but the last inside the root (the last too with
   * `followLast`); missing directories are made with `create`. Throws
   * ImageRootError; a missing last component is not an error.
   */
  private locate(path: string, followLast: boolean, create = false): Located {
    const todo = components(path);
    const opened: number[] = [];
    const top = () => opened.at(-1) ?? this.rootFd;
    let links = 0;
    try {
      for (;;) {
        const c = todo.shift();
        if (c === undefined) return { dirFd: top(), name: "." };
        if (c === "..") {
          const fd = opened.pop();
          if (fd !== undefined) closeSync(fd);
          continue;
        }
        const last = todo.length === 0;
        const p = at(top(), c);
        let st: Stats;
        try {
          st = lstatSync(p);
        } catch (err) {
          if (codeOf(err) !== "ENOENT") throw err;
          if (last && !create) return { dirFd: top(), name: c };
          if (!create) throw new ImageRootError(`${this.show(path)}: no such file or directory`, "ENOENT");
          mkdirSync(p, { mode: 0o755 });
          if (this.asRoot) chownSync(p, 0, 0);
          st = lstatSync(p);
        }
        if (st.isSymbolicLink() && (!last || followLast)) {
          if (++links > MAX_SYMLINKS)
            throw new ImageRootError(`${this.show(path)}: too many levels of symbolic links`, "ELOOP");
          const target = readlinkSync(p);
          if (target.startsWith("/"))
            for (let fd = opened.pop(); fd !== undefined; fd = opened.pop()) closeSync(fd);
          todo.unshift(...components(target));
          continue;
        }
        if (last && !create) return { dirFd: top(), name: c };
        if (!st.isDirectory())
          throw new ImageRootError(`${this.show(path)}: ${c} is not a directory`, "ENOTDIR");
        // O_NOFOLLOW|O_DIRECTORY: swapped for a symlink since lstat, it fails instead of leading out.
        opened.push(openSync(p, O_PATH | constants.O_NOFOLLOW | constants.O_DIRECTORY));
      }
    } finally {
      // Every fd but the one handed back.
      const keep = opened.at(-1);
      for (const fd of opened) if (fd !== keep) closeSync(fd);
    }
  }

  private with<T>(path: string, followLast: boolean, fn: (p: string, l: Located) => T, create = false): T {
    let l: Located | undefined;
    try {
      l = this.locate(path, followLast, create);
      return fn(at(l.dirFd, l.name), l);
    } catch (err) {
      // Only the system's own errors, which name the /proc/self/fd path; ours name the file already.
      if ((err as NodeJS.ErrnoException).syscall === undefined) throw err;
      throw new ImageRootError(`${this.show(path)}: ${messageOf(err)}`, codeOf(err) ?? "EIO");
    } finally {
      if (l && l.dirFd !== this.rootFd) closeSync(l.dirFd);
    }
  }

  /** undefined when it does not exist. */
  lstat(path: string): Stats | undefined {
    return this.exists(() => this.with(path, false, (p) => lstatSync(p)));
  }

  /** Follows symlinks (inside the root); undefined when it or its target does not exist. */
  stat(path: string): Stats | undefined {
    return this.exists(() => this.with(path, true, (p) => statSync(p)));
  }

  readdir(path: string): string[] {
    return this.with(path, true, (p) => readdirSync(p));
  }

  readlink(path: string): string {
    return this.with(path, false, (p) => readlinkSync(p));
  }

  /** A regular file's bytes (at most maxBytes + 1), without blocking on a FIFO or device. */
  readFile(path: string, maxBytes: number): Buffer {
    return this.with(path, true, (p) =>
      readRegularFile(p, maxBytes, { name: this.show(path), noFollow: true }),
    );
  }

  /** The directory and every missing parent, root's and 0755 when made. */
  mkdirs(path: string): void {
    this.with(path, true, () => undefined, true);
  }

  /** Writes atomically: a temporary file beside it, fsync, rename, fsync of the directory. */
  writeFile(path: string, tempName: string, content: Buffer, mode: number): void {
    this.replace(path, tempName, (tmp) => {
      const fd = openSync(
        tmp,
        constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
        0o600,
      );
      try {
        writeSync(fd, content);
        if (this.asRoot) chownSync(tmp, 0, 0);
        // chmod after chown (chown clears setuid bits); the mode is copied as it was.
        fchmodSync(fd, mode);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    });
  }

  symlink(path: string, tempName: string, target: string): void {
    this.replace(path, tempName, (tmp) => {
      symlinkSync(target, tmp);
      if (this.asRoot) lchownSync(tmp, 0, 0);
    });
  }

  private replace(path: string, tempName: string, make: (tmp: string) => void): void {
    this.with(
      posix.dirname(path),
      true,
      (_, dir) => {
        const dirPath = at(dir.dirFd, dir.name);
        const tmp = `${dirPath}/${tempName}`;
        try {
          make(tmp);
          renameSync(tmp, `${dirPath}/${posix.basename(path)}`);
          const fd = openSync(dirPath, constants.O_RDONLY | constants.O_DIRECTORY);
          try {
            fsyncSync(fd);
          } finally {
            closeSync(fd);
          }
        } catch (err) {
          try {
            unlinkSync(tmp);
          } catch {
            // not made
          }
          throw err;
        }
      },
      true,
    );
  }

  /** A copy of a file, or of a symlink as a symlink, beside it. */
  backup(path: string, to: string): void {
    this.with(posix.dirname(path), true, (_, dir) => {
      const d = at(dir.dirFd, dir.name);
      const from = `${d}/${posix.basename(path)}`;
      const copy = `${d}/${posix.basename(to)}`;
      if (lstatSync(from).isSymbolicLink()) symlinkSync(readlinkSync(from), copy);
      else copyFileSync(from, copy, constants.COPYFILE_EXCL);
    });
  }

  /** Renames a file (or symlink) within its directory. */
  rename(path: string, toName: string): void {
    this.with(posix.dirname(path), true, (_, dir) => {
      const d = at(dir.dirFd, dir.name);
      renameSync(`${d}/${posix.basename(path)}`, `${d}/${toName}`);
    });
  }

  unlink(path: string): void {
    this.with(path, false, (p) => unlinkSync(p));
  }

  private exists<T>(fn: () => T): T | undefined {
    try {
      return fn();
    } catch (err) {
      if (codeOf(err) === "ENOENT" || codeOf(err) === "ENOTDIR") return undefined;
      throw err;
    }
  }
}

function messageOf(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  // Node's message names the /proc/self/fd path; the code says what happened.
  return e.code === "ENOENT" ? "no such file or directory" : (e.message.split(",")[0] ?? e.code ?? "failed");
}
