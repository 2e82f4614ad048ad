// The links of one other network namespace (monitoring.namespaces): a kernel
// state on the netlink socket handed over for it, link states derived from
// the kernel (no manager serves them), and events stamped with the
// namespace's name. The socket is read only: netevd changes nothing there.
import type { EventFilters } from "../filters/apply";
import { KernelState } from "../kernel/state";
import { LinkStates } from "../links/link-states";
import { getLogger } from "../log/logger";
import type { Metrics } from "../metrics/metrics";
import type { NativeBinding } from "../native/binding";
import type { ScriptRunner } from "../scripts/runner";
import { EventDispatcher } from "./dispatch";
import type { EventLog } from "./event-log";
import { routeKernelChange } from "./kernel-changes";

/** Smaller than netevd's own: a namespace's links are few; an overrun re-reads its tables. */
const RECEIVE_BUFFER = 1024 * 1024;

export interface NamespaceLinksDeps {
  binding: NativeBinding;
  runner: ScriptRunner;
  events: EventLog;
  filters: () => EventFilters;
  metrics: () => Metrics | undefined;
  monitored: (name: string) => boolean;
}

export class NamespaceLinks {
  readonly kernel: KernelState;
  readonly states: LinkStates;
  private readonly dispatcher: EventDispatcher;

  constructor(
    readonly name: string,
    fd: number,
    d: NamespaceLinksDeps,
  ) {
    const log = getLogger("kernel").child({ netns: name });
    this.kernel = new KernelState(d.binding, { log, socketFd: fd, receiveBuffer: RECEIVE_BUFFER });
    const k = this.kernel;
    this.dispatcher = new EventDispatcher({
      kernel: k,
      runner: d.runner,
      events: d.events,
      // The kernel is the source of these links' states, whatever netevd's backend.
      source: () => ({ tables: k.tables, backend: "none", managed: false }),
      filters: d.filters,
      backend: () => undefined,
      metrics: d.metrics,
      manager: () => undefined,
      netns: name,
    });
    this.states = new LinkStates({
      kernel: k,
      managed: false,
      upState: "routable",
      monitored: d.monitored,
      emit: (link) => {
        if (link.state) this.dispatcher.link(link.state, link.index, link.name);
      },
    });
    this.monitored = d.monitored;
  }

  private readonly monitored: (name: string) => boolean;

  /** Reads the namespace's tables; nothing is an event yet. */
  open(): Promise<void> {
    return this.kernel.start();
  }

  /** From now on changes are events; with `silent`, the links' current states run no scripts. */
  begin(silent: boolean): void {
    const k = this.kernel;
    k.onChange((change) =>
      routeKernelChange(change, {
        kernel: k,
        states: this.states,
        dispatcher: this.dispatcher,
        leases: undefined,
        monitored: this.monitored,
      }),
    );
    this.states.syncAll(silent);
  }

  /** The namespace itself appeared or went (netns.d). */
  announce(action: "created" | "deleted"): void {
    this.dispatcher.namespace(action);
  }

  /** After a reload: monitoring.interfaces may have changed. */
  resync(): void {
    for (const link of this.kernel.links.values()) this.states.syncKernel(link);
  }

  close(): void {
    this.states.stop();
    this.kernel.close();
  }
}
