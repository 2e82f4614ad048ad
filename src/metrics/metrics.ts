// Prometheus metrics (netevd.8, CONTROL API AND METRICS), exposed at /metrics on the API. prom-client
// writes the exposition format; values the daemon already counts (kernel
// messages, managed rules) are read at scrape time instead of copied.
import type { Metric, Registry } from "prom-client";
import { owned } from "../kernel/protocol";
import type { KernelState } from "../kernel/state";
import { lazy } from "../util/lazy";
import { LoopLag } from "../util/loop-lag";
import { VERSION } from "../version";
import { Computed, type Exposed, Histogram, Series, snapshot } from "./series";

// Only the Registry (the exposition writer): prom-client's index also loads
// its metric classes, cluster support and the OpenTelemetry API, none used here.
const promRegistry = lazy(() => require("prom-client/lib/registry") as typeof Registry);

/** The kernel state of one namespace, by its name ("" is netevd's own). */
export type SampledNamespaces = () => Iterable<[netns: string, sampled: Sampled]>;

export interface Sampled {
  netlinkMessages: () => number;
  overruns: () => number;
  resyncs: () => number;
  routeRereads: () => number;
  links: () => number;
  managedRules: () => number;
  managedRoutes: () => number;
}

/** The backend in use, read at scrape time: under `auto` it follows the host. */
export interface BackendLabels {
  backend: string;
  auto: boolean;
  /** A configured backend whose manager is not running. */
  problem: string | null;
}

export class Metrics {
  readonly events = new Series(
    "netevd_events_total",
    'Events handled, by source (kernel, systemd-networkd, NetworkManager, dhclient), event name and network namespace ("": netevd\'s own)',
    "counter",
    ["source", "event", "netns"],
  );
  readonly scriptRuns = new Series(
    "netevd_script_runs_total",
    "Scripts run, by result (success, failure, timeout, error) and script (its file name)",
    "counter",
    ["result", "script"],
  );
  readonly scriptFailing = new Series(
    "netevd_script_failing",
    "1 when the script's last run failed, timed out or could not start; 0 when it succeeded",
    "gauge",
    ["script"],
  );
  readonly privilegedRefusals = new Series(
    "netevd_privileged_refusals_total",
    "Privileged hook runs netevd-privileged refused (or could not be asked for)",
    "counter",
  );
  readonly scriptDuration = new Histogram(
    "netevd_script_duration_seconds",
    "How long scripts ran",
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  );
  readonly eventToScript = new Histogram(
    "netevd_event_to_script_start_seconds",
    "Time from an event being seen to its first script starting",
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  );
  readonly eventsDiscarded = new Series(
    "netevd_events_discarded_total",
    "Events whose scripts never ran, by reason: coalesced (a later event of the link replaced it before it started) or bound (the link's queue was full)",
    "counter",
    ["reason", "netns"],
  );
  readonly dbusErrors = new Series(
    "netevd_dbus_errors_total",
    "Failed D-Bus calls and lost bus connections, by peer",
    "counter",
    ["peer"],
  );
  readonly routingChanges = new Series(
    "netevd_policy_changes_total",
    "Rules and routes netevd added or removed",
    "counter",
    ["object", "action"],
  );
  /** Every metric, in the order of the exposition. */
  private readonly exposed: Exposed[] = [
    this.events,
    this.scriptRuns,
    this.scriptFailing,
    this.privilegedRefusals,
    this.scriptDuration,
    this.eventToScript,
    this.eventsDiscarded,
    this.dbusErrors,
    this.routingChanges,
  ];
  private registry: Registry | undefined;

  constructor(
    namespaces: SampledNamespaces,
    backend: () => BackendLabels,
    /** The loop's lag sampler (a test gives one on its own clock). */
    lag: LoopLag = new LoopLag(),
  ) {
    // Per namespace (label netns, "" for netevd's own), read at scrape time: a
    // namespace that went is gone from the next scrape. The counters among
    // them are the kernel layer's own, exposed with counter type.
    const perNetns = (type: "counter" | "gauge", name: string, help: string, read: (s: Sampled) => number) =>
      this.exposed.push(
        new Computed(name, help, type, () =>
          [...namespaces()].map(([netns, s]) => ({ labels: { netns }, value: read(s) })),
        ),
      );
    perNetns("counter", "netevd_netlink_messages_total", "rtnetlink messages read", (s) =>
      s.netlinkMessages(),
    );
    perNetns("counter", "netevd_netlink_overruns_total", "Kernel event overruns (ENOBUFS)", (s) =>
      s.overruns(),
    );
    perNetns("counter", "netevd_netlink_resyncs_total", "Full re-reads of the kernel's tables", (s) =>
      s.resyncs(),
    );
    perNetns(
      "counter",
      "netevd_netlink_route_rereads_total",
      "Re-reads of one link's routes (after it went down or lost its last IPv4 address)",
      (s) => s.routeRereads(),
    );
    perNetns("gauge", "netevd_links", "Links in the kernel's table as netevd knows it", (s) => s.links());
    perNetns("gauge", "netevd_managed_rules", "Policy rules netevd manages now", (s) => s.managedRules());
    perNetns("gauge", "netevd_managed_routes", "Routes netevd manages now", (s) => s.managedRoutes());
    // How late the event loop ran timers since the last scrape: a batch or a
    // listener that holds the loop shows here before hooks time out falsely.
    this.stopLag = () => lag.stop();
    this.exposed.push(lagSummary(lag));
    this.exposed.push(
      new Computed(
        "netevd_backend_info",
        'The backend in use (1), how it was chosen (mode: auto or configured) and whether its manager runs (running: "false" when a configured manager is absent)',
        "gauge",
        () => {
          const b = backend();
          const labels = {
            backend: b.backend,
            mode: b.auto ? "auto" : "configured",
            running: b.problem ? "false" : "true",
          };
          return [{ labels, value: 1 }];
        },
      ),
    );
    const started = new Series(
      "netevd_start_time_seconds",
      "When the daemon started, in seconds since the epoch (a restart changes it)",
      "gauge",
    );
    started.set({}, Math.round(Date.now() / 1000 - process.uptime()));
    const build = new Series("netevd_build_info", "netevd's version", "gauge", ["version"]);
    build.set({ version: VERSION }, 1);
    this.exposed.push(started, build);
  }

  private readonly stopLag: () => void;
  /** Label sets of netevd_events_total per other namespace, dropped when it goes. */
  private readonly eventSeries = new Map<string, Map<string, { source: string; event: string }>>();

  countEvent(source: string, event: string, netns: string): void {
    this.events.inc({ source, event, netns });
    if (netns === "") return;
    const series = this.eventSeries.get(netns) ?? new Map<string, { source: string; event: string }>();
    series.set(`${source}\0${event}`, { source, event });
    this.eventSeries.set(netns, series);
  }

  /** A namespace went: its series go too (namespaces come and go by the thousand on some hosts). */
  forgetNamespace(netns: string): void {
    for (const { source, event } of this.eventSeries.get(netns)?.values() ?? [])
      this.events.remove({ source, event, netns });
    this.eventSeries.delete(netns);
  }

  /** Stops sampling the event loop (the daemon's shutdown). */
  close(): void {
    this.stopLag();
  }

  text(): Promise<string> {
    return this.writer().metrics();
  }

  get contentType(): string {
    return this.writer().contentType;
  }

  /** prom-client's exposition writer, loaded at the first scrape. */
  private writer(): Registry {
    if (this.registry) return this.registry;
    const registry = new (promRegistry())();
    for (const m of this.exposed) registry.registerMetric(m as unknown as Metric);
    this.registry = registry;
    return registry;
  }
}

/** What the kernel state already counts, read at scrape time. */
export function kernelSamples(k: KernelState): Sampled {
  return {
    netlinkMessages: () => k.netlinkStats.messages,
    overruns: () => k.netlinkStats.overruns,
    resyncs: () => k.stats.resyncs,
    routeRereads: () => k.stats.routeRereads,
    links: () => k.links.size,
    managedRules: () => owned(k.rules.values()).length,
    managedRoutes: () => owned(k.routes.values()).length,
  };
}

/**
 * netevd_event_loop_lag_seconds as a summary: quantiles since the last scrape
 * (quantile 1 is the maximum), _sum and _count since the start. prom-client's
 * own Summary keeps a sliding window and cannot give an exact maximum.
 */
function lagSummary(lag: LoopLag): Exposed {
  const name = "netevd_event_loop_lag_seconds";
  const metric = {
    name,
    help: "Event loop delay: median, 99th percentile and maximum (quantile 1) since the last scrape",
    type: "summary",
    aggregator: "max",
  } as const;
  return {
    ...metric,
    get: () => {
      const { p50, p99, max, sum, count } = lag.take();
      return snapshot(metric, [
        { labels: { quantile: "0.5" }, value: p50 },
        { labels: { quantile: "0.99" }, value: p99 },
        { labels: { quantile: "1" }, value: max },
        { metricName: `${name}_sum`, labels: {}, value: sum },
        { metricName: `${name}_count`, labels: {}, value: count },
      ]);
    },
  };
}
