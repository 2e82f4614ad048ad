// Files another program keeps in a directory (dhclient's lease files,
// systemd-networkd's lease state): a watch on the directory, not the file,
// sees every way they change (appends, in-place truncation, a new file renamed
// over the old one, removal). Changes are debounced briefly and the file is
// re-read whole, never blocking (read-regular). A directory that does not exist
// yet is polled for.
import { type FSWatcher, readdirSync, watch } from "node:fs";
import { basename, dirname, join } from "node:path";
import picomatch from "picomatch";
import type { Logger } from "../log/logger";
import { readRegularFile } from "./read-regular";

export interface WatchedFilesOptions<T> {
  /** Absolute paths; the last component may be a shell glob. */
  patterns: string[];
  /** What the files are, for the log ("lease file"). */
  what: string;
  maxBytes: number;
  parse: (text: string, file: string) => T;
  /** A file's new contents, parsed; null once it is gone. */
  onChange: (file: string, value: T | null) => void;
  log: Logger;
  debounceMs?: number;
  pollMs?: number;
}

interface Dir {
  path: string;
  match: (name: string) => boolean;
  watcher: FSWatcher | null;
}

export class WatchedFiles<T> {
  private readonly dirs: Dir[] = [];
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private poll: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly opts: WatchedFilesOptions<T>) {
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
    this.opts.log.debug(`watching ${d.path} for ${this.opts.what}s`);
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

  /** Reads one file now (also outside the watch: a reader that cannot wait for the debounce). */
  read(file: string): void {
    if (this.closed) return;
    const max = this.opts.maxBytes;
    let text: string;
    try {
      text = readRegularFile(file, max).toString("utf8");
      if (text.length > max) {
        this.opts.log.warn(`${this.opts.what} ${file} is larger than ${max} bytes; ignored`);
        return;
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") this.opts.onChange(file, null);
      else this.opts.log.warn(`cannot read ${this.opts.what} ${file}: ${(err as Error).message}`);
      return;
    }
    this.opts.onChange(file, this.opts.parse(text, file));
  }

  close(): void {
    this.closed = true;
    clearInterval(this.poll);
    for (const t of this.timers.values()) clearTimeout(t);
    for (const d of this.dirs) d.watcher?.close();
  }
}
