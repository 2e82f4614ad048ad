// Watches dhclient lease files. A watch on the directory (not the file) sees
// all three ways dhclient changes a lease file: appends, in-place truncation
// and rewrite (same inode), and a new file renamed over the old one. Changes
// are debounced briefly and the file is re-read whole; only complete blocks
// count (lease-parser). A directory that does not exist yet is polled for.
import { type FSWatcher, watch, readdirSync } from "node:fs";
import { readRegularFile } from "../../util/read-regular";
import { basename, dirname, join } from "node:path";
import picomatch from "picomatch";
import type { Logger } from "../../log/logger";
import { currentLeases, type Lease } from "./lease-parser";

/** dhclient rewrites its lease files at start; a file this large is not one of them. */
const MAX_LEASE_FILE_BYTES = 16 << 20;

/** Where dhclient keeps leases on Debian (ifupdown per-interface files, plain) and RHEL/Fedora. */
export const DEFAULT_LEASE_FILES = [
  "/var/lib/dhcp/dhclient.leases",
  "/var/lib/dhcp/dhclient.*.leases",
  "/var/lib/dhcp/dhclient6.leases",
  "/var/lib/dhcp/dhclient6.*.leases",
  "/var/lib/dhclient/dhclient.leases",
  "/var/lib/dhclient/dhclient-*.leases",
  "/var/lib/dhclient/dhclient6.leases",
  "/var/lib/dhclient/dhclient6-*.leases",
];

/** Leases of one file: key `${interface}/${family}` → the last block. */
export type FileLeases = Map<string, Lease>;

export interface LeaseFilesOptions {
  /** Absolute paths; the last component may be a shell glob. */
  patterns: string[];
  onChange: (file: string, leases: FileLeases) => void;
  log: Logger;
  debounceMs?: number;
  pollMs?: number;
}

interface Dir {
  path: string;
  match: (name: string) => boolean;
  watcher: FSWatcher | null;
}

export class LeaseFiles {
  private readonly dirs: Dir[] = [];
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private poll: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly opts: LeaseFilesOptions) {
    const byDir = new Map<string, string[]>();
    for (const p of opts.patterns) {
      const list = byDir.get(dirname(p)) ?? [];
      list.push(basename(p));
      byDir.set(dirname(p), list);
    }
    for (const [path, names] of byDir) {
      const matchers = names.map((n) => picomatch(n, { dot: true }));
      this.dirs.push({ path, match: (name) => matchers.some((m) => m(name)), watcher: null });
    }
  }

  /** Reads every matching file now and watches from here on. */
  start(): void {
    for (const d of this.dirs) this.attach(d);
    this.poll = setInterval(() => {
      for (const d of this.dirs) if (!d.watcher) this.attach(d);
    }, this.opts.pollMs ?? 2000);
    this.poll.unref();
  }

  private attach(d: Dir): void {
    if (this.closed) return;
    try {
      d.watcher = watch(d.path, { persistent: false }, (_type, name) => {
        if (name && d.match(name)) this.schedule(join(d.path, name));
      });
    } catch {
      return; // not there yet: polled for
    }
    d.watcher.on("error", (err) => {
      // The directory was removed: back to polling for it.
      this.opts.log.debug(`watching ${d.path} stopped: ${err.message}`);
      d.watcher?.close();
      d.watcher = null;
    });
    this.opts.log.debug(`watching ${d.path} for lease files`);
    let names: string[] = [];
    try {
      names = readdirSync(d.path);
    } catch {
      // raced with removal
    }
    for (const n of names.filter(d.match).sort()) this.read(join(d.path, n));
  }

  private schedule(file: string): void {
    clearTimeout(this.timers.get(file));
    this.timers.set(
      file,
      setTimeout(() => {
        this.timers.delete(file);
        this.read(file);
      }, this.opts.debounceMs ?? 50),
    );
  }

  private read(file: string): void {
    if (this.closed) return;
    let text: string;
    try {
      text = readRegularFile(file, MAX_LEASE_FILE_BYTES).toString("utf8");
      if (text.length > MAX_LEASE_FILE_BYTES) {
        this.opts.log.warn(`lease file ${file} is larger than ${MAX_LEASE_FILE_BYTES} bytes; ignored`);
        return;
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") this.opts.onChange(file, new Map());
      else this.opts.log.warn(`cannot read lease file ${file}: ${(err as Error).message}`);
      return;
    }
    this.opts.onChange(file, currentLeases(text));
  }

  close(): void {
    this.closed = true;
    clearInterval(this.poll);
    for (const t of this.timers.values()) clearTimeout(t);
    for (const d of this.dirs) d.watcher?.close();
  }
}
