// `netevd run`: configuration → privileges → kernel state → link states →
// one ordered event stream per link → filters → scripts. READY=1 after the
// first full sync; SIGHUP reloads; SIGTERM ends scripts and exits 0. The
// daemon wires the parts together and runs their lifecycle; each link's state
// lives in its record (src/links), events are built and sent in dispatch.ts.
import type { ApiServer } from "../api/server";
import { type AuditEntry, AuditLog } from "../audit/audit-log";
import { formatDiagnostic } from "../config/diagnostic";
import { backendWhere, type LoadResult, loadConfigFile } from "../config/load";
import type { Config } from "../config/schema";
import { EXIT, FatalError } from "../errors";
import { EventFilters } from "../filters/apply";
import { KernelState } from "../kernel/state";
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
import { becomeDaemonUser } from "./privilege-drop";
import { BackendFollow, type BackendInUse } from "./backend-follow";
import { EventLog, RunLog } from "./event-log";
import { LinkWiring } from "./link-wiring";
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
  /** The links' states, events and the backend in use: replaced when `auto` follows a new manager. */
  private wiring!: LinkWiring;
  private follow!: BackendFollow;
  private policy: PolicyReconciler | undefined;
  private metrics: Metrics | undefined;
  private api: ApiServer | undefined;
  private auditLog: AuditLog | undefined;
  private namespaces: NamespaceWatch | undefined;
  private readonly events = new EventLog();
  private readonly runs = new RunLog();
  private readonly startedAt = Date.now();
  private readonly notifier: Notifier;
  private ready = false;
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
      binding: this.opts.binding,
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
    this.metrics = new Metrics(
      () => [
        ["", kernelSamples(k)],
        ...(this.namespaces?.all() ?? []).map((n) => [n.name, kernelSamples(n.kernel)] as [string, Sampled]),
      ],
      () => this.follow.now(),
    );
    if (r.rustStyle)
      warnSilenced(
        c,
        [...k.links.values()].map((l) => l.name),
      );
    this.follow = new BackendFollow({
      setting: c.system.backend,
      where: backendWhere(r),
      leaseFiles: c.backends.dhclient.lease_files,
      log: getLogger("backend"),
      onSwitch: (now) => void this.switchBackend(now),
    });
    const use = await this.follow.start();
    this.wiring = this.wire(use.backend);
    await this.wiring.start(!c.scripts.run_startup_triggers);
    k.onChange((change) => {
      if (this.policy?.affectedBy(change)) void this.policy.schedule();
      this.wiring.kernelChange(change);
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
      states: () => this.wiring.states,
      monitored: (n) => this.monitored(n),
      upState: () => this.wiring.upState,
      backend: () => this.follow.now(),
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

  /** The links' wiring for a backend: states, dispatcher, the manager's adapter or dhclient's leases. */
  private wire(backend: BackendInUse["backend"]): LinkWiring {
    return new LinkWiring({
      kernel: this.kernel,
      backend,
      leases: { config: () => this.config, dryRun: this.opts.dryRun, audit: this.audit },
      runner: this.runner,
      events: this.events,
      filters: () => this.filters,
      metrics: () => this.metrics,
      monitored: (n) => this.monitored(n),
    });
  }

  /**
   * `auto` found a new manager: the old wiring stops, the new one reads the
   * states as they are now (they run no scripts), and its changes are events.
   */
  private async switchBackend(now: BackendInUse): Promise<void> {
    if (this.stopping) return;
    const old = this.wiring;
    old.stop();
    this.wiring = this.wire(now.backend);
    await this.wiring.start(true);
    this.notifier.status(this.status());
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

  status(): string {
    const { links, up } = this.wiring.counts();
    const b = this.follow.now();
    const how = b.auto ? " (auto)" : b.problem ? " (configured, not running)" : "";
    return `${links} link(s), ${up} ${this.wiring.upState}; backend ${b.backend}${how}`;
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
    this.policy?.update(policySettings(this.config));
    void this.policy?.schedule();
    grantScriptCapabilities(this.opts.binding, this.config.scripts.ambient_capabilities, log);
    this.wiring.resync();
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
      this.follow?.stop();
      this.wiring?.stop();
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
