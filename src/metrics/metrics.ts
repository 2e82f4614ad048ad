// Prometheus metrics (netevd.8, CONTROL API AND METRICS), exposed at /metrics on the API. prom-client
// writes the exposition format; values the daemon already counts (kernel
// messages, managed rules) are read at scrape time instead of copied.
import { Counter, Gauge, Histogram, type Metric, Registry } from "prom-client";
import { owned } from "../kernel/protocol";
import type { KernelState } from "../kernel/state";
import { LoopLag } from "../util/loop-lag";
import { VERSION } from "../version";

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
  readonly registry = new Registry();
  readonly events = new Counter({
    name: "netevd_events_total",
    help: 'Events handled, by source (kernel, systemd-networkd, NetworkManager, dhclient), event name and network namespace ("": netevd\'s own)',
    labelNames: ["source", "event", "netns"],
    registers: [this.registry],
  });
  readonly scriptRuns = new Counter({
    name: "netevd_script_runs_total",
    help: "Scripts run, by result (success, failure, timeout, error) and script (its file name)",
    labelNames: ["result", "script"],
    registers: [this.registry],
  });
  readonly scriptFailing = new Gauge({
    name: "netevd_script_failing",
    help: "1 when the script's last run failed, timed out or could not start; 0 when it succeeded",
    labelNames: ["script"],
    registers: [this.registry],
  });
  readonly privilegedRefusals = new Counter({
    name: "netevd_privileged_refusals_total",
    help: "Privileged hook runs netevd-privileged refused (or could not be asked for)",
    registers: [this.registry],
  });
  readonly scriptDuration = new Histogram({
    name: "netevd_script_duration_seconds",
    help: "How long scripts ran",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly eventToScript = new Histogram({
    name: "netevd_event_to_script_start_seconds",
    help: "Time from an event being seen to its first script starting",
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly eventsDiscarded = new Counter({
    name: "netevd_events_discarded_total",
    help: "Events whose scripts never ran, by reason: coalesced (a later event of the link replaced it before it started) or bound (the link's queue was full)",
    labelNames: ["reason", "netns"],
    registers: [this.registry],
  });
  readonly dbusErrors = new Counter({
    name: "netevd_dbus_errors_total",
    help: "Failed D-Bus calls and lost bus connections, by peer",
    labelNames: ["peer"],
    registers: [this.registry],
  });
  readonly routingChanges = new Counter({
    name: "netevd_policy_changes_total",
    help: "Rules and routes netevd added or removed",
    labelNames: ["object", "action"],
    registers: [this.registry],
  });

  constructor(
    namespaces: SampledNamespaces,
    backend: () => BackendLabels,
    /** The loop's lag sampler (a test gives one on its own clock). */
    lag: LoopLag = new LoopLag(),
  ) {
    // Per namespace (label netns, "" for netevd's own), read at scrape time: a
    // namespace that went is gone from the next scrape.
    const gauge = (name: string, help: string, read: (s: Sampled) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ["netns"],
        registers: [this.registry],
        collect() {
          this.reset();
          for (const [netns, s] of namespaces()) this.labels(netns).set(read(s));
        },
      });
    // Counters the kernel layer keeps: read at scrape time, exposed with counter type.
    const counter = (name: string, help: string, read: (s: Sampled) => number) =>
      new Counter({
        name,
        help,
        labelNames: ["netns"],
        registers: [this.registry],
        collect() {
          this.reset();
          for (const [netns, s] of namespaces()) this.labels(netns).inc(read(s));
        },
      });
    counter("netevd_netlink_messages_total", "rtnetlink messages read", (s) => s.netlinkMessages());
    counter("netevd_netlink_overruns_total", "Kernel event overruns (ENOBUFS)", (s) => s.overruns());
    counter("netevd_netlink_resyncs_total", "Full re-reads of the kernel's tables", (s) => s.resyncs());
    counter(
      "netevd_netlink_route_rereads_total",
      "Re-reads of one link's routes (after it went down or lost its last IPv4 address)",
      (s) => s.routeRereads(),
    );
    gauge("netevd_links", "Links in the kernel's table as netevd knows it", (s) => s.links());
    gauge("netevd_managed_rules", "Policy rules netevd manages now", (s) => s.managedRules());
    gauge("netevd_managed_routes", "Routes netevd manages now", (s) => s.managedRoutes());
    // How late the event loop ran timers since the last scrape: a batch or a
    // listener that holds the loop shows here before hooks time out falsely.
    this.stopLag = () => lag.stop();
    this.registry.registerMetric(lagSummary(lag));
    new Gauge({
      name: "netevd_backend_info",
      help: 'The backend in use (1), how it was chosen (mode: auto or configured) and whether its manager runs (running: "false" when a configured manager is absent)',
      labelNames: ["backend", "mode", "running"],
      registers: [this.registry],
      collect() {
        this.reset();
        const b = backend();
        this.labels(b.backend, b.auto ? "auto" : "configured", b.problem ? "false" : "true").set(1);
      },
    });
    new Gauge({
      name: "netevd_start_time_seconds",
      help: "When the daemon started, in seconds since the epoch (a restart changes it)",
      registers: [this.registry],
    }).set(Math.round(Date.now() / 1000 - process.uptime()));
    new Gauge({
      name: "netevd_build_info",
      help: "netevd's version",
      labelNames: ["version"],
      registers: [this.registry],
    })
      .labels(VERSION)
      .set(1);
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
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
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
function lagSummary(lag: LoopLag): Metric {
  const name = "netevd_event_loop_lag_seconds";
  const help = "Event loop delay: median, 99th percentile and maximum (quantile 1) since the last scrape";
  const metric = {
    name,
    help,
    type: "summary",
    aggregator: "max",
    get: () => {
      const { p50, p99, max, sum, count } = lag.take();
      return {
        name,
        help,
        type: "summary",
        aggregator: "max",
        values: [
          { labels: { quantile: "0.5" }, value: p50 },
          { labels: { quantile: "0.99" }, value: p99 },
          { labels: { quantile: "1" }, value: max },
          { metricName: `${name}_sum`, labels: {}, value: sum },
          { metricName: `${name}_count`, labels: {}, value: count },
        ],
      };
    },
  };
  return metric as unknown as Metric;
}
