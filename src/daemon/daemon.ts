// `netevd run`: configuration → privileges → kernel state → link states →
// one ordered event stream per link → filters → scripts. READY=1 after the
// first full sync; SIGHUP reloads; SIGTERM ends scripts and exits 0. start()
// makes the parts in order and hands them to a DaemonCore (daemon-core.ts),
// which wires them and runs them; each link's state lives in its record
// (src/links), events are built and sent in dispatch.ts.
import { backendWhere, formatDiagnostic } from "../config/diagnostic";
import type { LoadResult } from "../config/load";
import { silencedLinks } from "../config/monitoring";
import type { Config } from "../config/schema";
import { EXIT, FatalError } from "../errors";
import { KernelState } from "../kernel/state";
import { configureLogging, getLogger } from "../log/logger";
import { MESSAGE_ID } from "../log/message-ids";
import type { NativeBinding } from "../native/binding";
import { describeKillScope, detectKillScope } from "../scripts/cgroup";
import { Notifier } from "../system/sd-notify";
import { collectGarbage, releasing } from "../util/release-modules";
import { BackendFollow, type Follow, type OnSwitch } from "./backend-follow";
import { DaemonCore } from "./daemon-core";
import type { AdapterFactory } from "./link-wiring";
import { becomeDaemonUser } from "./privilege-drop";

const log = getLogger("daemon");

export interface DaemonOptions {
  configPath: string;
  configExplicit: boolean;
  dryRun: boolean;
  binding: NativeBinding;
  env?: NodeJS.ProcessEnv;
  /** The in-process tests' seams; absent in the product. */
  seams?: DaemonSeams;
}

/** Where the in-process tests stand in for D-Bus: the manager's adapter, and which manager runs. */
interface DaemonSeams {
  /** Makes the backend's adapter (the D-Bus one by default): tests capture its BackendSink. */
  adapter?: AdapterFactory;
  /** Which backend is in use and when it changes (by default watched on the system bus). */
  follow?: (onSwitch: OnSwitch) => Follow;
  /** Reads netevd.yaml (by default through a require the daemon lets go of after, which vitest's TypeScript cannot serve). */
  loadConfig?: (path: string, explicit: boolean) => LoadResult;
}

export class Daemon {
  private readonly notifier: Notifier;
  /** The running parts, once start() has made them all. */
  private core: DaemonCore | undefined;
  /** What start() made before the core existed: closed by stop() if start() failed half-way. */
  private readonly early: (() => void)[] = [];
  private stopping: Promise<void> | undefined;

  constructor(private readonly opts: DaemonOptions) {
    this.notifier = new Notifier(opts.binding, getLogger("sd-notify"), opts.env);
  }

  async start(): Promise<void> {
    const r = loadLogged(this.opts.configPath, this.opts.configExplicit, this.opts.seams?.loadConfig);
    if (!r.config) throw new FatalError(`${this.opts.configPath}: configuration is invalid`, EXIT.CONFIG);
    const c = r.config;
    configureLogging({ level: c.system.log_level });
    becomeDaemonUser(this.opts.binding, c, this.opts.dryRun);
    // After the drop: a delegated cgroup belongs to the user netevd runs as.
    const killScope = detectKillScope();
    // Without a cgroup, a hook's children that leave its group are adopted here, to be found and reaped.
    if (killScope.kind === "process-group") this.opts.binding.setChildSubreaper();
    log.info(`scripts: ${describeKillScope(killScope)}`);
    const kernel = new KernelState(this.opts.binding, { log: getLogger("kernel") });
    this.early.push(() => kernel.close());
    try {
      await kernel.start();
    } catch (err) {
      throw new FatalError(`cannot read the kernel's network state: ${(err as Error).message}`, EXIT.FAILURE);
    }
    if (r.rustStyle)
      warnSilenced(
        c,
        [...kernel.links.values()].map((l) => l.name),
      );
    // Switches come only once the core exists to take them.
    const onSwitch: OnSwitch = (now) => void this.core?.switchBackend(now);
    const follow =
      this.opts.seams?.follow?.(onSwitch) ??
      new BackendFollow({
        setting: c.system.backend,
        where: backendWhere(r),
        leaseFiles: c.backends.dhclient.lease_files,
        log: getLogger("backend"),
        onSwitch,
      });
    this.early.push(() => follow.stop());
    await follow.start();
    this.core = new DaemonCore({
      ...this.opts,
      config: c,
      kernel,
      follow,
      killScope,
      notifier: this.notifier,
      load: () => loadLogged(this.opts.configPath, this.opts.configExplicit, this.opts.seams?.loadConfig),
      ...(this.opts.seams?.adapter ? { adapter: this.opts.seams.adapter } : {}),
    });
    await this.core.start();
    log.info(`ready: ${this.core.status()}${this.opts.dryRun ? ", dry run" : ""}`, {
      MESSAGE_ID: MESSAGE_ID.ready,
    });
    this.notifier.ready(this.core.status());
    this.notifier.startWatchdog(() => this.stopping === undefined);
    setImmediate(collectGarbage);
  }

  status(): string {
    return this.core?.status() ?? "starting";
  }

  /** SIGHUP / `netevd reload`: a broken file keeps the running configuration. */
  reload(): LoadResult | undefined {
    const r = this.core?.reload();
    if (r?.config) this.notifier.status(this.status());
    setImmediate(collectGarbage);
    return r;
  }

  /** Ends running scripts' process groups, closes the kernel sockets. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.notifier.stopping();
      this.notifier.stopWatchdog();
      await this.core?.stop();
      for (const close of this.early.reverse()) close();
      log.info("stopped");
    })();
    return this.stopping;
  }
}

/** netevd.yaml read and checked; the schema and the parsers it took are let go after. */
function loadLogged(path: string, explicit: boolean, load?: DaemonSeams["loadConfig"]): LoadResult {
  const r = load
    ? load(path, explicit)
    : releasing(() =>
        (require("../config/load") as typeof import("../config/load")).loadConfigFile(path, explicit),
      );
  for (const d of r.diagnostics) log.log(d.severity === "error" ? "error" : "warn", formatDiagnostic(d));
  return r;
}

/** A Rust netevd configuration carried over: say which links it served that netevd will not. */
function warnSilenced(c: Config, present: string[]): void {
  const silenced = silencedLinks(c, present);
  if (silenced.length)
    log.warn(
      `monitoring.interfaces leaves out ${silenced.join(", ")}: the Rust netevd ignored that key and ran scripts for every link; add them, or remove the key, to keep that`,
    );
}
