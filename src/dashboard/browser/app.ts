// The dashboard's browser code: tables of links, policy rules and routes from
// the control API, and events and script runs from its live stream. Values
// from the daemon (a link name can hold anything) only ever go in as
// textContent. Bundled by scripts/build-dashboard.mjs; served as /app.js.
import type { EventBody, LinkBody, RouteBody, RuleBody, RunBody, StatusBody } from "../../api/types";

const MAX_ROWS = 100;

/** What a table cell shows: values from the API are strings, numbers, booleans or null. */
type Cell = [text: string | number | boolean | null | undefined, cls?: string];
type Column<T> = (item: T) => Cell;

function tbody(id: string): HTMLTableSectionElement {
  const body = document.querySelector<HTMLTableSectionElement>(`#${id} tbody`);
  if (!body) throw new Error(`no table #${id}`);
  return body;
}

function row<T>(item: T, columns: Column<T>[]): HTMLTableRowElement {
  const tr = document.createElement("tr");
  for (const c of columns) {
    const [text, cls] = c(item);
    const td = document.createElement("td");
    td.textContent = text === null || text === undefined ? "" : String(text);
    if (cls) td.className = cls;
    tr.appendChild(td);
  }
  return tr;
}

function fill<T>(id: string, items: T[], columns: Column<T>[], key?: (item: T) => string): void {
  tbody(id).replaceChildren(
    ...items.map((item) => {
      const tr = row(item, columns);
      if (key) tr.dataset.key = key(item);
      return tr;
    }),
  );
}

function prepend<T>(id: string, item: T, columns: Column<T>[]): void {
  const body = tbody(id);
  body.prepend(row(item, columns));
  while (body.rows.length > MAX_ROWS) body.deleteRow(-1);
}

const time = (iso: string | undefined): string => (iso ? new Date(iso).toLocaleTimeString() : "");
const addresses = (list: LinkBody["addresses"]): string =>
  list
    .filter((a) => a.scope !== "link")
    .map((a) => `${a.address}/${a.prefix_length}`)
    .join(" ");

const LINK_COLUMNS: Column<LinkBody>[] = [
  (l) => [l.name],
  (l) => [l.index],
  (l) => [l.state, `state-${l.state}`],
  (l) => [l.operstate],
  (l) => [l.carrier === null ? "" : l.carrier ? "yes" : "no"],
  (l) => [l.kind],
  (l) => [addresses(l.addresses)],
  (l) => [l.gateway],
];
const RULE_COLUMNS: Column<RuleBody>[] = [
  (r) => [r.priority],
  (r) => [r.from],
  (r) => [r.to],
  (r) => [r.table],
];
const ROUTE_COLUMNS: Column<RouteBody>[] = [
  (r) => [r.table],
  (r) => [r.dst],
  (r) => [r.gateway],
  (r) => [r.dev],
];
const EVENT_COLUMNS: Column<EventBody>[] = [
  (e) => [time(e.time)],
  (e) => [e.link.name],
  (e) => [e.event],
  (e) => [e.state.operational, `state-${e.state.operational}`],
];
const RUN_COLUMNS: Column<RunBody>[] = [
  (r) => [time(r.time)],
  (r) => [r.link],
  (r) => [r.event],
  (r) => [r.script],
  (r) => [r.result, `result-${r.result}`],
  (r) => [r.exit_status],
  (r) => [r.duration_ms],
];

async function get<T>(name: string): Promise<T> {
  const res = await fetch(`/api/${name}`, { credentials: "same-origin" });
  if (!res.ok) throw new Error(`${name}: ${res.status}`);
  return (await res.json()) as T;
}

/** The numbers status names: the rest is the count keyed by the backend's up state (routable, activated). */
const NAMED_COUNTS = ["uptime_seconds", "links", "policy_rules", "policy_routes", "namespaces"];

function summary(s: StatusBody): string {
  const up = Object.keys(s).filter((k) => typeof s[k] === "number" && !NAMED_COUNTS.includes(k));
  return [
    `v${s.version}`,
    `backend ${s.backend} (${s.backend_mode})`,
    `${s.links} link(s)`,
    ...up.map((k) => `${String(s[k])} ${k}`),
    ...(s.ready ? [] : ["starting"]),
    ...(s.dry_run ? ["dry run"] : []),
    ...(s.backend_problem ? [`warning: ${s.backend_problem}`] : []),
  ].join(" · ");
}

function setText(id: string, text: string, cls?: string): void {
  const el = document.getElementById(id);
  if (!el) return;
  el.textContent = text;
  if (cls !== undefined) el.className = cls;
}

async function refresh(): Promise<void> {
  try {
    const [status, links, rules, routes] = await Promise.all([
      get<StatusBody>("status"),
      get<LinkBody[]>("links"),
      get<RuleBody[]>("rules"),
      get<RouteBody[]>("routes"),
    ]);
    setText("summary", summary(status));
    fill("links", links, LINK_COLUMNS, (l) => l.name);
    fill("rules", rules, RULE_COLUMNS);
    fill("routes", routes, ROUTE_COLUMNS);
  } catch (err) {
    setText("summary", `the daemon is not reachable (${(err as Error).message})`);
  }
}

let pending: ReturnType<typeof setTimeout> | undefined;
function soon(): void {
  clearTimeout(pending);
  pending = setTimeout(() => void refresh(), 50);
}

function connect(): void {
  const source = new EventSource("/api/live");
  source.addEventListener("open", () => {
    setText("live", "live", "on");
    // The stream starts with the recent entries: show them afresh.
    tbody("events").replaceChildren();
    tbody("runs").replaceChildren();
    void refresh();
  });
  source.addEventListener("error", () => setText("live", "offline", "off"));
  source.addEventListener("event", (m) => {
    prepend("events", JSON.parse((m as MessageEvent<string>).data) as EventBody, EVENT_COLUMNS);
    soon();
  });
  source.addEventListener("run", (m) =>
    prepend("runs", JSON.parse((m as MessageEvent<string>).data) as RunBody, RUN_COLUMNS),
  );
}

void refresh();
connect();
