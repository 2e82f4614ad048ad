// Reads a file netevd does not own (configuration, lease files, token files,
// migration inputs) without ever blocking: the open does not wait on a FIFO or
// a device, anything but a regular file is refused, and at most `maxBytes`
// (plus one, so "too large" can be told) is read.
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { NotRegularFileError } from "../errors";

function kindOf(mode: number): string {
  switch (mode & constants.S_IFMT) {
    case constants.S_IFIFO:
      return "a FIFO";
    case constants.S_IFSOCK:
      return "a socket";
    case constants.S_IFCHR:
      return "a character device";
    case constants.S_IFBLK:
      return "a block device";
    case constants.S_IFDIR:
      return "a directory";
    default:
      return "not a file";
  }
}

export interface ReadOptions {
  /** The name errors give (when `path` is a /proc/self/fd path). */
  name?: string;
  /** Refuse a symlink as the last component (it was resolved already). */
  noFollow?: boolean;
}

export function readRegularFile(path: string, maxBytes: number, o: ReadOptions = {}): Buffer {
  // O_NONBLOCK: opening a FIFO with no writer would otherwise wait forever.
  const fd = openSync(
    path,
    constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY | (o.noFollow ? constants.O_NOFOLLOW : 0),
  );
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new NotRegularFileError(o.name ?? path, kindOf(st.mode));
    const buf = Buffer.alloc(Math.min(maxBytes + 1, st.size + 1));
    let used = 0;
    while (used < buf.length) {
      const n = readSync(fd, buf, used, buf.length - used, null);
      if (n === 0) break;
      used += n;
    }
    return buf.subarray(0, used);
  } finally {
    closeSync(fd);
  }
}
