// The kernel's links, addresses, routes and rules, kept equal to the kernel's
// own. Subscribes first, then dumps; dump replies and events go through the
// same apply(). An overrun (ENOBUFS) re-dumps everything, diffs against the
// table and emits the changes that were missed. Route flushes the kernel does
// not announce (a link taken down, its last IPv4 address removed) re-read only
// that link's routes, coalesced: churn costs per link, not per table. A
// deleted link's routes, and routes whose source address went away, are
// dropped here without asking the kernel.
import type { Logger } from "../log/logger";
import { getLogger } from "../log/logger";
import type { NativeBinding } from "../native/binding";
import { ifaddrmsg } from "../netlink/address";
import { NetlinkClient } from "../netlink/client";
import { AF_UNSPEC, NLM_F, RTM, RTNLGRP } from "../netlink/constants";
import { decodeRt, type RtMessage } from "../netlink/decode";
import { ifinfomsg } from "../netlink/link";
import type { NlMessage } from "../netlink/message";
import { type Route, routeBody, type RouteSpec } from "../netlink/route";
import { ruleBody, type RuleSpec } from "../netlink/rule";
import { applyMessage, applyRoute, isTrackedMessage } from "./apply";
import { NetlinkError } from "../errors";
import { diffTables, emptyTables, type KernelChange, sameValue, type Tables } from "./tables";
import { Coalesced } from "../util/coalesced";
import { MESSAGE_ID } from "../log/message-ids";

const DEFAULT_RECEIVE_BUFFER = 8 * 1024 * 1024;
const GROUPS = [
  RTNLGRP.LINK,
  RTNLGRP.IPV4_IFADDR,
  RTNLGRP.IPV6_IFADDR,
  RTNLGRP.IPV4_ROUTE,
  RTNLGRP.IPV6_ROUTE,
  RTNLGRP.IPV4_RULE,
  RTNLGRP.IPV6_RULE,
];
const DUMPS: [number, () => Buffer[]][] = [
  [RTM.GETLINK, () => [ifinfomsg()]],
  [RTM.GETADDR, () => [ifaddrmsg()]],
  [RTM.GETROUTE, () => routeBody({ family: AF_UNSPEC })],
  [RTM.GETRULE, () => ruleBody({ family: AF_UNSPEC })],
];
/** Changes delivered between two turns of the event loop while a backlog goes out. */
const EMIT_SLICE = 500;
/** An interrupted dump is repeated; past this many tries the state is taken as it is and a later event re-syncs. */
const MAX_DUMP_TRIES = 5;

export interface KernelStats {
  /** Full re-reads of every table (after an overrun). */
  resyncs: number;
  /** Re-reads of one link's routes. */
  routeRereads: number;
  changes: number;
}

/** A link's routes being re-read: the dump's answer, kept current by events that arrive meanwhile. */
interface RouteReread {
  index: number;
  fresh: Map<string, Route>;
}

export interface KernelStateOptions {
  log?: Logger;
  /**
   * A netlink socket handed over from another network namespace: the state
   * follows that namespace, read only (no requests socket is opened).
   */
  socketFd?: number;
  receiveBuffer?: number;
  requestTimeoutMs?: number;
}

export class KernelState {
  /** Live tables; during a re-sync, updates go to `next` first. */
  tables: Tables = emptyTables();
  private next: Tables | undefined;
  private readonly listeners = new Set<(change: KernelChange) => void>();
  private readonly events: NetlinkClient;
  private readonly requests: NetlinkClient;
  private readonly log: Logger;
  private readonly resyncs = new Coalesced(
    () => this.resyncPass(),
    () => !this.closed,
  );
  /** Links whose routes are to be re-read, and the one being re-read now. */
  private readonly routeRereadsDue = new Set<number>();
  private reread: RouteReread | undefined;
  private readonly routeRereads = new Coalesced(
    () => this.routeRereadPass(),
    () => !this.closed,
  );
  private routeRereadTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly readOnly: boolean;
  /** Changes waiting to go out (see emit). */
  private readonly backlog: KernelChange[] = [];
  private draining = false;
  readonly stats: KernelStats = { resyncs: 0, routeRereads: 0, changes: 0 };

  constructor(binding: NativeBinding, opts: KernelStateOptions = {}) {
    this.log = opts.log ?? getLogger("kernel");
    // Events and dumps share one socket, so dump parts and events stay in kernel order.
    this.events = new NetlinkClient(binding, {
      log: this.log,
      groups: GROUPS,
      receiveBuffer: opts.receiveBuffer ?? DEFAULT_RECEIVE_BUFFER,
      requestTimeoutMs: opts.requestTimeoutMs,
      onMessage: (m) => this.onMessage(m),
      onOverrun: () => void this.resync(),
      ...(opts.socketFd === undefined ? {} : { fd: opts.socketFd }),
    });
    // Changes go through their own socket: an event flood cannot crowd out their ACKs.
    this.requests = new NetlinkClient(binding, { log: this.log, requestTimeoutMs: opts.requestTimeoutMs });
    this.readOnly = opts.socketFd !== undefined;
  }

  get links() {
    return this.tables.links;
  }
  get addresses() {
    return this.tables.addresses;
  }
  get routes() {
    return this.tables.routes;
  }
  get rules() {
    return this.tables.rules;
  }
  get netlinkStats() {
    return this.events.stats;
  }
  get receiveBufferSize(): number {
    return this.events.receiveBufferSize;
  }

  onChange(listener: (change: KernelChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Subscribes, then dumps everything; resolves after the first full sync. */
  async start(): Promise<void> {
    this.events.open();
    if (!this.readOnly) this.requests.open();
    await this.dumpAll();
    // An overrun during the first dump started a re-sync: the first sync ends with it.
    await this.resyncs.current;
  }

  private async dumpAll(): Promise<void> {
    for (const [type, body] of DUMPS) {
      for (let tries = 1; ; tries++) {
        const r = await this.events.dump(type, body());
        if (!r.interrupted) break;
        if (tries >= MAX_DUMP_TRIES) {
          this.log.warn(`dump ${type} kept changing under us; going on with what it gave`);
          break;
        }
      }
    }
  }

  /** Re-reads the kernel's state into fresh tables, then emits the difference. Coalesced. */
  resync(): Promise<void> {
    return this.resyncs.run();
  }

  private async resyncPass(): Promise<void> {
    try {
      this.next = emptyTables();
      await this.dumpAll();
      const fresh = this.next;
      this.next = undefined;
      const changes = diffTables(this.tables, fresh);
      this.tables = fresh;
      this.stats.resyncs++;
      this.log.info(`re-synced with the kernel: ${changes.length} change(s) had been missed`, {
        MESSAGE_ID: MESSAGE_ID.resynced,
      });
      for (const c of changes) this.backlog.push(c);
      void this.drain();
    } catch (err) {
      this.next = undefined;
      if (!this.closed) this.log.error(`re-sync failed: ${(err as Error).message}`);
    }
  }

  private onMessage(msg: NlMessage): void {
    const m = decodeRt(msg);
    if (m && isTrackedMessage(m)) this.apply(m);
  }

  private apply(m: RtMessage): void {
    const t = this.next ?? this.tables;
    const emit = this.next ? () => undefined : (c: KernelChange) => this.emit(c);
    applyMessage(t, m, emit, {
      flushedUnannounced: (index) => this.scheduleRouteReread(index),
      linkDeleted: (index) => this.routeRereadsDue.delete(index),
    });
    // A link's routes being re-read: events that arrive meanwhile keep the answer current.
    if (m.kind === "route" && this.reread && m.route.oif === this.reread.index)
      applyRoute(this.reread.fresh, m, () => undefined);
  }

  /** Route flushes the kernel does not announce are caught by re-reading that link's routes soon after. */
  private scheduleRouteReread(index: number): void {
    if (this.closed) return;
    this.routeRereadsDue.add(index);
    this.routeRereadTimer ??= setTimeout(() => {
      this.routeRereadTimer = undefined;
      void this.routeRereads.run();
    }, 20);
  }

  private async routeRereadPass(): Promise<void> {
    for (const index of this.routeRereadsDue) {
      this.routeRereadsDue.delete(index);
      // A link deleted meanwhile took its routes with it (see apply).
      if (!this.tables.links.has(index) || this.next) continue;
      try {
        await this.rereadRoutes(index);
      } catch (err) {
        if (this.closed) return;
        this.log.warn(
          `re-reading the routes of link ${index} failed (${(err as Error).message}): re-reading all`,
        );
        void this.resync();
        return;
      }
    }
  }

  /** One link's routes as the kernel has them now (a dump filtered by RTA_OIF); the difference is emitted. */
  private async rereadRoutes(index: number): Promise<void> {
    const fresh = new Map<string, Route>();
    this.reread = { index, fresh };
    try {
      for (let tries = 1; ; tries++) {
        fresh.clear();
        const r = await this.events.dump(
          RTM.GETROUTE,
          routeBody({ family: AF_UNSPEC, oif: index }),
          (msg) => {
            const m = decodeRt(msg);
            // Multipath routes through the link come too; netevd tracks next hops by RTA_OIF.
            if (m?.kind === "route" && isTrackedMessage(m) && m.route.oif === index)
              applyRoute(fresh, m, () => undefined);
          },
        );
        if (!r.interrupted || tries >= MAX_DUMP_TRIES) break;
      }
    } catch (err) {
      // The link went away before the dump: it has no routes left.
      if (!(err instanceof NetlinkError && err.code === "ENODEV")) throw err;
      fresh.clear();
    } finally {
      this.reread = undefined;
    }
    this.stats.routeRereads++;
    const routes = this.tables.routes;
    for (const [k, r] of [...routes.ofLink(index)]) {
      if (fresh.has(k)) continue;
      routes.delete(k);
      this.emit({ kind: "route", action: "remove", route: r });
    }
    for (const [k, r] of fresh) {
      const old = routes.get(k);
      if (old && sameValue(old, r)) continue;
      routes.set(k, r);
      this.emit({ kind: "route", action: old ? "change" : "add", route: r });
    }
  }

  /**
   * Changes go out in order. A re-sync's may be tens of thousands: they wait
   * here and go out in slices with the event loop in between, and changes
   * read meanwhile queue behind them (the order holds).
   */
  private emit(change: KernelChange): void {
    if (this.draining || this.backlog.length > 0) {
      this.backlog.push(change);
      return;
    }
    this.deliver(change);
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.backlog.length > 0 && !this.closed) {
        for (const c of this.backlog.splice(0, EMIT_SLICE)) this.deliver(c);
        if (this.backlog.length > 0) await new Promise((r) => setImmediate(r));
      }
    } finally {
      this.draining = false;
    }
  }

  private deliver(change: KernelChange): void {
    this.stats.changes++;
    for (const l of this.listeners) {
      try {
        l(change);
      } catch (err) {
        // One listener's failure is contained: the table and other listeners go on.
        this.log.error(`change listener failed: ${(err as Error).message}`);
      }
    }
  }

  // Requests. EEXIST / ENOENT reach the caller as NetlinkError codes it may treat as success.
  addRoute(spec: RouteSpec, replace = false): Promise<void> {
    return this.requests.request(
      RTM.NEWROUTE,
      NLM_F.CREATE | (replace ? NLM_F.REPLACE : NLM_F.EXCL),
      routeBody(spec),
    );
  }
  deleteRoute(spec: Partial<RouteSpec> & { family: number }): Promise<void> {
    return this.requests.request(RTM.DELROUTE, 0, routeBody(spec));
  }
  addRule(spec: RuleSpec): Promise<void> {
    return this.requests.request(RTM.NEWRULE, NLM_F.CREATE | NLM_F.EXCL, ruleBody(spec));
  }
  deleteRule(spec: RuleSpec): Promise<void> {
    return this.requests.request(RTM.DELRULE, 0, ruleBody(spec));
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.routeRereadTimer);
    this.events.close();
    this.requests.close();
  }
}
