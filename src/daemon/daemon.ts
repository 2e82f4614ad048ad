// `netevd run`: configuration → privileges → kernel state → link states →
// one ordered event stream per link → filters → scripts. READY=1 after the
// first full sync; SIGHUP reloads; SIGTERM ends scripts and exits 0.
import { compileInterfaceMatcher } from "../config/ifname";
import { type LoadResult, loadConfigFile } from "../config/load";
import type { Config } from "../config/schema";
import { formatDiagnostic } from "../config/diagnostic";
import { emptyStates, type NetworkEvent, type RouteInfo } from "../events/event";
import { EventFilters } from "../filters/apply";
import type { Backend, BackendSink, LinkProperties } from "../backends/types";
import { NetworkdBackend } from "../backends/networkd/networkd";
import { KernelState } from "../kernel/state";
import type { KernelChange } from "../kernel/tables";
import { configureLogging, getLogger } from "../log/logger";
import type { NativeBinding } from "../native/binding";
import { AF_INET, AF_INET6, RT_TABLE, RTN, RTPROT_NAMES } from "../netlink/constants";
import type { Link } from "../netlink/link";
import type { Route } from "../netlink/route";
import { NETEVD_RTPROT, NETEVD_RTPROT_NAME } from "../routing/protocol";
import { ScriptRunner, type RunnerOptions } from "../scripts/runner";
import { dropPrivileges, grantScriptCapabilities, PrivilegeError } from "../system/privileges";
import { Notifier } from "../system/sd-notify";
import { kernelLinkState } from "./kernel-link-state";
import { addressInfo, defaultGateway, linkAddresses, linkInfo } from "./link-facts";
import { LinkTracker, type TrackedLink } from "./link-tracker";

const log = getLogger("daemon");

/** Backends whose adapters this version has. */
const AVAILABLE_BACKENDS = new Set(["none", "systemd-networkd"]);
const MANAGER_LINK: Link = {
  index: 0,
  name: "",
  type: 0,
  flags: 0,
  up: true,
  lowerUp: true,
  mtu: null,
  mac: null,
  operstate: "unknown",
  carrier: null,
  master: null,
  kind: null,
};

export class DaemonError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export interface DaemonOptions {
  configPath: string;
  configExplicit: boolean;
  dryRun: boolean;
  binding: NativeBinding;
  env?: NodeJS.ProcessEnv;
}

function runnerOptions(c: Config, dryRun: boolean): RunnerOptions {
  return {
    dir: c.scripts.dir,
    timeoutMs: c.scripts.timeout,
    maxParallel: c.scripts.max_parallel,
    emitJson: c.backends.systemd_networkd.emit_json,
    dryRun,
  };
}

export class Daemon {
  private config!: Config;
  private kernel!: KernelState;
  private runner!: ScriptRunner;
  private filters!: EventFilters;
  private monitored!: (name: string) => boolean;
  private readonly tracker: LinkTracker;
  private backend: Backend | undefined;
  /** The backend's last values per link (networkd's properties), and the manager's. */
  private readonly backendProps = new Map<number, LinkProperties & { name: string }>();
  private managerProps: LinkProperties = {};
  private readonly notifier: Notifier;
  private stopping: Promise<void> | undefined;

  constructor(private readonly opts: DaemonOptions) {
    this.notifier = new Notifier(opts.binding, getLogger("sd-notify"), opts.env);
    this.tracker = new LinkTracker((link) => this.onLinkEvent(link));
  }

  private load(): LoadResult {
    const r = loadConfigFile(this.opts.configPath, this.opts.configExplicit);
    for (const d of r.diagnostics) log.log(d.severity === "error" ? "error" : "warn", formatDiagnostic(d));
    return r;
  }

  private apply(c: Config): void {
    this.config = c;
    configureLogging({ level: c.system.log_level });
    this.filters = new EventFilters(c.filters);
    const include = compileInterfaceMatcher(c.monitoring.interfaces);
    const exclude = compileInterfaceMatcher(c.monitoring.exclude);
    const all = c.monitoring.interfaces.length === 0;
    this.monitored = (name) => (all ? name !== "lo" : include(name)) && !exclude(name);
  }

  async start(): Promise<void> {
    const r = this.load();
    if (!r.config) throw new DaemonError(`${this.opts.configPath}: configuration is invalid`, 78);
    this.apply(r.config);
    const c = r.config;
    if (!AVAILABLE_BACKENDS.has(c.system.backend)) {
      throw new DaemonError(
        `system.backend: the ${c.system.backend} backend is not available in this version of netevd; set system.backend: none (kernel events only)`,
        1,
      );
    }
    this.dropPrivileges(c);
    this.runner = new ScriptRunner(runnerOptions(c, this.opts.dryRun), getLogger("scripts"));
    this.kernel = new KernelState(this.opts.binding, { log: getLogger("kernel") });
    try {
      await this.kernel.start();
    } catch (err) {
      throw new DaemonError(`cannot read the kernel's network state: ${(err as Error).message}`, 1);
    }
    if (c.system.backend === "systemd-networkd") {
      this.backend = new NetworkdBackend({ sink: this.sink(), log: getLogger("networkd") });
      await this.backend.start();
    } else {
      this.syncAll(!c.scripts.run_startup_triggers);
    }
    this.kernel.onChange((change) => this.onKernelChange(change));
    log.info(`ready: ${this.status()}${this.opts.dryRun ? ", dry run" : ""}`);
    this.notifier.ready(this.status());
    this.notifier.startWatchdog(() => this.stopping === undefined);
  }

  private dropPrivileges(c: Config): void {
    const uid = process.getuid?.() ?? 0;
    try {
      dropPrivileges(this.opts.binding, { user: c.system.user, keep: ["CAP_NET_ADMIN"], log });
      grantScriptCapabilities(this.opts.binding, c.scripts.ambient_capabilities, log);
    } catch (err) {
      if (err instanceof PrivilegeError && this.opts.dryRun && uid !== 0) {
        log.warn(`dry run without privileges: ${err.message}`);
        return;
      }
      throw new DaemonError(
        err instanceof PrivilegeError ? err.message : `dropping privileges failed: ${(err as Error).message}`,
        77,
      );
    }
  }

  status(): string {
    const states = this.backend
      ? [...this.backendProps.values()].map((p) => p.OperationalState ?? null)
      : this.tracker.all().map((l) => l.state);
    const routable = states.filter((s) => s === "routable").length;
    return `${states.length} link(s), ${routable} routable; backend ${this.config.system.backend}`;
  }

  /** Computes every link's state; at startup silently unless run_startup_triggers. */
  private syncAll(silent: boolean): void {
    for (const link of this.kernel.links.values()) this.syncLink(link, silent);
  }

  private syncLink(link: Link, silent = false): void {
    if (this.backend || !this.monitored(link.name)) return;
    const t = this.kernel.tables;
    const addresses = linkAddresses(t, link.index);
    const state = kernelLinkState(link, addresses);
    const global = addresses
      .filter((a) => a.scope === 0)
      .map((a) => `${a.address}/${a.prefixLength}`)
      .sort();
    const fingerprint = [
      ...global,
      defaultGateway(t, link.index, AF_INET) ?? "",
      defaultGateway(t, link.index, AF_INET6) ?? "",
    ].join(" ");
    // Only a routable link's facts make a new event; other states run once.
    this.tracker.setState(link.index, link.name, state, state === "routable" ? fingerprint : "", silent);
  }

  /** Where the backend reports: one event per new OperationalState or AdministrativeState value. */
  private sink(): BackendSink {
    return {
      link: (ifindex, name, props, initial) => {
        const prev = this.backendProps.get(ifindex);
        const linkName = name ?? prev?.name ?? this.kernel.links.get(ifindex)?.name ?? `if${ifindex}`;
        const merged = { ...prev, ...props, name: linkName };
        this.backendProps.set(ifindex, merged);
        if (!this.monitored(linkName)) return;
        for (const key of ["OperationalState", "AdministrativeState"] as const) {
          const value = props[key];
          if (value === undefined || value === prev?.[key]) continue;
          if (initial && !(this.config.scripts.run_startup_triggers && key === "OperationalState")) continue;
          const link = this.kernel.links.get(ifindex) ?? { ...MANAGER_LINK, index: ifindex, name: linkName };
          this.dispatch(this.event(value, link, null));
        }
      },
      manager: (props, initial) => {
        const prev = this.managerProps;
        this.managerProps = { ...prev, ...props };
        if (
          !initial &&
          props.OperationalState !== undefined &&
          props.OperationalState !== prev.OperationalState
        ) {
          this.dispatch(this.event("manager", MANAGER_LINK, null));
        }
      },
    };
  }

  private onKernelChange(change: KernelChange): void {
    switch (change.kind) {
      case "link":
        if (change.action === "remove") this.tracker.remove(change.link.index);
        else this.syncLink(change.link);
        return;
      case "address": {
        const link = this.kernel.links.get(change.address.index);
        if (link) this.syncLink(link);
        return;
      }
      case "route": {
        const link = change.route.oif === null ? undefined : this.kernel.links.get(change.route.oif);
        if (!link) return;
        if (change.route.dstLength === 0 && change.route.table === RT_TABLE.MAIN) this.syncLink(link);
        if (change.action !== "change" && this.isReportedRoute(change.route) && this.monitored(link.name)) {
          this.dispatch(this.event("routes", link, routeInfo(change.action, change.route)));
        }
        return;
      }
      case "rule":
        return;
    }
  }

  /** routes events: not netevd's own, not the kernel's local/broadcast/multicast bookkeeping. */
  private isReportedRoute(r: Route): boolean {
    if (r.protocol === NETEVD_RTPROT || r.table === RT_TABLE.LOCAL) return false;
    return (
      r.type === RTN.UNICAST ||
      r.type === RTN.BLACKHOLE ||
      r.type === RTN.UNREACHABLE ||
      r.type === RTN.PROHIBIT
    );
  }

  private onLinkEvent(tracked: TrackedLink): void {
    const link = this.kernel.links.get(tracked.index);
    if (link && tracked.state) this.dispatch(this.event(tracked.state, link, null));
  }

  private event(name: string, link: Link, route: RouteInfo | null): NetworkEvent {
    const t = this.kernel.tables;
    const addresses = linkAddresses(t, link.index);
    const state = emptyStates();
    const p = link.index === 0 ? this.managerProps : this.backendProps.get(link.index);
    if (this.backend) {
      state.operational = p?.OperationalState ?? null;
      state.administrative = p?.AdministrativeState ?? null;
      state.carrier = p?.CarrierState ?? null;
      state.address = p?.AddressState ?? null;
      state.online = p?.OnlineState || null;
    } else {
      state.operational = kernelLinkState(link, addresses);
      state.carrier = link.carrier === false ? "no-carrier" : "carrier";
    }
    return {
      event: name,
      time: new Date(),
      backend: this.config.system.backend,
      link: linkInfo(link),
      state,
      addresses: addresses.map(addressInfo),
      gateway: defaultGateway(t, link.index, AF_INET),
      gateway6: defaultGateway(t, link.index, AF_INET6),
      dns: [],
      domains: [],
      dhcp: null,
      route,
    };
  }

  private dispatch(e: NetworkEvent): void {
    const linkLog = log.child({ link: e.link.name });
    const decision = this.filters.decide(e, linkLog);
    if (!decision.run) {
      linkLog.debug(`event ${e.event} ignored by filter ${decision.filter}`);
      return;
    }
    linkLog.info(`event ${e.event}`);
    // DNS servers and domains the manager knows, looked up in the link's queue so order holds.
    const backend = this.backend;
    const prepare =
      backend && e.link.index > 0
        ? async (ev: NetworkEvent) => {
            const d = await backend.details(ev.link.index);
            return d ? { ...ev, dns: d.dns, domains: d.domains } : ev;
          }
        : undefined;
    this.runner
      .dispatch(e, decision.only, prepare)
      .catch((err: Error) => linkLog.error(`event ${e.event} failed: ${err.message}`));
  }

  /** SIGHUP / `netevd reload`: a broken file keeps the running configuration. */
  reload(): LoadResult {
    const r = this.load();
    if (!r.config) {
      log.error("reload refused: the configuration is invalid; the running configuration stays");
      return r;
    }
    if (
      r.config.system.backend !== this.config.system.backend ||
      r.config.system.user !== this.config.system.user
    ) {
      log.warn("system.backend and system.user take effect at the next restart");
    }
    this.apply({
      ...r.config,
      system: { ...r.config.system, backend: this.config.system.backend, user: this.config.system.user },
    });
    this.runner.update(runnerOptions(this.config, this.opts.dryRun));
    grantScriptCapabilities(this.opts.binding, this.config.scripts.ambient_capabilities, log);
    for (const link of this.kernel.links.values()) this.syncLink(link);
    log.info("configuration reloaded");
    this.notifier.status(this.status());
    return r;
  }

  /** Ends running scripts' process groups, closes the kernel sockets. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.notifier.stopping();
      this.notifier.stopWatchdog();
      this.backend?.stop();
      await this.runner?.stop();
      this.kernel?.close();
      log.info("stopped");
    })();
    return this.stopping;
  }
}

function routeInfo(action: "add" | "remove", r: Route): RouteInfo {
  const v4 = r.family === AF_INET;
  return {
    action: action === "add" ? "add" : "del",
    dst: r.dstLength === 0 ? "default" : `${r.dst ?? (v4 ? "0.0.0.0" : "::")}/${r.dstLength}`,
    gateway: r.gateway,
    table: r.table,
    protocol:
      r.protocol === NETEVD_RTPROT ? NETEVD_RTPROT_NAME : (RTPROT_NAMES[r.protocol] ?? String(r.protocol)),
    metric: r.priority,
  };
}

/** Runs until SIGTERM/SIGINT; returns the exit code. */
export async function runDaemon(opts: DaemonOptions): Promise<number> {
  const daemon = new Daemon(opts);
  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((r) => (resolveDone = r));
  const stop = (signal: string) => {
    log.info(`${signal}: stopping`);
    void daemon.stop().then(() => resolveDone(0));
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  process.on("SIGHUP", () => daemon.reload());
  try {
    await daemon.start();
  } catch (err) {
    await daemon.stop();
    if (err instanceof DaemonError) {
      log.error(err.message);
      return err.exitCode;
    }
    throw err;
  }
  return done;
}
