// `netevd run`: configuration → privileges → kernel state → link states →
// one ordered event stream per link → filters → scripts. READY=1 after the
// first full sync; SIGHUP reloads; SIGTERM ends scripts and exits 0.
import { compileInterfaceMatcher } from "../config/ifname";
import { type LoadResult, loadConfigFile } from "../config/load";
import type { Config } from "../config/schema";
import { formatDiagnostic } from "../config/diagnostic";
import { emptyStates, eventJson, type NetworkEvent, type RouteInfo } from "../events/event";
import { EventFilters } from "../filters/apply";
import type { Backend, BackendSink, LinkProperties } from "../backends/types";
import { DhclientLeases } from "../backends/dhclient/dhclient";
import { type AuditEntry, AuditLog } from "../audit/audit-log";
import { ApiServer } from "../api/server";
import { Metrics } from "../metrics/metrics";
import { apiHandlers } from "./api-view";
import { EventLog } from "./event-log";
import { KernelState } from "../kernel/state";
import type { KernelChange } from "../kernel/tables";
import { configureLogging, getLogger } from "../log/logger";
import type { NativeBinding } from "../native/binding";
import { AF_INET, AF_INET6, RT_TABLE } from "../netlink/constants";
import type { Link } from "../netlink/link";
import { BusConnection } from "../push/bus-connection";
import { Hostnamed } from "../push/hostnamed";
import { LeasePush, type PushFlags } from "../push/lease-push";
import { Resolved } from "../push/resolved";
import type { PolicySettings } from "../routing/desired";
import { PolicyReconciler } from "../routing/reconciler";
import { owned } from "../routing/protocol";
import { ScriptRunner, type RunnerOptions } from "../scripts/runner";
import { dropPrivileges, grantScriptCapabilities } from "../system/privileges";
import { EXIT, FatalError } from "../errors";
import { Notifier } from "../system/sd-notify";
import { createBackend, upState } from "./backend-factory";
import { kernelLinkState } from "./kernel-link-state";
import { Settle } from "./settle";
import { addressInfo, defaultGateway, linkAddresses, linkInfo } from "./link-facts";
import { LinkTracker, type TrackedLink } from "./link-tracker";
import { isReportedRoute, routeInfo } from "./route-event";

const log = getLogger("daemon");

/**
 * Under dhclient, how long a link that became routable waits for its lease to be
 * written (dhclient writes it after its script set the address; under load that
 * took more than 0.5 s in the test suite). Ends early when the lease arrives.
 */
const LEASE_SETTLE_MS = 2000;
/** How long a manager's up state waits for the kernel's first global address of the link. */
const ADDRESS_SETTLE_MS = 500;
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

export interface DaemonOptions {
  configPath: string;
  configExplicit: boolean;
  dryRun: boolean;
  binding: NativeBinding;
  env?: NodeJS.ProcessEnv;
}

function pushFlags(c: Config, dryRun: boolean): PushFlags {
  const d = c.backends.dhclient;
  return { useDns: d.use_dns, useDomain: d.use_domain, useHostname: d.use_hostname, dryRun };
}

function policySettings(c: Config): PolicySettings | null {
  const r = c.routing;
  if (r.policy_rules.length === 0) return null;
  return {
    matches: compileInterfaceMatcher(r.policy_rules),
    tableBase: r.table_base,
    ipv6: r.ipv6,
    fromPriority: r.from_priority,
    toPriority: r.to_priority,
  };
}

function runnerOptions(
  c: Config,
  dryRun: boolean,
  audit: (e: AuditEntry) => void,
  metrics: () => Metrics | undefined,
): RunnerOptions {
  return {
    dir: c.scripts.dir,
    timeoutMs: c.scripts.timeout,
    maxParallel: c.scripts.max_parallel,
    emitJson: c.backends.systemd_networkd.emit_json,
    dryRun,
    onResult: (e, r) => {
      const m = metrics();
      if (m) {
        const result = r.spawnError
          ? "error"
          : r.timedOut
            ? "timeout"
            : r.exitCode === 0
              ? "success"
              : "failure";
        m.scriptRuns.inc({ result });
        m.scriptDuration.observe(r.durationMs / 1000);
        m.eventToScript.observe(Math.max(0, Date.now() - r.durationMs - e.time.getTime()) / 1000);
      }
      audit({
        action: "script.run",
        link: e.link.name,
        event: e.event,
        script: r.path,
        exit_code: r.exitCode,
        signal: r.signal,
        timed_out: r.timedOut,
        duration_ms: Math.round(r.durationMs),
        ...(r.spawnError ? { error: r.spawnError } : {}),
      });
    },
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
  private leases: DhclientLeases | undefined;
  private auditLog: AuditLog | undefined;
  /** One JSON line per change netevd makes, when audit.enabled (file per the current config). */
  private readonly audit = (e: AuditEntry): void => {
    const a = this.config.audit;
    if (!a.enabled || this.opts.dryRun) return;
    if (this.auditLog?.path !== a.path)
      this.auditLog = new AuditLog({ path: a.path, log: getLogger("audit") });
    this.auditLog.record(e);
  };
  private policy: PolicyReconciler | undefined;
  private metrics: Metrics | undefined;
  private api: ApiServer | undefined;
  private readonly events = new EventLog();
  private readonly startedAt = Date.now();
  private push: LeasePush | undefined;
  private pushBus: BusConnection | undefined;
  private readonly leaseSettle = new Settle(LEASE_SETTLE_MS);
  private readonly addressSettle = new Settle(ADDRESS_SETTLE_MS);
  /** Up states a manager reported before the kernel told us of the link's address. */
  private readonly pendingUp = new Map<number, { name: string; value: string }>();
  private ready = false;
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
    if (!r.config) throw new FatalError(`${this.opts.configPath}: configuration is invalid`, EXIT.CONFIG);
    this.apply(r.config);
    const c = r.config;
    this.dropPrivileges(c);
    this.runner = new ScriptRunner(
      runnerOptions(c, this.opts.dryRun, this.audit, () => this.metrics),
      getLogger("scripts"),
    );
    this.kernel = new KernelState(this.opts.binding, { log: getLogger("kernel") });
    try {
      await this.kernel.start();
    } catch (err) {
      throw new FatalError(`cannot read the kernel's network state: ${(err as Error).message}`, EXIT.FAILURE);
    }
    // Counted from the first event on (startup triggers included).
    const k = this.kernel;
    this.metrics = new Metrics({
      netlinkMessages: () => k.netlinkStats.messages,
      overruns: () => k.netlinkStats.overruns,
      resyncs: () => k.stats.resyncs,
      managedRules: () => owned(k.rules.values()).length,
      managedRoutes: () => owned(k.routes.values()).length,
    });
    this.backend = createBackend(
      c,
      this.sink(),
      (name) => this.ifindexOf(name),
      (peer) => this.metrics?.dbusErrors.inc({ peer }),
    );
    if (this.backend) await this.backend.start();
    else {
      if (c.system.backend === "dhclient") this.startLeases(c);
      this.syncAll(!c.scripts.run_startup_triggers);
    }
    this.kernel.onChange((change) => this.onKernelChange(change));
    // Policy routing is reconciled before READY=1: stale netevd entries go, missing ones come.
    this.policy = new PolicyReconciler({
      kernel: this.kernel,
      log: getLogger("routing"),
      dryRun: this.opts.dryRun,
      onChange: (action, what, text) => {
        this.metrics?.routingChanges.inc({ object: what, action });
        this.audit({ action: `${what}.${action}`, detail: text });
      },
    });
    this.policy.update(policySettings(c));
    await this.policy.schedule();
    await this.startApi(c, this.metrics);
    this.ready = true;
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
      const denied = err instanceof FatalError && err.exitCode === EXIT.NOPERM;
      if (denied && this.opts.dryRun && uid !== 0) {
        log.warn(`dry run without privileges: ${err.message}`);
        return;
      }
      throw denied
        ? err
        : new FatalError(`dropping privileges failed: ${(err as Error).message}`, EXIT.NOPERM);
    }
  }

  /** Metrics and the control API; an API that cannot listen is logged, not fatal. */
  private async startApi(c: Config, metrics: Metrics): Promise<void> {
    const k = this.kernel;
    const handlers = apiHandlers({
      config: () => this.config,
      configPath: this.opts.configPath,
      dryRun: this.opts.dryRun,
      startedAt: this.startedAt,
      ready: () => this.ready,
      kernel: k,
      tracker: this.tracker,
      monitored: (n) => this.monitored(n),
      backendProps: (i) => this.backendProps.get(i),
      upState: upState(c.system.backend),
      events: this.events,
      metrics,
      reload: () => {
        const r = this.reload();
        const text = (sev: string) =>
          r.diagnostics.filter((d) => d.severity === sev).map((d) => formatDiagnostic(d));
        return { ok: r.config !== undefined, errors: text("error"), warnings: text("warning") };
      },
    });
    const api = new ApiServer({
      socket: c.api.socket,
      listen: c.api.listen,
      tokenFile: c.api.token_file,
      handlers: c.metrics.enabled
        ? handlers
        : { ...handlers, metrics: () => Promise.reject(new Error("metrics.enabled is false")) },
      log: getLogger("api"),
    });
    try {
      await api.start();
      this.api = api;
      log.info(`control API on ${c.api.socket}${c.api.listen ? ` and ${c.api.listen}` : ""}`);
    } catch (err) {
      log.warn(`control API off: ${(err as Error).message}`);
      api.close();
    }
  }

  private ifindexOf(name: string): number | undefined {
    for (const l of this.kernel.links.values()) if (l.name === name) return l.index;
    return undefined;
  }

  /** dhclient: lease files watched; a lease change re-checks the link and pushes DNS/hostname. */
  private startLeases(c: Config): void {
    this.leases = new DhclientLeases({
      leaseFiles: c.backends.dhclient.lease_files,
      log: getLogger("dhclient"),
      onChange: (ifname) => this.onLeaseChange(ifname),
    });
    this.pushBus = new BusConnection();
    const pushLog = getLogger("push");
    this.push = new LeasePush(
      pushFlags(c, this.opts.dryRun),
      new Resolved(this.pushBus),
      new Hostnamed(this.pushBus),
      pushLog,
    );
    this.push.onPushed = (action, link, values, via) => this.audit({ action, link, values, via });
    this.push.onFailed = (peer) => this.metrics?.dbusErrors.inc({ peer });
    this.leases.start();
    for (const link of this.kernel.links.values()) this.pushLease(link);
  }

  private onLeaseChange(ifname: string): void {
    const index = this.ifindexOf(ifname);
    const link = index === undefined ? undefined : this.kernel.links.get(index);
    if (!link) return;
    this.leaseSettle.arrived(link.index);
    this.syncLink(link);
    this.pushLease(link);
  }

  private pushLease(link: Link): void {
    const flags = pushFlags(this.config, this.opts.dryRun);
    if (!this.push || !this.leases || !this.monitored(link.name)) return;
    if (!flags.useDns && !flags.useDomain && !flags.useHostname) return;
    void this.push.apply(link.index, link.name, this.leases.forLink(link.name)?.info ?? null);
  }

  status(): string {
    const up = upState(this.config.system.backend);
    const states = this.tracker.all().map((l) => l.state);
    const n = states.filter((s) => s === up).length;
    return `${states.length} link(s), ${n} ${up}; backend ${this.config.system.backend}`;
  }

  /** Computes every link's state; at startup silently unless run_startup_triggers. */
  private syncAll(silent: boolean): void {
    for (const link of this.kernel.links.values()) this.syncLink(link, silent);
  }

  /** The facts whose change re-runs the up state: global addresses, gateways, the lease's data. */
  private fingerprint(link: Link): string {
    const t = this.kernel.tables;
    const global = linkAddresses(t, link.index)
      .filter((a) => a.scope === 0)
      .map((a) => `${a.address}/${a.prefixLength}`)
      .sort();
    // Under a manager, its state covers the routes it sets up; only new addresses re-run.
    if (this.backend) return global.join(" ");
    return [
      ...global,
      defaultGateway(t, link.index, AF_INET) ?? "",
      defaultGateway(t, link.index, AF_INET6) ?? "",
      this.leases?.forLink(link.name)?.fingerprint ?? "",
    ].join(" ");
  }

  private syncLink(link: Link, silent = false): void {
    if (!this.monitored(link.name)) return;
    const tracked = this.tracker.get(link.index);
    if (this.backend) {
      // The manager owns the state; the kernel's facts re-run its up state when they change.
      if (this.pendingUp.has(link.index) && this.hasGlobalAddress(link.index)) this.flushUp(link.index);
      else if (tracked?.state === upState(this.config.system.backend))
        this.tracker.setState(link.index, link.name, tracked.state, this.fingerprint(link));
      return;
    }
    const state = kernelLinkState(link, linkAddresses(this.kernel.tables, link.index));
    if (state !== "routable") this.leaseSettle.reset(link.index);
    else if (this.awaitLease(link, tracked?.state ?? null, silent)) return;
    // Only a routable link's facts make a new event; other states run once.
    this.tracker.setState(
      link.index,
      link.name,
      state,
      state === "routable" ? this.fingerprint(link) : "",
      silent,
    );
  }

  /**
   * dhclient sets the address before it writes the lease: a link that just became
   * routable waits briefly for a lease naming one of its addresses, so its one
   * routable event carries DHCP_*. True while waiting.
   */
  private awaitLease(link: Link, previous: string | null, silent: boolean): boolean {
    if (!this.leases || silent || previous === "routable") return false;
    const lease = this.leases.forLink(link.name);
    const addresses = linkAddresses(this.kernel.tables, link.index).map((a) => a.address);
    if (lease?.info.address && addresses.includes(lease.info.address)) return false;
    return this.leaseSettle.waiting(link.index, () => {
      const now = this.kernel.links.get(link.index);
      if (now) this.syncLink(now);
    });
  }

  private hasGlobalAddress(index: number): boolean {
    return linkAddresses(this.kernel.tables, index).some((a) => a.scope === 0);
  }

  /** A manager's state value for the tracker; its up state waits briefly for the kernel's address. */
  private backendState(ifindex: number, name: string, value: string, silent: boolean): void {
    const link = this.kernel.links.get(ifindex);
    const up = value === upState(this.config.system.backend);
    this.pendingUp.delete(ifindex);
    if (up && !silent && !this.hasGlobalAddress(ifindex)) {
      // networkd's and NM's signals can overtake the kernel's netlink message.
      this.pendingUp.set(ifindex, { name, value });
      if (this.addressSettle.waiting(ifindex, () => this.flushUp(ifindex))) return;
      this.pendingUp.delete(ifindex);
    }
    this.addressSettle.reset(ifindex);
    this.tracker.setState(ifindex, name, value, up && link ? this.fingerprint(link) : "", silent);
  }

  private flushUp(ifindex: number): void {
    const p = this.pendingUp.get(ifindex);
    if (!p) return;
    this.pendingUp.delete(ifindex);
    this.addressSettle.reset(ifindex);
    const link = this.kernel.links.get(ifindex);
    this.tracker.setState(ifindex, p.name, p.value, link ? this.fingerprint(link) : "");
  }

  /**
   * Where the backend reports. The first of its event properties goes through
   * the link tracker (its up state re-runs on new facts); the others are an
   * event per new value. The first enumeration is silent unless
   * run_startup_triggers; re-enumerations after a restart report what changed.
   */
  private sink(): BackendSink {
    return {
      link: (ifindex, name, props, initial) => {
        const backend = this.backend;
        if (!backend) return;
        const prev = this.backendProps.get(ifindex);
        const linkName = name ?? prev?.name ?? this.kernel.links.get(ifindex)?.name ?? `if${ifindex}`;
        this.backendProps.set(ifindex, { ...prev, ...props, name: linkName });
        if (!this.monitored(linkName)) return;
        const startup = initial && !this.ready;
        const [primary, ...others] = backend.eventProperties;
        const value = primary === undefined ? undefined : props[primary];
        if (value !== undefined)
          this.backendState(ifindex, linkName, value, startup && !this.config.scripts.run_startup_triggers);
        for (const key of others) {
          const v = props[key];
          if (v === undefined || v === prev?.[key] || startup) continue;
          this.dispatch(this.event(v, this.linkOrStub(ifindex, linkName), null));
        }
      },
      removed: (ifindex) => {
        this.backendProps.delete(ifindex);
        this.tracker.remove(ifindex);
      },
      manager: (props, initial) => {
        const prev = this.managerProps;
        this.managerProps = { ...prev, ...props };
        if (
          !(initial && !this.ready) &&
          props.OperationalState !== undefined &&
          props.OperationalState !== prev.OperationalState
        ) {
          this.dispatch(this.event("manager", MANAGER_LINK, null));
        }
      },
    };
  }

  private onKernelChange(change: KernelChange): void {
    if (this.policy?.affectedBy(change)) void this.policy.schedule();
    switch (change.kind) {
      case "link":
        if (change.action === "remove") {
          this.tracker.remove(change.link.index);
          this.backendProps.delete(change.link.index);
          this.push?.forget(change.link.index);
        } else {
          if (change.action === "add") this.pushLease(change.link);
          this.syncLink(change.link);
        }
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
        if (change.action !== "change" && isReportedRoute(change.route) && this.monitored(link.name)) {
          this.dispatch(this.event("routes", link, routeInfo(change.action, change.route)));
        }
        return;
      }
      case "rule":
        return;
    }
  }

  private onLinkEvent(tracked: TrackedLink): void {
    if (tracked.state)
      this.dispatch(this.event(tracked.state, this.linkOrStub(tracked.index, tracked.name), null));
  }

  /** The kernel's link, or a stand-in with just the name when the kernel has not told us of it yet. */
  private linkOrStub(index: number, name: string): Link {
    return this.kernel.links.get(index) ?? { ...MANAGER_LINK, index, name };
  }

  private kernelFacts(e: NetworkEvent): NetworkEvent {
    const t = this.kernel.tables;
    if (!this.kernel.links.has(e.link.index)) return e;
    return {
      ...e,
      addresses: linkAddresses(t, e.link.index).map(addressInfo),
      gateway: defaultGateway(t, e.link.index, AF_INET),
      gateway6: defaultGateway(t, e.link.index, AF_INET6),
    };
  }

  private event(name: string, link: Link, route: RouteInfo | null): NetworkEvent {
    const t = this.kernel.tables;
    const addresses = linkAddresses(t, link.index);
    const state = emptyStates();
    const p = link.index === 0 ? this.managerProps : this.backendProps.get(link.index);
    if (p?.DeviceState !== undefined) {
      // NetworkManager: its device state; the operational state is the kernel's.
      state.administrative = p.DeviceState;
      state.operational = kernelLinkState(link, addresses);
      state.carrier = link.carrier === false ? "no-carrier" : "carrier";
    } else if (this.backend) {
      state.operational = p?.OperationalState ?? null;
      state.administrative = p?.AdministrativeState ?? null;
      state.carrier = p?.CarrierState ?? null;
      state.address = p?.AddressState ?? null;
      state.online = p?.OnlineState || null;
    } else {
      state.operational = kernelLinkState(link, addresses);
      state.carrier = link.carrier === false ? "no-carrier" : "carrier";
    }
    const lease = link.index > 0 ? (this.leases?.forLink(link.name)?.info ?? null) : null;
    return {
      event: name,
      time: new Date(),
      backend: this.config.system.backend,
      link: linkInfo(link),
      state,
      addresses: addresses.map(addressInfo),
      gateway: defaultGateway(t, link.index, AF_INET),
      gateway6: defaultGateway(t, link.index, AF_INET6),
      dns: lease?.dns ?? [],
      domains: lease?.domain?.split(/\s+/).filter(Boolean) ?? [],
      dhcp: lease,
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
    this.metrics?.events.inc({ source: e.route ? "kernel" : e.backend, event: e.event });
    this.events.add(eventJson(e));
    // When the link's queue gets to the event: the kernel's facts as they are then (a
    // manager's routes follow its state signal by a few ms), and the DNS servers and
    // domains the manager knows, looked up in the queue so order holds.
    const backend = this.backend;
    const prepare =
      e.link.index > 0
        ? async (ev: NetworkEvent) => {
            const t0 = performance.now();
            const d = await backend?.details(ev.link.index);
            if (backend)
              linkLog.debug(`link details from the manager in ${(performance.now() - t0).toFixed(1)} ms`);
            const now = this.kernelFacts(ev);
            return d ? { ...now, dns: d.dns, domains: d.domains, dhcp: d.dhcp ?? ev.dhcp } : now;
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
    this.runner.update(runnerOptions(this.config, this.opts.dryRun, this.audit, () => this.metrics));
    this.push?.update(pushFlags(this.config, this.opts.dryRun));
    this.policy?.update(policySettings(this.config));
    void this.policy?.schedule();
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
      this.api?.close();
      this.backend?.stop();
      this.leases?.close();
      this.pushBus?.close();
      this.leaseSettle.clear();
      this.addressSettle.clear();
      await this.runner?.stop();
      if (this.policy && !this.opts.dryRun && !this.config.routing.keep_on_stop) await this.policy.cleanup();
      this.kernel?.close();
      log.info("stopped");
    })();
    return this.stopping;
  }
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
    if (err instanceof FatalError) {
      log.error(err.message);
      return err.exitCode;
    }
    throw err;
  }
  return done;
}
