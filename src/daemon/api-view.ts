// What the control API shows of the running daemon: built from the kernel's
// tables, the link tracker and the backend's values, never from a copy.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { ApiHandlers } from "../api/server";
import type { Family, LinkBody } from "../api/types";
import type { Config } from "../config/schema";
import { ALL_EVENTS } from "../events/names";
import type { KernelState } from "../kernel/state";
import type { Metrics } from "../metrics/metrics";
import { AF_INET } from "../netlink/constants";
import { owned as ownedEntries } from "../kernel/protocol";
import { defaultGateway, linkAddresses } from "../kernel/queries";
import { addressInfo } from "../events/from-kernel";
import { routeDestination } from "../netlink/route";
import { discoverScripts } from "../scripts/discover";
import { VERSION } from "../version";
import type { EventLog, RunLog } from "./event-log";
import type { LinkStates } from "../links/link-states";
import type { NamespaceLinks } from "./namespace-links";
import type { BackendInUse } from "./backend-follow";

export interface DaemonView {
  config: () => Config;
  configPath: string;
  dryRun: boolean;
  startedAt: number;
  ready: () => boolean;
  kernel: KernelState;
  /** The links' states under the backend in use (replaced when `auto` follows a new manager). */
  states: () => LinkStates;
  monitored: (name: string) => boolean;
  upState: () => string;
  backend: () => BackendInUse;
  events: EventLog;
  runs: RunLog;
  metrics: Metrics;
  reload: ApiHandlers["reload"];
  /** The other namespaces watched now (monitoring.namespaces). */
  namespaces: () => NamespaceLinks[];
}

const family = (f: number): Family => (f === AF_INET ? "ipv4" : "ipv6");

export function apiHandlers(v: DaemonView): ApiHandlers {
  const k = v.kernel;
  type Where = { kernel: KernelState; states: LinkStates; name: string | null };
  const own = (): Where => ({ kernel: k, states: v.states(), name: null });
  const where = (netns: string | undefined): Where | undefined =>
    netns === undefined || netns === "" ? own() : v.namespaces().find((n) => n.name === netns);
  const linkView = (index: number, w: Where = own()): LinkBody | undefined => {
    const k = w.kernel;
    const l = k.links.get(index);
    if (!l) return undefined;
    const rec = w.states.get(index);
    return {
      name: l.name,
      index: l.index,
      netns: w.name,
      state: rec?.state ?? null,
      monitored: v.monitored(l.name),
      // Another namespace's links: the kernel's states, whatever netevd's backend.
      backend: w.name === null ? v.backend().backend : "none",
      backend_mode: w.name === null && v.backend().auto ? "auto" : "configured",
      operstate: l.operstate,
      carrier: l.carrier,
      kind: l.kind,
      mac: l.mac,
      mtu: l.mtu,
      addresses: linkAddresses(k.tables, index).map(addressInfo),
      gateway: defaultGateway(k.tables, index, AF_INET),
      manager: rec?.manager ?? null,
    };
  };
  const owned = {
    routes: () =>
      ownedEntries(k.routes.values()).map((r) => ({
        family: family(r.family),
        table: r.table,
        dst: routeDestination(r),
        gateway: r.gateway,
        dev: r.oif === null ? null : (k.links.get(r.oif)?.name ?? r.oif),
      })),
    rules: () =>
      ownedEntries(k.rules.values())
        .map((r) => ({
          family: family(r.family),
          priority: r.priority,
          from: r.src,
          to: r.dst,
          table: r.table,
        }))
        .sort((a, b) => (a.priority ?? 0) - (b.priority ?? 0)),
  };
  return {
    status: () => {
      const states = v.states().tracked();
      const up = v.upState();
      const b = v.backend();
      return {
        version: VERSION,
        backend: b.backend,
        backend_mode: b.auto ? "auto" : "configured",
        backend_reason: b.reason,
        backend_problem: b.problem,
        state: b.problem ? "warning" : v.ready() ? "running" : "starting",
        ready: v.ready(),
        dry_run: v.dryRun,
        config: v.configPath,
        uptime_seconds: Math.round((Date.now() - v.startedAt) / 1000),
        links: states.length,
        [up]: states.filter((s) => s.state === up).length,
        policy_rules: owned.rules().length,
        policy_routes: owned.routes().length,
        namespaces: v.namespaces().length,
      };
    },
    links: (netns) => {
      const w = where(netns);
      if (!w) return undefined;
      return [...w.kernel.links.keys()]
        .sort((a, b) => a - b)
        .map((i) => linkView(i, w))
        .filter((l) => l !== undefined);
    },
    link: (name, netns) => {
      const w = where(netns);
      const l = w && [...w.kernel.links.values()].find((x) => x.name === name);
      return l ? linkView(l.index, w) : undefined;
    },
    namespaces: () =>
      v
        .namespaces()
        .map((n) => ({
          name: n.name,
          links: n.kernel.links.size,
          routable: n.states.tracked().filter((l) => l.state === "routable").length,
        }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    routes: owned.routes,
    rules: owned.rules,
    scripts: () => {
      const dir = v.config().scripts.dir;
      return ALL_EVENTS.filter((e) => existsSync(join(dir, `${e}.d`))).map((e) => {
        const d = discoverScripts(join(dir, `${e}.d`));
        return {
          event: e,
          scripts: d.scripts.map((s) => s.name),
          skipped: d.skipped.map((s) => ({ name: s.name, rule: s.rule, detail: s.detail })),
          ignored: d.ignored,
        };
      });
    },
    recentEvents: (f) => v.events.list(f),
    subscribe: (f, send) => v.events.subscribe(f, send),
    recentRuns: (f) => v.runs.list(f),
    subscribeRuns: (f, send) => v.runs.subscribe(f, send),
    reload: v.reload,
    metrics: async () => ({ contentType: v.metrics.contentType, text: await v.metrics.text() }),
  };
}
