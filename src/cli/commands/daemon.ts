// Subcommands answered by the running daemon over the API socket.
import type { Command } from "commander";
import { contextOf, type Context, requireConfig } from "../context";
import { apiCall, apiStream } from "../daemon-client";
import { CliError, EXIT } from "../exit-codes";
import { type Column, renderData, renderTable } from "../output";

type Row = Record<string, unknown>;

const text = (v: unknown): string => {
  if (v === null || v === undefined) return "";
  if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return String(v);
  return JSON.stringify(v);
};
const col = (header: string, value: (r: Row) => unknown): Column<Row> => ({
  header,
  value: (r) => text(value(r)),
});

const TABLES: Record<string, Column<Row>[]> = {
  links: [
    col("name", (r) => r.name),
    col("index", (r) => r.index),
    col("state", (r) => r.state),
    col("operstate", (r) => r.operstate),
    col("addresses", (r) =>
      ((r.addresses ?? []) as { address: string; prefix_length: number; scope: string }[])
        .filter((a) => a.scope !== "link")
        .map((a) => `${a.address}/${a.prefix_length}`)
        .join(" "),
    ),
  ],
  routes: [
    col("table", (r) => r.table),
    col("dst", (r) => r.dst),
    col("gateway", (r) => r.gateway),
    col("dev", (r) => r.dev),
    col("family", (r) => r.family),
  ],
  rules: [
    col("priority", (r) => r.priority),
    col("from", (r) => r.from),
    col("to", (r) => r.to),
    col("table", (r) => r.table),
    col("family", (r) => r.family),
  ],
  events: [
    col("time", (r) => r.time),
    col("event", (r) => r.event),
    col("link", (r) => (r.link as Row | undefined)?.name),
    col("addresses", (r) => ((r.addresses ?? []) as { address: string }[]).map((a) => a.address).join(" ")),
  ],
};

/** One object as "key: value" lines (nested values as JSON). */
const keyValues = (o: Row) =>
  `${Object.entries(o)
    .map(([k, v]) => `${k}: ${text(v)}`)
    .join("\n")}\n`;

function show(ctx: Context, data: unknown, table?: Column<Row>[]): void {
  if (ctx.format !== "table") ctx.out(renderData(data, ctx.format));
  else if (Array.isArray(data)) ctx.out(renderTable(data as Row[], table ?? []));
  else ctx.out(keyValues(data as Row));
}

async function get(cmd: Command, what: string, path: string, table?: Column<Row>[]): Promise<void> {
  const ctx = contextOf(cmd);
  const { config } = requireConfig(ctx);
  const r = await apiCall(config.api.socket, what, "GET", path);
  if (r.status === 404) throw new CliError(`netevd ${what}: ${text((r.body as Row).error)}`, EXIT.FAILURE);
  if (r.status !== 200) throw new CliError(`netevd ${what}: the daemon answered ${r.status}`, EXIT.FAILURE);
  show(ctx, r.body, table);
}

export function registerDaemonCommands(program: Command, list: Command): void {
  program
    .command("status")
    .description("the daemon's state: backend, links, scripts, policy routing")
    .action((_o, cmd: Command) => get(cmd, "status", "/v1/status"));
  for (const [name, description] of [
    ["links", "links the daemon watches, with their states"],
    ["routes", "routes netevd manages (policy routing)"],
    ["rules", "policy rules netevd manages"],
  ] as const) {
    list
      .command(name)
      .description(description)
      .action((_o, cmd: Command) => get(cmd, `list ${name}`, `/v1/${name}`, TABLES[name]));
  }
  program
    .command("show")
    .description("details of one object")
    .command("link")
    .description("everything the daemon knows of one link")
    .argument("<name>", "link name")
    .action((name: string, _o, cmd: Command) =>
      get(cmd, "show link", `/v1/links/${encodeURIComponent(name)}`),
    );
  program
    .command("events")
    .description("recent events; --follow streams new ones")
    .option("--follow", "keep streaming events as they happen")
    .option("--link <name>", "only this link's events")
    .option("--event <name>", "only events of this name")
    .action(async (o: { follow?: boolean; link?: string; event?: string }, cmd: Command) => {
      const q = new URLSearchParams();
      if (o.link) q.set("link", o.link);
      if (o.event) q.set("event", o.event);
      if (!o.follow) return get(cmd, "events", `/v1/events?${q.toString()}`, TABLES.events);
      const ctx = contextOf(cmd);
      const { config } = requireConfig(ctx);
      q.set("follow", "1");
      const columns = TABLES.events ?? [];
      await apiStream(config.api.socket, "events", `/v1/events?${q.toString()}`, (line) => {
        // A stream is one JSON object per line in every format but table.
        if (ctx.format === "table")
          ctx.out(renderTable([JSON.parse(line) as Row], columns).split("\n")[1] + "\n");
        else ctx.out(`${line}\n`);
      });
    });
  program
    .command("reload")
    .description(
      "re-read the configuration in the running daemon (like SIGHUP); an invalid file is reported, the old one kept",
    )
    .action(async (_o, cmd: Command) => {
      const ctx = contextOf(cmd);
      const { config } = requireConfig(ctx);
      const r = await apiCall(config.api.socket, "reload", "POST", "/v1/reload");
      const body = r.body as { ok: boolean; errors: string[]; warnings: string[] };
      for (const w of body.warnings ?? []) ctx.err(`${w}\n`);
      if (!body.ok) {
        for (const e of body.errors ?? []) ctx.err(`${e}\n`);
        throw new CliError(
          "netevd reload: the configuration is invalid; the daemon keeps the running one",
          EXIT.CONFIG,
        );
      }
      ctx.out("configuration reloaded\n");
    });
}
