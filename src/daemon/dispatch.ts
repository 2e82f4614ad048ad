// From a change to the scripts of its event: the event built (event-builder),
// filters, the log line, metrics, the API's event log, then the runner's
// per-link queue. When the queue reaches the event, the kernel's facts are read
// again (a manager's routes follow its state signal by a few ms) and the
// manager's DNS data is looked up, in the queue so the order holds.
import type { Backend } from "../backends/types";
import type { DhcpChange, NetworkEvent, RouteInfo } from "../events/event";
import type { EventFilters } from "../filters/apply";
import type { KernelState } from "../kernel/state";
import { buildEvent, type EventSource, kernelFacts, stubLink, withDetails } from "../links/event-builder";
import type { LeaseData, LinkProperties } from "../links/link-table";
import { getLogger } from "../log/logger";
import type { Metrics } from "../metrics/metrics";
import type { Link } from "../netlink/link";
import type { ScriptRunner } from "../scripts/runner";
import type { EventLog } from "./event-log";

const log = getLogger("daemon");

export interface DispatchDeps {
  kernel: KernelState;
  runner: ScriptRunner;
  events: EventLog;
  source: () => EventSource;
  filters: () => EventFilters;
  backend: () => Backend | undefined;
  metrics: () => Metrics | undefined;
  /** The manager's values: per link, and the manager's own (index 0). */
  manager: (index: number) => LinkProperties | undefined;
  leaseOf?: (name: string) => LeaseData | null;
  /** The network namespace these links live in (monitoring.namespaces); absent: netevd's own. */
  netns?: string;
}

/** A lease event carries its family's lease. */
const leaseFamily = (event: string): 4 | 6 | undefined =>
  event === "dhcp4-change" ? 4 : event === "dhcp6-change" ? 6 : undefined;

export class EventDispatcher {
  constructor(private readonly d: DispatchDeps) {}

  /** An event of the link (its new state, or another manager value), or of the manager (index 0). */
  link(event: string, index: number, name: string, rerun = false, dhcpChange?: DhcpChange): void {
    const e = this.build(event, this.d.kernel.links.get(index) ?? stubLink(index, name), null);
    this.send({ ...e, ...(rerun ? { rerun } : {}), ...(dhcpChange ? { dhcpChange } : {}) });
  }

  route(link: Link, route: RouteInfo): void {
    this.send(this.build("routes", link, route));
  }

  /** The namespace itself appeared or went (netns.d). */
  namespace(action: "created" | "deleted"): void {
    this.send({ ...this.build("netns", stubLink(0, ""), null), netnsAction: action });
  }

  private build(event: string, link: Link, route: RouteInfo | null): NetworkEvent {
    const lease =
      link.index > 0
        ? ((this.d.leaseOf?.(link.name) ?? this.d.backend()?.lease?.(link.index, leaseFamily(event)))?.info ??
          null)
        : null;
    const e = buildEvent(event, link, route, this.d.source(), this.d.manager(link.index), lease);
    return this.d.netns === undefined ? e : { ...e, netns: this.d.netns };
  }

  private send(e: NetworkEvent): void {
    const linkLog = log.child({
      ...(e.link.name ? { link: e.link.name } : {}),
      ...(e.netns ? { netns: e.netns } : {}),
    });
    const decision = this.d.filters().decide(e, linkLog);
    if (!decision.run) {
      linkLog.debug(`event ${e.event} ignored by filter ${decision.filter}`);
      return;
    }
    // A routes event per route: a table being filled would flood the journal at info.
    if (e.event === "routes") linkLog.debug("event routes");
    else linkLog.info(`event ${e.event}`, { NETEVD_EVENT: e.event });
    this.d.metrics()?.countEvent(e.route ? "kernel" : e.backend, e.event, e.netns ?? "");
    this.d.events.add(e);
    const backend = this.d.backend();
    // A state's details of its moment, asked for as the change arrives (re-runs and
    // routes want the latest, read in the queue). NetworkManager's always: its view
    // makes nm-dispatcher's variables and a device may be gone soon. systemd-networkd's
    // only when a script may read them (DNS, DHCP_*, JSON), as netevd-scripts(7) says.
    const early =
      backend &&
      e.link.index > 0 &&
      !e.route &&
      !e.rerun &&
      (backend.detailsAtChange || this.d.runner.readsDetails(e, decision.only))
        ? backend.details(e.link.index, e.event)
        : undefined;
    const prepare =
      e.link.index > 0
        ? async (ev: NetworkEvent, read: boolean) => {
            const t0 = performance.now();
            const pending =
              early ??
              (read || backend?.detailsAtChange ? backend?.details(ev.link.index, ev.event) : undefined);
            const details = await pending;
            if (pending)
              linkLog.debug(`link details from the manager in ${(performance.now() - t0).toFixed(1)} ms`);
            const now = this.d.kernel.links.has(ev.link.index)
              ? { ...ev, ...kernelFacts(this.d.kernel.tables, ev.link.index) }
              : ev;
            return withDetails(now, details);
          }
        : undefined;
    this.d.runner
      .dispatch(e, decision.only, prepare)
      .catch((err: Error) => linkLog.error(`event ${e.event} failed: ${err.message}`));
  }
}
