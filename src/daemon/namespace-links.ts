// The links of one other network namespace (monitoring.namespaces): a kernel
// state on the netlink socket handed over for it, link states derived from
// the kernel (no manager serves them), and events stamped with the
// namespace's name. The socket is read only: netevd changes nothing there.
import type { EventFilters } from "../filters/apply";
import { KernelState } from "../kernel/state";
import type { LinkStates } from "../links/link-states";
import { getLogger } from "../log/logger";
import type { Metrics } from "../metrics/metrics";
import type { NativeBinding } from "../native/binding";
import type { ScriptRunner } from "../scripts/runner";
import type { EventLog } from "./event-log";
import { LinkWiring } from "./link-wiring";

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
  private readonly wiring: LinkWiring;

  constructor(
    readonly name: string,
    fd: number,
    d: NamespaceLinksDeps,
  ) {
    const log = getLogger("kernel").child({ netns: name });
    this.kernel = new KernelState(d.binding, { log, socketFd: fd, receiveBuffer: RECEIVE_BUFFER });
    // The kernel is the source of these links' states, whatever netevd's backend.
    this.wiring = new LinkWiring({
      kernel: this.kernel,
      backend: "none",
      runner: d.runner,
      events: d.events,
      filters: d.filters,
      metrics: d.metrics,
      monitored: d.monitored,
      netns: name,
    });
  }

  get states(): LinkStates {
    return this.wiring.states;
  }

  /** Reads the namespace's tables; nothing is an event yet. */
  open(): Promise<void> {
    return this.kernel.start();
  }

  /** From now on changes are events; with `silent`, the links' current states run no scripts. */
  begin(silent: boolean): Promise<void> {
    return this.wiring.start(silent);
  }

  /** The namespace itself appeared or went (netns.d). */
  announce(action: "created" | "deleted"): void {
    this.wiring.announce(action);
  }

  /** After a reload: monitoring.interfaces may have changed. */
  resync(): void {
    this.wiring.resync();
  }

  close(): void {
    this.wiring.stop();
    this.kernel.close();
  }
}
