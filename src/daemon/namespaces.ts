// monitoring.namespaces: which named network namespaces exist (/run/netns,
// watched with inotify), which of them the configuration watches, and one
// NamespaceLinks per watched namespace. A namespace that appears is picked up
// (`netns` created, then its links' states as new links'); one that goes is
// released at once, its socket closed (a socket would keep the namespace alive)
// and its state dropped (`netns` deleted). A name bound again to a new
// namespace is a deletion and a creation.
import { type FSWatcher, readdirSync, statfsSync, statSync, watch } from "node:fs";
import { posix } from "node:path";
import { isNamespaceName, NETNS_DIR } from "../config/netns-name";
import { getLogger } from "../log/logger";
import { Coalesced } from "../util/coalesced";
import { namespaceSocket } from "../system/netns-socket";
import type { NativeBinding } from "../native/binding";
import { NamespaceLinks, type NamespaceLinksDeps } from "./namespace-links";
import { Backoff, RetryTimer } from "../util/backoff";

const log = getLogger("netns");
const NSFS_MAGIC = 0x6e736673;
/** `ip netns add` creates the file, then binds the namespace on it: retry until it is one. */
const RETRY_FIRST_MS = 20;
const RETRY_MAX_MS = 5_000;
/** How long the file may stay unbound (as seen here) before netevd-privileged is asked anyway. */
const UNBOUND_GRACE_MS = 1_000;
const SOCKET_TIMEOUT_MS = 10_000;

export interface NamespaceWatchDeps extends NamespaceLinksDeps {
  binding: NativeBinding;
  /** Names the configuration watches now (changes on reload). */
  watched: () => (name: string) => boolean;
  /** netevd-privileged's socket. */
  executor: () => string;
  /** run_startup_triggers: namespaces present at start announce themselves and their links. */
  startupTriggers: () => boolean;
}

interface Seen {
  /** The namespace's inode when bound (nsfs), else the file's: a new namespace under the name differs. */
  ino: number;
  bound: boolean;
}

/** netevd's own network namespace (run under `ip netns exec`, it is also under /run/netns). */
function ownNamespace(): number | undefined {
  try {
    return statSync("/proc/self/ns/net").ino;
  } catch {
    return undefined;
  }
}

function sameFile(name: string, ino: number): boolean {
  try {
    return statSync(posix.join(NETNS_DIR, name)).ino === ino;
  } catch {
    return false;
  }
}

export class NamespaceWatch {
  private readonly attached = new Map<string, { links: NamespaceLinks; ino: number; bound: boolean }>();
  /** Names whose socket could not be had, already warned about. */
  private readonly warned = new Set<string>();
  /** Names present but not (yet) attached, since when. */
  private readonly waiting = new Map<string, number>();
  private readonly scans = new Coalesced(
    () => this.scan(),
    () => !this.closed,
  );
  private dirWatch: FSWatcher | undefined;
  private runWatch: FSWatcher | undefined;
  private readonly retries = new RetryTimer(new Backoff(RETRY_FIRST_MS, RETRY_MAX_MS), () => {
    if (!this.closed) void this.scans.run();
  });
  private started = false;
  private closed = false;

  constructor(private readonly d: NamespaceWatchDeps) {}

  /** Watches /run/netns and attaches the namespaces there now; resolves after their first sync. */
  async start(): Promise<void> {
    this.watchDirectory();
    await this.scans.run();
    this.started = true;
  }

  /** After a reload: monitoring.namespaces or monitoring.interfaces may have changed. */
  update(): void {
    for (const a of this.attached.values()) a.links.resync();
    void this.scans.run();
  }

  all(): NamespaceLinks[] {
    return [...this.attached.values()].map((a) => a.links);
  }

  get(name: string): NamespaceLinks | undefined {
    return this.attached.get(name)?.links;
  }

  close(): void {
    this.closed = true;
    this.retries.cancel();
    this.dirWatch?.close();
    this.runWatch?.close();
    for (const a of this.attached.values()) a.links.close();
    this.attached.clear();
  }

  /** /run/netns may not exist yet: then /run is watched until `ip netns` makes it. */
  private watchDirectory(): void {
    if (this.closed || this.dirWatch) return;
    try {
      this.dirWatch = watch(NETNS_DIR, { persistent: false }, () => void this.scans.run());
      this.dirWatch.on("error", () => {
        // The directory went: watch for it again, and let go of every namespace.
        this.dirWatch?.close();
        this.dirWatch = undefined;
        this.watchDirectory();
        void this.scans.run();
      });
      this.runWatch?.close();
      this.runWatch = undefined;
    } catch {
      if (this.runWatch) return;
      this.runWatch = watch(posix.dirname(NETNS_DIR), { persistent: false }, (_t, file) => {
        if (file === posix.basename(NETNS_DIR)) {
          this.watchDirectory();
          void this.scans.run();
        }
      });
      this.runWatch.on("error", () => undefined);
    }
  }

  private present(): Map<string, Seen> {
    const out = new Map<string, Seen>();
    let names: string[];
    try {
      names = readdirSync(NETNS_DIR);
    } catch {
      return out;
    }
    const own = ownNamespace();
    const watched = this.d.watched();
    for (const name of names) {
      const seen = this.look(name, own, watched);
      if (seen) out.set(name, seen);
    }
    return out;
  }

  /** One name under /run/netns, when watched and there (and not netevd's own namespace). */
  private look(name: string, own = ownNamespace(), watched = this.d.watched()): Seen | undefined {
    if (!isNamespaceName(name) || !watched(name)) return undefined;
    const path = posix.join(NETNS_DIR, name);
    try {
      const bound = statfsSync(path).type === NSFS_MAGIC;
      const ino = statSync(path).ino;
      return bound && ino === own ? undefined : { ino, bound };
    } catch {
      return undefined; // gone meanwhile
    }
  }

  private async scan(): Promise<void> {
    if (this.closed) return;
    const now = this.present();
    const watched = this.d.watched();
    for (const [name, a] of [...this.attached]) {
      const seen = now.get(name);
      // A different namespace under the name: compared only when both were seen bound.
      const replaced = seen && seen.bound && a.bound && seen.ino !== a.ino;
      if (seen && !replaced) continue;
      // Left out of monitoring.namespaces by a reload: let go, but it was not deleted.
      this.detach(name, !(!seen && !watched(name) && sameFile(name, a.ino)));
    }
    for (const name of this.waiting.keys()) if (!now.has(name)) this.waiting.delete(name);
    for (const name of this.warned) if (!now.has(name)) this.warned.delete(name);
    let retry = false;
    // One at a time: each is a round trip to netevd-privileged.
    for (const [name, seen] of now) {
      if (this.attached.has(name) || this.closed) continue;
      const since = this.waiting.get(name) ?? Date.now();
      this.waiting.set(name, since);
      if (!seen.bound && Date.now() - since < UNBOUND_GRACE_MS) {
        retry = true;
        continue;
      }
      if (!(await this.attach(name, seen))) retry = true;
    }
    if (retry && !this.closed) this.retries.schedule();
    else this.retries.succeeded();
  }

  private async attach(name: string, seen: Seen): Promise<boolean> {
    const startup = !this.started;
    let fd: number;
    try {
      fd = await namespaceSocket(name, {
        binding: this.d.binding,
        executor: this.d.executor(),
        timeoutMs: SOCKET_TIMEOUT_MS,
      });
    } catch (err) {
      const gone = !this.look(name);
      // Tried again with backoff: said once per name, not every 5 s.
      const why = `namespace ${name}: no socket: ${(err as Error).message}`;
      if (!gone && !this.warned.has(name)) log.warn(why, { netns: name });
      else log.debug(why, { netns: name });
      if (!gone) this.warned.add(name);
      return gone;
    }
    const links = new NamespaceLinks(name, fd, this.d);
    try {
      await links.open();
    } catch (err) {
      links.close();
      log.warn(`namespace ${name}: cannot read its state: ${(err as Error).message}`, { netns: name });
      return false;
    }
    const still = this.look(name);
    if (this.closed || !still || (still.bound && seen.bound && still.ino !== seen.ino)) {
      // Went while its first sync ran.
      links.close();
      return !this.closed && !still;
    }
    this.waiting.delete(name);
    this.warned.delete(name);
    this.attached.set(name, { links, ino: still.ino, bound: still.bound });
    log.info(`watching namespace ${name}: ${links.kernel.links.size} link(s)`, { netns: name });
    const announce = !startup || this.d.startupTriggers();
    if (announce) links.announce("created");
    // A namespace that appeared: its links are new links, their states events.
    void links.begin(!announce);
    return true;
  }

  private detach(name: string, deleted: boolean): void {
    const a = this.attached.get(name);
    if (!a) return;
    this.attached.delete(name);
    a.links.close();
    if (deleted) {
      log.info(`namespace ${name} is gone`, { netns: name });
      a.links.announce("deleted");
    } else log.info(`namespace ${name} is no longer watched (monitoring.namespaces)`, { netns: name });
    this.d.metrics()?.forgetNamespace(name);
  }
}
