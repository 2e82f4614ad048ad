// Subcommands answered by the running daemon over the API socket.
import type { Command } from "commander";
import type {
  ErrorBody,
  EventBody,
  LinkBody,
  NamespaceBody,
  ReloadBody,
  RouteBody,
  RuleBody,
  RunBody,
  StatusBody,
} from "../../api/types";
import { contextOf, type Context, requireConfig } from "../context";
import { apiCall, type ApiReply, apiStream } from "../daemon-client";
import { lazy } from "../../util/lazy";
import { FatalError, EXIT } from "../../errors";
import { type Column, renderData, renderTable } from "../output";

const text = (v: unknown): string => {
  if (v === null || v === undefined) return "";
  if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return String(v);
  return JSON.stringify(v);
};

const LINK_COLUMNS: Column<LinkBody>[] = [
  { header: "name", value: (r) => r.name },
  { header: "index", value: (r) => r.index },
  { header: "state", value: (r) => r.state },
  { header: "operstate", value: (r) => r.operstate },
  {
    header: "addresses",
    value: (r) =>
      r.addresses
        .filter((a) => a.scope !== "link")
        .map((a) => `${a.address}/${a.prefix_length}`)
        .join(" "),
  },
];
const NAMESPACE_COLUMNS: Column<NamespaceBody>[] = [
  { header: "namespace", value: (r) => r.name },
  { header: "links", value: (r) => r.links },
  { header: "routable", value: (r) => r.routable },
];
const ROUTE_COLUMNS: Column<RouteBody>[] = [
  { header: "table", value: (r) => r.table },
  { header: "dst", value: (r) => r.dst },
  { header: "gateway", value: (r) => r.gateway },
  { header: "dev", value: (r) => r.dev },
  { header: "family", value: (r) => r.family },
];
const RULE_COLUMNS: Column<RuleBody>[] = [
  { header: "priority", value: (r) => r.priority },
  { header: "from", value: (r) => r.from },
  { header: "to", value: (r) => r.to },
  { header: "table", value: (r) => r.table },
  { header: "family", value: (r) => r.family },
];
const EVENT_COLUMNS: Column<EventBody>[] = [
  { header: "time", value: (r) => r.time },
  { header: "event", value: (r) => r.event },
  { header: "link", value: (r) => r.link.name },
  { header: "addresses", value: (r) => r.addresses.map((a) => a.address).join(" ") },
];

const RUN_COLUMNS: Column<RunBody>[] = [
  { header: "time", value: (r) => r.time },
  { header: "link", value: (r) => r.link },
  { header: "event", value: (r) => r.event },
  { header: "script", value: (r) => r.script },
  { header: "result", value: (r) => r.result },
  { header: "exit", value: (r) => r.exit_status },
  { header: "ms", value: (r) => r.duration_ms },
];

/** One object as "key: value" lines (nested values as JSON). */
const keyValues = (o: object) =>
  `${Object.entries(o)
    .map(([k, v]) => `${k}: ${text(v)}`)
    .join("\n")}\n`;

async function get<T extends object>(
  cmd: Command,
  what: string,
  path: string,
): Promise<{ ctx: Context; body: T }> {
  const ctx = contextOf(cmd);
  const r = await getFromDaemon<T>(ctx, what, path);
  if (r.status === 404) throw new FatalError(`netevd ${what}: ${(r.body as ErrorBody).error}`, EXIT.FAILURE);
  if (r.status !== 200) throw new FatalError(`netevd ${what}: the daemon answered ${r.status}`, EXIT.FAILURE);
  return { ctx, body: r.body as T };
}

// The YAML reader loads only when a command asks the daemon.
const apiSocket = lazy(() => require("../../config/api-socket") as typeof import("../../config/api-socket"));

/**
 * Asks the socket netevd.yaml names, read without the schema; when nothing
 * answers there, loads the whole configuration (its errors exit 78) and asks
 * the socket it names.
 */
async function getFromDaemon<T>(ctx: Context, what: string, path: string): Promise<ApiReply<T | ErrorBody>> {
  const quick = apiSocket().quickApiSocket(ctx.configPath, ctx.configExplicit);
  if (quick !== undefined) {
    try {
      return await apiCall<T | ErrorBody>(quick, what, "GET", path);
    } catch {
      // Not answering, or the file says more than the quick read can tell.
    }
  }
  const { config } = requireConfig(ctx);
  return apiCall<T | ErrorBody>(config.api.socket, what, "GET", path);
}

async function showOne(cmd: Command, what: string, path: string): Promise<void> {
  const { ctx, body } = await get<object>(cmd, what, path);
  ctx.out(ctx.format === "table" ? keyValues(body) : renderData(body, ctx.format));
}

async function showList<T>(cmd: Command, what: string, path: string, columns: Column<T>[]): Promise<void> {
  const { ctx, body } = await get<T[]>(cmd, what, path);
  ctx.out(ctx.format === "table" ? renderTable(body, columns) : renderData(body, ctx.format));
}

/** The path with the options that were given as its query (`?netns=…&link=…`). */
function withQuery(path: string, params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  return q.size ? `${path}?${q.toString()}` : path;
}

const NETNS_OPTION = "a watched network namespace's (monitoring.namespaces)";

export function registerDaemonCommands(program: Command, list: Command): void {
  program
    .command("status")
    .description("the daemon's state: backend, links, scripts, policy routing")
    .action(async (_o, cmd: Command) => {
      const { ctx, body } = await get<StatusBody>(cmd, "status", "/v1/status");
      ctx.out(ctx.format === "table" ? keyValues(body) : renderData(body, ctx.format));
      // Running, but the configured manager is not: the state is printed, and the exit status says so.
      if (body.backend_problem) throw new FatalError(`warning: ${body.backend_problem}`, EXIT.FAILURE);
    });
  list
    .command("links")
    .description("links the daemon watches, with their states")
    .option("--netns <name>", `the links of ${NETNS_OPTION}`)
    .action((o: { netns?: string }, cmd: Command) =>
      showList(cmd, "list links", withQuery("/v1/links", { netns: o.netns }), LINK_COLUMNS),
    );
  list
    .command("namespaces")
    .description("the other network namespaces watched, with their links")
    .action((_o, cmd: Command) => showList(cmd, "list namespaces", "/v1/namespaces", NAMESPACE_COLUMNS));
  list
    .command("routes")
    .description("routes netevd manages (policy routing)")
    .action((_o, cmd: Command) => showList(cmd, "list routes", "/v1/routes", ROUTE_COLUMNS));
  list
    .command("rules")
    .description("policy rules netevd manages")
    .action((_o, cmd: Command) => showList(cmd, "list rules", "/v1/rules", RULE_COLUMNS));
  list
    .command("runs")
    .description("the last script runs: result, exit status, duration")
    .option("--link <name>", "only this link's runs")
    .action((o: { link?: string }, cmd: Command) =>
      showList(cmd, "list runs", withQuery("/v1/runs", { link: o.link }), RUN_COLUMNS),
    );
  program
    .command("show")
    .description("details of one object")
    .command("link")
    .description("everything the daemon knows of one link")
    .argument("<name>", "link name")
    .option("--netns <name>", `the link of ${NETNS_OPTION}`)
    .action((name: string, o: { netns?: string }, cmd: Command) =>
      showOne(cmd, "show link", withQuery(`/v1/links/${encodeURIComponent(name)}`, { netns: o.netns })),
    );
  program
    .command("events")
    .description("recent events; --follow streams new ones")
    .option("--follow", "keep streaming events as they happen")
    .option("--link <name>", "only this link's events")
    .option("--event <name>", "only events of this name")
    .action(async (o: { follow?: boolean; link?: string; event?: string }, cmd: Command) => {
      const filter = { link: o.link, event: o.event };
      if (!o.follow) return showList(cmd, "events", withQuery("/v1/events", filter), EVENT_COLUMNS);
      const ctx = contextOf(cmd);
      const { config } = requireConfig(ctx);
      await apiStream(
        config.api.socket,
        "events",
        withQuery("/v1/events", { ...filter, follow: "1" }),
        (line) => {
          // A stream is one JSON object per line in every format but table.
          if (ctx.format === "table")
            ctx.out(renderTable([JSON.parse(line) as EventBody], EVENT_COLUMNS).split("\n")[1] + "\n");
          else ctx.out(`${line}\n`);
        },
      );
    });
  program
    .command("reload")
    .description(
      "re-read the configuration in the running daemon (like SIGHUP); an invalid file is reported, the old one kept",
    )
    .action(async (_o, cmd: Command) => {
      const ctx = contextOf(cmd);
      const { config } = requireConfig(ctx);
      const { body } = await apiCall<ReloadBody>(config.api.socket, "reload", "POST", "/v1/reload");
      for (const w of body.warnings ?? []) ctx.err(`${w}\n`);
      if (!body.ok) {
        for (const e of body.errors ?? []) ctx.err(`${e}\n`);
        throw new FatalError(
          "netevd reload: the configuration is invalid; the daemon keeps the running one",
          EXIT.CONFIG,
        );
      }
      ctx.out("configuration reloaded\n");
    });
}
