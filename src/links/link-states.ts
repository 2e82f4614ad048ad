// What each link's state is, from the kernel's facts and the manager's values,
// and when a change is an event. Everything it keeps is in the link's record
// (link-table.ts); the daemon tells it of changes through the calls below.
import { defaultGateway, linkAddresses } from "../kernel/queries";
import type { Tables } from "../kernel/tables";
import { AF_INET, AF_INET6 } from "../netlink/constants";
import type { Address } from "../netlink/address";
import type { Link } from "../netlink/link";
import { kernelLinkState } from "./kernel-link-state";
import { getLogger } from "../log/logger";
import { type Emit, type LeaseData, type LinkProperties, type LinkRecord, LinkTable } from "./link-table";

/**
 * Under dhclient, how long a link that became routable waits for its lease to be
 * written (dhclient writes it after its script set the address; under load that
 * took more than 0.5 s in the test suite). Ends early when the lease arrives.
 */
const LEASE_WAIT_MS = 2000;
/** How long a manager's up state waits for the kernel's first global address of the link. */
const ADDRESS_WAIT_MS = 500;

const log = getLogger("links");

export interface LinkStatesOptions {
  kernel: { readonly links: ReadonlyMap<number, Link>; readonly tables: Tables };
  /** A manager (networkd, NetworkManager) owns the states; else the kernel's facts decide them. */
  managed: boolean;
  /** The state whose facts (addresses, gateways, lease) make a new event when they change. */
  upState: string;
  /**
   * Under a manager that has no operational state (NetworkManager): the
   * kernel's (off, no-carrier, carrier, degraded, routable) runs beside the
   * manager's states, as with `none`, from a table of its own.
   */
  kernelOperational?: boolean;
  /**
   * A new default gateway re-runs the up state (the kernel is the only
   * source). False beside a manager, which sets the address and its route a
   * few ms apart: only new addresses re-run, as for the manager's own states.
   */
  gatewaysRerun?: boolean;
  /**
   * dhclient: the link's current lease (its files are the truth; an expired lease
   * is none). A link that becomes routable waits for a lease naming its address.
   */
  leaseOf?: (name: string) => LeaseData | null;
  /** Whether a link is watched (monitoring.*; changes on reload). */
  monitored: (name: string) => boolean;
  emit: Emit;
}

export class LinkStates {
  private readonly table: LinkTable;
  /** kernelOperational: the kernel's states of a managed link. */
  private readonly operational: LinkStates | undefined;
  /**
   * Links the kernel removed, by ifindex: a manager's last signals for one
   * (networkd's linger) come after the kernel's message. The last 256 are kept.
   */
  private readonly departed = new Map<number, { name: string; manager: LinkProperties }>();
  /** Routable links whose facts changed, re-run on the next turn of the loop (rerunSoon). */
  private readonly rerun = new Set<number>();
  private rerunTimer: NodeJS.Immediate | undefined;

  constructor(private readonly opts: LinkStatesOptions) {
    this.table = new LinkTable(opts.emit);
    if (opts.managed && opts.kernelOperational)
      this.operational = new LinkStates({
        kernel: opts.kernel,
        managed: false,
        upState: "routable",
        gatewaysRerun: false,
        monitored: opts.monitored,
        emit: opts.emit,
      });
  }

  get(index: number): LinkRecord | undefined {
    return this.table.get(index);
  }

  /** Links whose scripts ran for some state. */
  tracked(): LinkRecord[] {
    return this.table.all().filter((l) => l.state !== null);
  }

  /** The kernel changed something of this link: its state, or its up state's facts. */
  syncKernel(link: Link, silent = false): void {
    if (!this.opts.monitored(link.name)) return;
    const rec = this.table.get(link.index);
    // A renamed link: the manager's next signal (which names the ifindex only) takes the new name.
    if (rec) rec.name = link.name;
    this.operational?.syncKernel(link, silent);
    if (this.opts.managed) {
      // The manager owns the state; the kernel's facts re-run its up state when
      // they change, only while the kernel still has the link routable: a link
      // going down loses addresses before the manager says so.
      if (rec?.pendingUp && this.hasGlobalAddress(link.index)) this.flushUp(rec);
      else if (rec?.state === this.opts.upState && this.kernelRoutable(link)) this.rerunSoon(link.index);
      return;
    }
    const state = kernelLinkState(link, this.addressesOf(link.index));
    const record = this.table.ensure(link.index, link.name);
    if (!silent && state === "routable" && record.state === "routable") {
      this.rerunSoon(link.index);
      return;
    }
    this.rerun.delete(link.index);
    record.lease = this.opts.leaseOf?.(link.name) ?? null;
    if (state !== "routable") record.leaseWait.reset();
    else if (this.awaitLease(link, record, silent)) return;
    // Only a routable link's facts make a new event; other states run once.
    this.table.setState(
      link.index,
      link.name,
      state,
      state === "routable" ? this.fingerprint(link, record) : "",
      silent,
    );
  }

  /**
   * A routable link's facts changed: its re-run is decided once the messages
   * read with this one are handled (a burst of 4,000 addresses makes a few
   * re-runs, not 4,000 fingerprints and events).
   */
  private rerunSoon(index: number): void {
    this.rerun.add(index);
    this.rerunTimer ??= setImmediate(() => {
      this.rerunTimer = undefined;
      const indexes = [...this.rerun];
      this.rerun.clear();
      for (const i of indexes) this.rerunNow(i);
    });
  }

  private rerunNow(index: number): void {
    const link = this.opts.kernel.links.get(index);
    const rec = this.table.get(index);
    if (!link || !rec || !this.opts.monitored(link.name)) return;
    if (this.opts.managed) {
      if (rec.state === this.opts.upState && this.kernelRoutable(link))
        this.table.setState(index, link.name, rec.state, this.fingerprint(link, rec));
    } else if (rec.state === "routable" && this.kernelRoutable(link)) {
      rec.lease = this.opts.leaseOf?.(link.name) ?? null;
      this.table.setState(index, link.name, "routable", this.fingerprint(link, rec));
    }
  }

  /** At start (silently unless run_startup_triggers) and after a reload. */
  syncAll(silent: boolean): void {
    for (const link of this.opts.kernel.links.values()) this.syncKernel(link, silent);
  }

  /** The link's lease files changed: a routable link waiting for its lease may go on. */
  leaseChanged(link: Link): void {
    this.syncKernel(link);
  }

  /** The manager's values for a link; returns the previous ones. `asked` fills what no signal said yet. */
  setManager(
    index: number,
    name: string,
    props: LinkProperties,
    asked?: LinkProperties,
  ): LinkProperties | undefined {
    const rec = this.table.ensure(index, name);
    const previous = rec.manager;
    rec.manager = { ...previous, ...props };
    if (asked) rec.asked = { ...rec.asked, ...asked };
    return previous;
  }

  /** The manager's values as scripts see them: its signals', then what was asked of it. */
  managerValues(index: number): LinkProperties | undefined {
    const rec = this.table.get(index);
    if (!rec) return this.departed.get(index)?.manager;
    return rec.asked ? { ...rec.asked, ...rec.manager } : rec.manager;
  }

  /** A link the kernel removed: its name and the manager's last values (updated by its late signals). */
  departedLink(index: number): { name: string; manager: LinkProperties } | undefined {
    return this.departed.get(index);
  }

  /** A manager's up state still waiting for the kernel's address runs now: a later change of the link must not overtake it. */
  settle(index: number): void {
    const rec = this.table.get(index);
    if (rec?.pendingUp) this.flushUp(rec);
  }

  /** A manager's state value; its up state waits briefly for the kernel's address. */
  managerState(index: number, name: string, value: string, silent: boolean): void {
    const rec = this.table.ensure(index, name);
    const link = this.opts.kernel.links.get(index);
    const up = value === this.opts.upState;
    rec.pendingUp = null;
    if (up && !silent && !this.hasGlobalAddress(index)) {
      // networkd's and NM's signals can overtake the kernel's netlink message.
      rec.pendingUp = value;
      if (rec.addressWait.waiting(ADDRESS_WAIT_MS, () => this.flushUp(rec))) return;
      rec.pendingUp = null;
    }
    rec.addressWait.reset();
    this.table.setState(index, name, value, up && link ? this.fingerprint(link, rec) : "", silent);
  }

  /** The link is gone from the kernel. */
  remove(index: number): void {
    this.rerun.delete(index);
    const rec = this.table.get(index);
    if (rec?.manager) {
      this.departed.set(index, { name: rec.name, manager: { ...rec.asked, ...rec.manager } });
      if (this.departed.size > 256) this.departed.delete(this.departed.keys().next().value as number);
    }
    this.table.remove(index);
    this.operational?.remove(index);
  }

  /** The manager no longer reports the link (NetworkManager's DeviceRemoved); the kernel's view stays. */
  forgetManager(index: number): void {
    this.table.remove(index);
  }

  stop(): void {
    if (this.rerunTimer) clearImmediate(this.rerunTimer);
    this.rerunTimer = undefined;
    this.rerun.clear();
    this.table.clear();
    this.operational?.stop();
  }

  private flushUp(rec: LinkRecord): void {
    const value = rec.pendingUp;
    if (value === null) return;
    rec.pendingUp = null;
    rec.addressWait.reset();
    const link = this.opts.kernel.links.get(rec.index);
    this.table.setState(rec.index, rec.name, value, link ? this.fingerprint(link, rec) : "");
  }

  private addressesOf(index: number): Iterable<Address> {
    return this.opts.kernel.tables.addresses.ofLink(index).values();
  }

  private kernelRoutable(link: Link): boolean {
    return kernelLinkState(link, this.addressesOf(link.index)) === "routable";
  }

  private hasGlobalAddress(index: number): boolean {
    return linkAddresses(this.opts.kernel.tables, index).some((a) => a.scope === 0);
  }

  /** The facts whose change re-runs the up state: global addresses, gateways, the lease's data. */
  private fingerprint(link: Link, rec: LinkRecord): string {
    const t = this.opts.kernel.tables;
    const global = linkAddresses(t, link.index)
      .filter((a) => a.scope === 0)
      .map((a) => `${a.address}/${a.prefixLength}`)
      .sort();
    // Under a manager, its state covers the routes it sets up; only new addresses re-run.
    if (this.opts.managed || this.opts.gatewaysRerun === false) return global.join(" ");
    return [
      ...global,
      defaultGateway(t, link.index, AF_INET) ?? "",
      defaultGateway(t, link.index, AF_INET6) ?? "",
      rec.lease?.fingerprint ?? "",
    ].join(" ");
  }

  /**
   * dhclient sets the address (and its script the default route) before it
   * writes the lease: a link that just became routable waits briefly until the
   * kernel shows the lease's address and router, so its one routable event
   * carries DHCP_* and GATEWAY. True while waiting.
   */
  private awaitLease(link: Link, rec: LinkRecord, silent: boolean): boolean {
    if (!this.opts.leaseOf || silent || rec.state === "routable") return false;
    if (this.leaseInKernel(link, rec)) {
      rec.leaseWait.arrived();
      return false;
    }
    const first = !rec.leaseWait.started;
    const waiting = rec.leaseWait.waiting(LEASE_WAIT_MS, () => {
      const now = this.opts.kernel.links.get(link.index);
      if (now) this.syncKernel(now);
    });
    if (waiting && first)
      log.debug(`${link.name} is routable: waiting up to ${LEASE_WAIT_MS} ms for its lease`);
    return waiting;
  }

  private leaseInKernel(link: Link, rec: LinkRecord): boolean {
    const lease = rec.lease?.info;
    const t = this.opts.kernel.tables;
    if (!lease?.address || !linkAddresses(t, link.index).some((a) => a.address === lease.address))
      return false;
    // The route's netlink message can still be queued when the lease file's change arrives.
    return !lease.gateway || defaultGateway(t, link.index, AF_INET) === lease.gateway;
  }
}
