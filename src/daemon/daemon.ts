// `netevd run`: configuration → privileges → kernel state → link states →
// one ordered event stream per link → filters → scripts. READY=1 after the
// first full sync; SIGHUP reloads; SIGTERM ends scripts and exits 0. The
// daemon wires the parts together and runs their lifecycle; each link's state
// lives in its record (src/links), events are built and sent in dispatch.ts.
import type { ApiServer } from "../api/server";
import { type AuditEntry, AuditLog } from "../audit/audit-log";
import type { Backend } from "../backends/types";
import { formatDiagnostic } from "../config/diagnostic";
import { type LoadResult, loadConfigFile } from "../config/load";
import type { Config } from "../config/schema";
import { EXIT, FatalError } from "../errors";
import { isManagerBackend } from "../events/names";
import { EventFilters } from "../filters/apply";
import { KernelState } from "../kernel/state";
import { LinkStates } from "../links/link-states";
import { configureLogging, getLogger } from "../log/logger";
import { kernelSamples, Metrics, type Sampled } from "../metrics/metrics";
import type { NativeBinding } from "../native/binding";
import { PolicyReconciler } from "../routing/reconciler";
import { type RunnerOptions, ScriptRunner } from "../scripts/runner";
import { describeKillScope, detectKillScope, type KillScope } from "../scripts/cgroup";
import { runnerSettings } from "../scripts/settings";
import { networkctlStatus } from "../system/networkctl";
import { grantScriptCapabilities } from "../system/privileges";
import { Notifier } from "../system/sd-notify";
import { reloadBody, startControlApi } from "./control-api";
import { routeKernelChange } from "./kernel-changes";
import { becomeDaemonUser } from "./privilege-drop";
import { createBackend, upState } from "./backend-factory";
import { backendSink, type ManagerState } from "./backend-sink";
import { EventDispatcher } from "./dispatch";
import { EventLog, RunLog } from "./event-log";
import { LeaseWatch } from "./lease-watch";
import { recordScriptResult, runBody } from "./script-results";
import { monitoredMatcher, silencedLinks } from "../config/monitoring";
import { compileNamespaceMatcher } from "../config/netns-name";
import { privilegedSocket } from "../privileged/client";
import { NamespaceWatch } from "./namespaces";
import { policySettings } from "./settings";
import { MESSAGE_ID } from "../log/message-ids";

const log = getLogger("daemon");

export interface DaemonOptions {
  configPath: string;
  configExplicit: boolean;
  dryRun: boolean;
  binding: NativeBinding;
  env?: NodeJS.ProcessEnv;
}

export class Daemon {
  private config!: Config;
  private filters!: EventFilters;
  private monitored!: (name: string) => boolean;
  private kernel!: KernelState;
  private runner!: ScriptRunner;
  private states!: LinkStates;
  private dispatcher!: EventDispatcher;
  private backend: Backend | undefined;
  private leases: LeaseWatch | undefined;
  private policy: PolicyReconciler | undefined;
  private metrics: Metrics | undefined;
  private api: ApiServer | undefined;
  private auditLog: AuditLog | undefined;
  private namespaces: NamespaceWatch | undefined;
  private readonly manager: ManagerState = { props: {} };
  private readonly events = new EventLog();
  private readonly runs = new RunLog();
  private readonly startedAt = Date.now();
  private readonly notifier: Notifier;
  private ready = false;
  /** The first sync is done: from now on a lease change is an event (before, the sync itself covers it). */
  private synced = false;
  private killScope: KillScope = { kind: "process-group", reason: "not started" };
  private stopping: Promise<void> | undefined;

  constructor(private readonly opts: DaemonOptions) {
    this.notifier = new Notifier(opts.binding, getLogger("sd-notify"), opts.env);
  }

  /** One JSON line per change netevd makes, when audit.enabled (file per the current config). */
  private readonly audit = (e: AuditEntry): void => {
    const a = this.config.audit;
    if (!a.enabled || this.opts.dryRun) return;
    if (this.auditLog?.path !== a.path)
      this.auditLog = new AuditLog({ path: a.path, log: getLogger("audit") });
    this.auditLog.record(e);
  };

  private load(): LoadResult {
    const r = loadConfigFile(this.opts.configPath, this.opts.configExplicit);
    for (const d of r.diagnostics) log.log(d.severity === "error" ? "error" : "warn", formatDiagnostic(d));
    return r;
  }

  private apply(c: Config): void {
    this.config = c;
    configureLogging({ level: c.system.log_level });
    this.filters = new EventFilters(c.filters);
    this.monitored = monitoredMatcher(c);
  }

  private runnerOptions(c: Config): RunnerOptions {
    return {
      ...runnerSettings(c, this.opts.dryRun),
      styleContext: { networkctlStatus },
      killScope: this.killScope,
      onResult: (e, r) => {
        recordScriptResult(e, r, this.metrics, this.audit);
        this.runs.add(runBody(e, r));
      },
    };
  }

  async start(): Promise<void> {
    const r = this.load();
    if (!r.config) throw new FatalError(`${this.opts.configPath}: configuration is invalid`, EXIT.CONFIG);
    this.apply(r.config);
    const c = r.config;
    becomeDaemonUser(this.opts.binding, c, this.opts.dryRun);
    // After the drop: a delegated cgroup belongs to the user netevd runs as.
    this.killScope = detectKillScope();
    log.info(`scripts: ${describeKillScope(this.killScope)}`);
    this.runner = new ScriptRunner(this.runnerOptions(c), getLogger("scripts"));
    this.kernel = new KernelState(this.opts.binding, { log: getLogger("kernel") });
    try {
      await this.kernel.start();
    } catch (err) {
      throw new FatalError(`cannot read the kernel's network state: ${(err as Error).message}`, EXIT.FAILURE);
    }
    // Counted from the first event on (startup triggers included).
    const k = this.kernel;
    this.metrics = new Metrics(() => [
      ["", kernelSamples(k)],
      ...(this.namespaces?.all() ?? []).map((n) => [n.name, kernelSamples(n.kernel)] as [string, Sampled]),
    ]);
    if (r.rustStyle)
      warnSilenced(
        c,
        [...k.links.values()].map((l) => l.name),
      );
    this.wireLinks(c);
    this.backend = createBackend(
      c,
      backendSink(
        {
          backend: () => this.backend,
          states: this.states,
          dispatcher: this.dispatcher,
          kernelName: (i) => k.links.get(i)?.name,
          monitored: (n) => this.monitored(n),
          starting: () => !this.ready,
          runStartupTriggers: () => this.config.scripts.run_startup_triggers,
        },
        this.manager,
      ),
      (name) => [...k.links.values()].find((l) => l.name === name)?.index,
      (peer) => this.metrics?.dbusErrors.inc({ peer }),
    );
    if (this.backend) await this.backend.start();
    else {
      this.leases?.start(k.links.values());
      this.states.syncAll(!c.scripts.run_startup_triggers);
    }
    this.synced = true;
    k.onChange((change) => {
      if (this.policy?.affectedBy(change)) void this.policy.schedule();
      routeKernelChange(change, {
        kernel: k,
        states: this.states,
        dispatcher: this.dispatcher,
        leases: this.leases,
        monitored: (n) => this.monitored(n),
      });
    });
    await this.watchNamespaces();
    // Policy routing is reconciled before READY=1: stale netevd entries go, missing ones come.
    this.policy = new PolicyReconciler({
      kernel: k,
      log: getLogger("routing"),
      dryRun: this.opts.dryRun,
      onChange: (action, what, text) => {
        this.metrics?.routingChanges.inc({ object: what, action });
        this.audit({ action: `${what}.${action}`, detail: text });
      },
    });
    this.policy.update(policySettings(c));
    await this.policy.schedule();
    this.api = await startControlApi(c, {
      config: () => this.config,
      configPath: this.opts.configPath,
      dryRun: this.opts.dryRun,
      startedAt: this.startedAt,
      ready: () => this.ready,
      kernel: k,
      states: this.states,
      monitored: (n) => this.monitored(n),
      upState: upState(c.system.backend),
      events: this.events,
      runs: this.runs,
      metrics: this.metrics,
      reload: () => reloadBody(this.reload()),
      namespaces: () => this.namespaces?.all() ?? [],
    });
    this.ready = true;
    log.info(`ready: ${this.status()}${this.opts.dryRun ? ", dry run" : ""}`, {
      MESSAGE_ID: MESSAGE_ID.ready,
    });
    this.notifier.ready(this.status());
    this.notifier.startWatchdog(() => this.stopping === undefined);
  }

  /** Link states (one record per link), leases under dhclient, and the event dispatcher. */
  private wireLinks(c: Config): void {
    const k = this.kernel;
    const managed = isManagerBackend(c.system.backend);
    if (c.system.backend === "dhclient")
      this.leases = new LeaseWatch({
        config: c,
        dryRun: this.opts.dryRun,
        onChange: (ifname) => this.onLeaseChange(ifname),
        audit: this.audit,
        onPushFailed: (peer) => this.metrics?.dbusErrors.inc({ peer }),
        monitored: (n) => this.monitored(n),
      });
    const leases = this.leases;
    const leaseOf = leases ? (name: string) => leases.leaseOf(name) : undefined;
    this.dispatcher = new EventDispatcher({
      kernel: k,
      runner: this.runner,
      events: this.events,
      source: () => ({ tables: k.tables, backend: this.config.system.backend, managed }),
      filters: () => this.filters,
      backend: () => this.backend,
      metrics: () => this.metrics,
      manager: (i) => (i === 0 ? this.manager.props : this.states.get(i)?.manager),
      ...(leaseOf ? { leaseOf } : {}),
    });
    this.states = new LinkStates({
      kernel: k,
      managed,
      upState: upState(c.system.backend),
      monitored: (n) => this.monitored(n),
      emit: (link) => {
        if (link.state) this.dispatcher.link(link.state, link.index, link.name);
      },
      ...(leaseOf ? { leaseOf } : {}),
    });
  }

  /** monitoring.namespaces: started when first configured; a reload may widen or narrow it. */
  private async watchNamespaces(): Promise<void> {
    const ns = this.config.monitoring.namespaces;
    if (this.namespaces) {
      this.namespaces.update();
      return;
    }
    if (ns !== "all" && ns.length === 0) return;
    this.namespaces = new NamespaceWatch({
      binding: this.opts.binding,
      runner: this.runner,
      events: this.events,
      filters: () => this.filters,
      metrics: () => this.metrics,
      monitored: (n) => this.monitored(n),
      watched: () => compileNamespaceMatcher(this.config.monitoring.namespaces),
      executor: () => privilegedSocket(this.opts.env),
      startupTriggers: () => this.config.scripts.run_startup_triggers,
    });
    await this.namespaces.start();
  }

  private onLeaseChange(ifname: string): void {
    if (!this.synced) return; // the lease files' first read, during start
    const link = [...this.kernel.links.values()].find((l) => l.name === ifname);
    if (!link) return;
    this.states.leaseChanged(link);
    this.leases?.pushFor(link);
  }

  status(): string {
    const up = upState(this.config.system.backend);
    const states = this.states.tracked().map((l) => l.state);
    const n = states.filter((s) => s === up).length;
    return `${states.length} link(s), ${n} ${up}; backend ${this.config.system.backend}`;
  }

  /** SIGHUP / `netevd reload`: a broken file keeps the running configuration. */
  reload(): LoadResult {
    const r = this.load();
    if (!r.config) {
      log.error("reload refused: the configuration is invalid; the running configuration stays", {
        MESSAGE_ID: MESSAGE_ID.reloadRefused,
      });
      return r;
    }
    const { backend, user } = this.config.system;
    if (r.config.system.backend !== backend || r.config.system.user !== user)
      log.warn("system.backend and system.user take effect at the next restart");
    this.apply({ ...r.config, system: { ...r.config.system, backend, user } });
    this.runner.update(this.runnerOptions(this.config));
    this.leases?.update(this.config);
    this.policy?.update(policySettings(this.config));
    void this.policy?.schedule();
    grantScriptCapabilities(this.opts.binding, this.config.scripts.ambient_capabilities, log);
    for (const link of this.kernel.links.values()) this.states.syncKernel(link);
    void this.watchNamespaces();
    log.info("configuration reloaded", { MESSAGE_ID: MESSAGE_ID.reloaded });
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
      this.states?.stop();
      this.namespaces?.close();
      await this.runner?.stop();
      if (this.policy && !this.opts.dryRun && !this.config.routing.keep_on_stop) await this.policy.cleanup();
      this.kernel?.close();
      this.metrics?.close();
      log.info("stopped");
    })();
    return this.stopping;
  }
}

/** A Rust netevd configuration carried over: say which links it served that netevd will not. */
function warnSilenced(c: Config, present: string[]): void {
  const silenced = silencedLinks(c, present);
  if (silenced.length)
    log.warn(
      `monitoring.interfaces leaves out ${silenced.join(", ")}: the Rust netevd ignored that key and ran scripts for every link; add them, or remove the key, to keep that`,
    );
}
