// Keeps the kernel's netevd-owned rules and routes (route protocol 177) equal
// to the desired policy: a diff, applied as the minimal set of deletes and
// adds, re-run whenever something relevant changes. Entries of any other
// protocol are never touched. EEXIST and ENOENT mean "already so".
import type { KernelState } from "../kernel/state";
import type { Logger } from "../log/logger";
import type { KernelChange } from "../kernel/tables";
import { AF_INET, RT_TABLE } from "../netlink/constants";
import { NetlinkError } from "../errors";
import { Coalesced } from "../util/coalesced";
import { type RouteSpec, routeDestination } from "../netlink/route";
import type { RuleSpec } from "../netlink/rule";
import { desiredPolicy, type PolicySettings, routeId, ruleId } from "./desired";
import { NETEVD_RTPROT, owned } from "../kernel/protocol";
import { MESSAGE_ID } from "../log/message-ids";

export interface Plan {
  deleteRules: RuleSpec[];
  deleteRoutes: RouteSpec[];
  addRoutes: RouteSpec[];
  addRules: RuleSpec[];
}

const isEmptyPlan = (p: Plan): boolean =>
  p.deleteRules.length + p.deleteRoutes.length + p.addRoutes.length + p.addRules.length === 0;

const fam = (f: number) => (f === AF_INET ? "" : "-6 ");

function describeRule(r: RuleSpec): string {
  const sel = r.src ? `from ${r.src}` : r.dst ? `to ${r.dst}` : "all";
  return `${fam(r.family)}rule ${sel} lookup ${r.table} priority ${r.priority}`;
}

function describeRoute(r: RouteSpec): string {
  return `${fam(r.family)}route ${routeDestination(r)}${r.gateway ? ` via ${r.gateway}` : ""} dev #${r.oif ?? "?"} table ${r.table}`;
}

/** The kernel's netevd-owned entries, as specs that delete exactly them. */
function ownedSpecs(kernel: KernelState): { rules: RuleSpec[]; routes: RouteSpec[] } {
  const t = kernel.tables;
  const rules = owned(t.rules.values()).map((r) => ({
    family: r.family,
    table: r.table,
    priority: r.priority ?? 0,
    src: r.src,
    srcLength: r.srcLength,
    dst: r.dst,
    dstLength: r.dstLength,
    protocol: NETEVD_RTPROT,
  }));
  const routes = owned(t.routes.values()).map((r) => ({
    family: r.family,
    table: r.table,
    protocol: NETEVD_RTPROT,
    scope: r.scope,
    type: r.type,
    dst: r.dst,
    dstLength: r.dstLength,
    gateway: r.gateway,
    oif: r.oif,
    priority: r.priority,
  }));
  return { rules, routes };
}

function planPolicy(
  kernel: KernelState,
  settings: PolicySettings | null,
): {
  plan: Plan;
  refused: ReturnType<typeof desiredPolicy>["refused"];
} {
  const want = settings
    ? desiredPolicy(kernel.tables, kernel.links.values(), settings)
    : { rules: [], routes: [], refused: [] };
  const have = ownedSpecs(kernel);
  const wantRules = new Map(want.rules.map((r) => [ruleId(r), r]));
  const wantRoutes = new Map(want.routes.map((r) => [routeId(r), r]));
  const haveRules = new Map(have.rules.map((r) => [ruleId(r), r]));
  const haveRoutes = new Map(have.routes.map((r) => [routeId(r), r]));
  return {
    plan: {
      deleteRules: [...haveRules].filter(([k]) => !wantRules.has(k)).map(([, r]) => r),
      deleteRoutes: [...haveRoutes].filter(([k]) => !wantRoutes.has(k)).map(([, r]) => r),
      addRoutes: [...wantRoutes].filter(([k]) => !haveRoutes.has(k)).map(([, r]) => r),
      addRules: [...wantRules].filter(([k]) => !haveRules.has(k)).map(([, r]) => r),
    },
    refused: want.refused,
  };
}

export interface ReconcilerOptions {
  kernel: KernelState;
  log: Logger;
  dryRun: boolean;
  /** Each change made (for the audit log and metrics). */
  onChange?: (action: "add" | "delete", what: "rule" | "route", text: string) => void;
}

const ALREADY = new Set(["EEXIST", "ENOENT", "ESRCH"]);

export class PolicyReconciler {
  private settings: PolicySettings | null = null;
  private readonly passes = new Coalesced(() => this.pass());
  private readonly refusedLogged = new Set<string>();
  /** Consecutive passes that changed something: a guard against fighting another agent. */
  private busyPasses = 0;

  constructor(private readonly opts: ReconcilerOptions) {}

  /** New settings (start, reload); null: no policy links (everything netevd owns goes). */
  update(settings: PolicySettings | null): void {
    this.settings = settings;
  }

  /**
   * Whether a kernel change can alter the plan: netevd's own entries always; with
   * policy links, also links, addresses and main-table default routes (gateways).
   * Everything else (most route traffic) costs no pass.
   */
  affectedBy(c: KernelChange): boolean {
    if (c.kind === "rule") return c.rule.protocol === NETEVD_RTPROT;
    if (c.kind === "route")
      return (
        c.route.protocol === NETEVD_RTPROT ||
        (this.settings !== null && c.route.table === RT_TABLE.MAIN && c.route.dstLength === 0)
      );
    return this.settings !== null;
  }

  private unsubscribe: (() => void) | undefined;

  /** From now on every kernel change that can alter the plan schedules a pass. */
  followKernel(): void {
    this.unsubscribe ??= this.opts.kernel.onChange((c) => {
      if (this.affectedBy(c)) void this.schedule();
    });
  }

  /** Coalesced: at most one pass runs, and one more follows if asked during it. */
  schedule(): Promise<void> {
    return this.passes.run();
  }

  private async pass(): Promise<void> {
    const { plan, refused } = planPolicy(this.opts.kernel, this.settings);
    for (const r of refused) {
      const key = `${r.link}|${r.table}`;
      if (this.refusedLogged.has(key)) continue;
      this.refusedLogged.add(key);
      this.opts.log.error(`routing.table_base: link ${r.link}: ${r.reason}; no policy routing for it`);
    }
    if (isEmptyPlan(plan)) {
      this.busyPasses = 0;
      return;
    }
    if (this.opts.dryRun) {
      for (const line of planLines(plan)) this.opts.log.info(`dry run: would ${line}`);
      return;
    }
    if (++this.busyPasses > 5) {
      // Something keeps undoing our changes (or we misread the kernel): do not spin.
      this.opts.log.error("policy routing: the kernel keeps differing from the plan; pausing for 5 s");
      await new Promise((r) => setTimeout(r, 5000));
      this.busyPasses = 0;
    }
    await this.apply(plan);
  }

  /** Deletes first (rules, then routes), then adds (routes, then rules: no rule points to an empty table). */
  private async apply(plan: Plan): Promise<void> {
    const k = this.opts.kernel;
    const steps: (readonly [string, "add" | "delete", "rule" | "route", () => Promise<void>])[] = [
      ...plan.deleteRules.map((r) => [describeRule(r), "delete", "rule", () => k.deleteRule(r)] as const),
      ...plan.deleteRoutes.map((r) => [describeRoute(r), "delete", "route", () => k.deleteRoute(r)] as const),
      ...plan.addRoutes.map((r) => [describeRoute(r), "add", "route", () => k.addRoute(r, true)] as const),
      ...plan.addRules.map((r) => [describeRule(r), "add", "rule", () => k.addRule(r)] as const),
    ];
    for (const [text, action, what, run] of steps) {
      try {
        await run();
        this.opts.log.info(`policy routing: ${action === "add" ? "added" : "removed"} ${text}`, {
          MESSAGE_ID: MESSAGE_ID.policyChanged,
        });
        this.opts.onChange?.(action, what, text);
      } catch (err) {
        if (err instanceof NetlinkError && ALREADY.has(err.code)) continue;
        this.opts.log.error(`policy routing: ${action} ${text} failed: ${(err as Error).message}`);
      }
    }
  }

  /** Stops following the kernel (the daemon stops). */
  close(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** On stop: everything netevd owns goes (unless keep_on_stop). */
  async cleanup(): Promise<void> {
    this.close();
    await this.passes.current;
    this.settings = null;
    await this.pass();
  }
}

function planLines(plan: Plan): string[] {
  return [
    ...plan.deleteRules.map((r) => `delete ${describeRule(r)}`),
    ...plan.deleteRoutes.map((r) => `delete ${describeRoute(r)}`),
    ...plan.addRoutes.map((r) => `add ${describeRoute(r)}`),
    ...plan.addRules.map((r) => `add ${describeRule(r)}`),
  ];
}
