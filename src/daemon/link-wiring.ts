// One backend's wiring of a namespace's links: link states (src/links), the
// event dispatcher, the manager's adapter or dhclient's leases, and where the
// adapter reports (backend-sink). The daemon holds one per namespace; under
// `backend: auto` it replaces its own with a new one when the host's manager
// changes. The kernel state, the runner and the logs outlive it.
import type { AuditEntry } from "../audit/audit-log";
import type { Backend as Adapter } from "../backends/types";
import type { Config } from "../config/schema";
import { type Backend, isManagerBackend } from "../events/names";
import type { EventFilters } from "../filters/apply";
import type { KernelState } from "../kernel/state";
import { LinkStates } from "../links/link-states";
import type { Metrics } from "../metrics/metrics";
import type { ScriptRunner } from "../scripts/runner";
import { createBackend, upState } from "./backend-factory";
import { backendSink, type ManagerState } from "./backend-sink";
import { EventDispatcher } from "./dispatch";
import type { EventLog } from "./event-log";
import { routeKernelChange } from "./kernel-changes";
import { LeaseWatch } from "./lease-watch";
import { NameWait } from "./name-wait";
import { getLogger } from "../log/logger";
import { AF_INET6 } from "../netlink/constants";

const log = getLogger("daemon");

export interface LinkWiringDeps {
  kernel: KernelState;
  /** The backend in use (under `auto`, the one the host runs now). */
  backend: Backend;
  /** What the dhclient backend's lease pushes need (netevd's own namespace). */
  leases?: LeaseDeps;
  runner: ScriptRunner;
  events: EventLog;
  filters: () => EventFilters;
  metrics: () => Metrics | undefined;
  monitored: (name: string) => boolean;
  /** Another network namespace's links (monitoring.namespaces): kernel states only. */
  netns?: string;
  /** Makes the backend's adapter (createBackend: the D-Bus ones); the in-process tests give their own. */
  adapter?: AdapterFactory;
}

export type AdapterFactory = typeof createBackend;

interface LeaseDeps {
  config: () => Config;
  dryRun: boolean;
  audit: (e: AuditEntry) => void;
}

export class LinkWiring {
  readonly backend: Backend;
  readonly states: LinkStates;
  readonly upState: string;
  private readonly dispatcher: EventDispatcher;
  private readonly adapter: Adapter | undefined;
  private readonly leases: LeaseWatch | undefined;
  private readonly manager: ManagerState = { props: {} };
  /** Until start() ends: the first reading's values are states, not events (unless triggers). */
  private starting = true;
  private silentStart = true;
  private stopped = false;
  private unsubscribe: (() => void) | undefined;
  private readonly names: NameWait;

  constructor(private readonly d: LinkWiringDeps) {
    const backend = d.backend;
    this.backend = backend;
    this.upState = upState(backend);
    const k = d.kernel;
    this.names = new NameWait(k.links, (ifindex, n) =>
      log.info(
        `${n} signal(s) of the manager for link ${ifindex} dropped: the kernel never showed that link`,
      ),
    );
    const managed = isManagerBackend(backend);
    if (backend === "dhclient" && d.leases)
      this.leases = new LeaseWatch({
        kernel: k,
        config: d.leases.config(),
        dryRun: d.leases.dryRun,
        onChange: (ifname) => this.onLeaseChange(ifname),
        audit: d.leases.audit,
        onPushFailed: (peer) => d.metrics()?.dbusErrors.inc({ peer }),
        monitored: d.monitored,
      });
    const leases = this.leases;
    const leaseOf = leases ? (name: string) => leases.leaseOf(name) : undefined;
    this.dispatcher = new EventDispatcher({
      kernel: k,
      runner: d.runner,
      events: d.events,
      source: () => ({ tables: k.tables, backend, managed }),
      filters: d.filters,
      backend: () => this.adapter,
      metrics: d.metrics,
      manager: (i) => (i === 0 ? this.manager.props : this.states.managerValues(i)),
      ...(leaseOf ? { leaseOf } : {}),
      ...(d.netns !== undefined ? { netns: d.netns } : {}),
    });
    this.states = new LinkStates({
      kernel: k,
      managed,
      upState: this.upState,
      kernelOperational: backend === "NetworkManager",
      monitored: d.monitored,
      emit: (link, previous) => {
        if (link.state) this.dispatcher.link(link.state, link.index, link.name, previous === link.state);
      },
      ...(leaseOf ? { leaseOf } : {}),
    });
    this.adapter = (d.adapter ?? createBackend)(
      backend,
      backendSink(
        {
          backend: () => this.adapter,
          states: this.states,
          dispatcher: this.dispatcher,
          named: (i, job) => this.names.run(i, job),
          monitored: d.monitored,
          starting: () => this.starting,
          runStartupTriggers: () => !this.silentStart,
        },
        this.manager,
      ),
      {
        ifindexOf: (name) => [...k.links.values()].find((l) => l.name === name)?.index,
        holderOf: (address) => {
          for (const a of k.tables.addresses.values()) {
            const link = a.address === address ? k.links.get(a.index) : undefined;
            if (link) return { index: link.index, name: link.name };
          }
          return undefined;
        },
      },
      (peer) => d.metrics()?.dbusErrors.inc({ peer }),
    );
  }

  /**
   * Reads the manager's states (or the lease files) and the kernel's: with
   * `silent`, the states found now run no scripts, later changes do.
   */
  async start(silent: boolean): Promise<void> {
    this.silentStart = silent;
    this.leases?.start(this.d.kernel.links.values());
    // The kernel's states now (silently, unless triggers); every change from here on is an event,
    // also while the manager's first reading is under way.
    this.unsubscribe = this.d.kernel.onChange((change) => {
      routeKernelChange(change, {
        kernel: this.d.kernel,
        states: this.states,
        dispatcher: this.dispatcher,
        monitored: this.d.monitored,
      });
      // The manager's signals that came before the kernel named the link go on now.
      if (change.kind === "link" && change.action === "add") this.names.announced(change.link);
      else if (change.kind === "address" && change.action !== "remove" && change.address.family === AF_INET6)
        this.adapter?.addressAnnounced?.(change.address.index);
    });
    this.states.syncAll(silent);
    if (this.adapter) await this.adapter.start();
    this.starting = false;
  }

  /** The namespace itself appeared or went (netns.d). */
  announce(action: "created" | "deleted"): void {
    this.dispatcher.namespace(action);
  }

  /** After a reload: monitoring.* and the dhclient settings may have changed. */
  resync(): void {
    if (this.d.leases) this.leases?.update(this.d.leases.config());
    for (const link of this.d.kernel.links.values()) this.states.syncKernel(link);
  }

  /** Links that ran scripts for some state, and how many are in the up state. */
  counts(): { links: number; up: number } {
    const states = this.states.tracked().map((l) => l.state);
    return { links: states.length, up: states.filter((s) => s === this.upState).length };
  }

  private onLeaseChange(ifname: string): void {
    if (this.starting || this.stopped) return; // the lease files' first read, during start
    const link = [...this.d.kernel.links.values()].find((l) => l.name === ifname);
    if (!link) return;
    this.states.leaseChanged(link);
    this.leases?.pushFor(link);
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    this.names.clear();
    this.adapter?.stop();
    this.leases?.close();
    this.states.stop();
  }
}
