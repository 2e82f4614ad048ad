// The running daemon's parts, made from what start() prepared (the
// configuration, the kernel's state read once, the backend to use): the
// script runner, the links' wiring for the backend in use (replaced when
// `auto` follows a new manager), other namespaces, policy routing, metrics and
// the control API. Each part subscribes to the kernel's changes itself.
import type { ApiServer } from "../api/server";
import { type AuditEntry, AuditLog } from "../audit/audit-log";
import type { LoadResult } from "../config/load";
import { monitoredMatcher } from "../config/monitoring";
import { compileNamespaceMatcher } from "../config/netns-name";
import type { Config } from "../config/schema";
import { EventFilters } from "../filters/apply";
import type { KernelState } from "../kernel/state";
import { configureLogging, getLogger } from "../log/logger";
import { MESSAGE_ID } from "../log/message-ids";
import { kernelSamples, Metrics, type Sampled } from "../metrics/metrics";
import type { NativeBinding } from "../native/binding";
import { privilegedSocket } from "../privileged/client";
import { PolicyReconciler } from "../routing/reconciler";
import type { KillScope } from "../scripts/cgroup";
import { type RunnerOptions, ScriptRunner } from "../scripts/runner";
import { runnerSettings } from "../scripts/settings";
import { networkctlStatus } from "../system/networkctl";
import { grantScriptCapabilities } from "../system/privileges";
import type { Notifier } from "../system/sd-notify";
import type { BackendInUse, Follow } from "./backend-follow";
import { reloadBody, startControlApi } from "./control-api";
import { EventLog, RunLog } from "./event-log";
import { type AdapterFactory, LinkWiring } from "./link-wiring";
import { NamespaceWatch } from "./namespaces";
import { recordScriptResult, runBody } from "./script-results";
import { policySettings } from "./settings";

const log = getLogger("daemon");

export interface CoreParts {
  configPath: string;
  dryRun: boolean;
  binding: NativeBinding;
  env?: NodeJS.ProcessEnv;
  config: Config;
  /** Started: its tables hold the kernel's state. */
  kernel: KernelState;
  /** Started: now() is the backend to use. */
  follow: Follow;
  killScope: KillScope;
  notifier: Notifier;
  /** Reads the configuration file again (reload). */
  load: () => LoadResult;
  adapter?: AdapterFactory;
}

export class DaemonCore {
  private config: Config;
  private filters: EventFilters;
  private monitored: (name: string) => boolean;
  private readonly kernel: KernelState;
  private readonly runner: ScriptRunner;
  private readonly metrics: Metrics;
  private readonly policy: PolicyReconciler;
  /** The links' states, events and the backend in use: replaced when `auto` follows a new manager. */
  private wiring: LinkWiring;
  private namespaces: NamespaceWatch | undefined;
  private api: ApiServer | undefined;
  private auditLog: AuditLog | undefined;
  private readonly events = new EventLog();
  private readonly runs = new RunLog();
  private readonly startedAt = Date.now();
  private ready = false;
  private stopped = false;

  constructor(private readonly p: CoreParts) {
    const c = p.config;
    this.config = c;
    this.filters = new EventFilters(c.filters);
    this.monitored = monitoredMatcher(c);
    this.kernel = p.kernel;
    const k = p.kernel;
    this.runner = new ScriptRunner(this.runnerOptions(c), getLogger("scripts"));
    // Counted from the first event on (startup triggers included).
    this.metrics = new Metrics(
      () => [
        ["", kernelSamples(k)],
        ...(this.namespaces?.all() ?? []).map((n) => [n.name, kernelSamples(n.kernel)] as [string, Sampled]),
      ],
      () => p.follow.now(),
    );
    this.policy = new PolicyReconciler({
      kernel: k,
      log: getLogger("routing"),
      dryRun: p.dryRun,
      onChange: (action, what, text) => {
        this.metrics.routingChanges.inc({ object: what, action });
        this.audit({ action: `${what}.${action}`, detail: text });
      },
    });
    this.wiring = this.wire(p.follow.now().backend);
  }

  /** One JSON line per change netevd makes, when audit.enabled (file per the current config). */
  private readonly audit = (e: AuditEntry): void => {
    const a = this.config.audit;
    if (!a.enabled || this.p.dryRun) return;
    if (this.auditLog?.path !== a.path)
      this.auditLog = new AuditLog({ path: a.path, log: getLogger("audit") });
    this.auditLog.record(e);
  };

  private runnerOptions(c: Config): RunnerOptions {
    return {
      ...runnerSettings(c, this.p.dryRun),
      binding: this.p.binding,
      styleContext: { networkctlStatus: networkctlStatus(this.p.binding) },
      killScope: this.p.killScope,
      onResult: (e, r) => {
        recordScriptResult(e, r, this.metrics, this.audit);
        this.runs.add(runBody(e, r));
      },
      onDiscard: (e, why) => this.metrics.eventsDiscarded.inc({ reason: why, netns: e.netns ?? "" }),
    };
  }

  /** The links' wiring for a backend: states, dispatcher, the manager's adapter or dhclient's leases. */
  private wire(backend: BackendInUse["backend"]): LinkWiring {
    return new LinkWiring({
      kernel: this.kernel,
      backend,
      leases: { config: () => this.config, dryRun: this.p.dryRun, audit: this.audit },
      runner: this.runner,
      events: this.events,
      filters: () => this.filters,
      metrics: () => this.metrics,
      monitored: (n) => this.monitored(n),
      ...(this.p.adapter ? { adapter: this.p.adapter } : {}),
    });
  }

  /** The states as they are (scripts only with run_startup_triggers); policy routing reconciled; the API. */
  async start(): Promise<void> {
    const c = this.config;
    await this.wiring.start(!c.scripts.run_startup_triggers);
    await this.watchNamespaces();
    // Policy routing is reconciled before READY=1: stale netevd entries go, missing ones come.
    this.policy.update(policySettings(c));
    this.policy.followKernel();
    await this.policy.schedule();
    this.api = await startControlApi(c, {
      config: () => this.config,
      configPath: this.p.configPath,
      dryRun: this.p.dryRun,
      startedAt: this.startedAt,
      ready: () => this.ready,
      kernel: this.kernel,
      states: () => this.wiring.states,
      monitored: (n) => this.monitored(n),
      upState: () => this.wiring.upState,
      backend: () => this.p.follow.now(),
      events: this.events,
      runs: this.runs,
      metrics: this.metrics,
      reload: () => reloadBody(this.reload()),
      namespaces: () => this.namespaces?.all() ?? [],
    });
    this.ready = true;
  }

  /**
   * `auto` found a new manager: the old wiring stops, the new one reads the
   * states as they are now (they run no scripts), and its changes are events.
   */
  async switchBackend(now: BackendInUse): Promise<void> {
    if (this.stopped) return;
    this.wiring.stop();
    this.wiring = this.wire(now.backend);
    await this.wiring.start(true);
    this.p.notifier.status(this.status());
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
      binding: this.p.binding,
      runner: this.runner,
      events: this.events,
      filters: () => this.filters,
      metrics: () => this.metrics,
      monitored: (n) => this.monitored(n),
      watched: () => compileNamespaceMatcher(this.config.monitoring.namespaces),
      executor: () => privilegedSocket(this.p.env),
      startupTriggers: () => this.config.scripts.run_startup_triggers,
    });
    await this.namespaces.start();
  }

  status(): string {
    const { links, up } = this.wiring.counts();
    const b = this.p.follow.now();
    const how = b.auto ? " (auto)" : b.problem ? " (configured, not running)" : "";
    return `${links} link(s), ${up} ${this.wiring.upState}; backend ${b.backend}${how}`;
  }

  /** SIGHUP / `netevd reload`: a broken file keeps the running configuration. */
  reload(): LoadResult {
    const r = this.p.load();
    if (!r.config) {
      log.error("reload refused: the configuration is invalid; the running configuration stays", {
        MESSAGE_ID: MESSAGE_ID.reloadRefused,
      });
      return r;
    }
    const { backend, user } = this.config.system;
    if (r.config.system.backend !== backend || r.config.system.user !== user)
      log.warn("system.backend and system.user take effect at the next restart");
    const c = { ...r.config, system: { ...r.config.system, backend, user } };
    this.config = c;
    configureLogging({ level: c.system.log_level });
    this.filters = new EventFilters(c.filters);
    this.monitored = monitoredMatcher(c);
    this.runner.update(this.runnerOptions(c));
    this.policy.update(policySettings(c));
    void this.policy.schedule();
    grantScriptCapabilities(this.p.binding, c.scripts.ambient_capabilities, log);
    this.wiring.resync();
    void this.watchNamespaces();
    log.info("configuration reloaded", { MESSAGE_ID: MESSAGE_ID.reloaded });
    return r;
  }

  /** Ends running scripts' process groups; netevd's policy entries go unless keep_on_stop. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.api?.close();
    this.wiring.stop();
    this.namespaces?.close();
    await this.runner.stop();
    if (!this.p.dryRun && !this.config.routing.keep_on_stop) await this.policy.cleanup();
    else this.policy.close();
    this.metrics.close();
  }
}
