// The dashboard's page: plain HTML, CSS and browser JavaScript served by
// netevd itself, with nothing from the internet and no framework. Values from
// the daemon (link names can hold anything) only ever go in as textContent.

export const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>netevd</title>
<link rel="stylesheet" href="/app.css">
<script src="/app.js" defer></script>
</head>
<body>
<header>
  <h1>netevd</h1>
  <span id="summary">connecting…</span>
  <span id="live" class="off" title="live updates from the event stream">offline</span>
</header>
<main>
<section>
  <h2>Links</h2>
  <table id="links">
    <thead><tr><th>Link</th><th>Index</th><th>State</th><th>Oper</th><th>Carrier</th><th>Kind</th><th>Addresses</th><th>Gateway</th></tr></thead>
    <tbody></tbody>
  </table>
</section>
<section class="pair">
  <div>
    <h2>Policy rules</h2>
    <table id="rules">
      <thead><tr><th>Priority</th><th>From</th><th>To</th><th>Table</th></tr></thead>
      <tbody></tbody>
    </table>
  </div>
  <div>
    <h2>Policy routes</h2>
    <table id="routes">
      <thead><tr><th>Table</th><th>Destination</th><th>Gateway</th><th>Device</th></tr></thead>
      <tbody></tbody>
    </table>
  </div>
</section>
<section class="pair">
  <div>
    <h2>Recent events</h2>
    <table id="events">
      <thead><tr><th>Time</th><th>Link</th><th>Event</th><th>State</th></tr></thead>
      <tbody></tbody>
    </table>
  </div>
  <div>
    <h2>Script runs</h2>
    <table id="runs">
      <thead><tr><th>Time</th><th>Link</th><th>Event</th><th>Script</th><th>Result</th><th>Exit</th><th>ms</th></tr></thead>
      <tbody></tbody>
    </table>
  </div>
</section>
</main>
</body>
</html>
`;

export const APP_CSS = `:root { color-scheme: light dark; font-family: system-ui, sans-serif; font-size: 14px; }
body { margin: 0; }
header { display: flex; gap: 1.5em; align-items: baseline; padding: .6em 1em; border-bottom: 1px solid #8884; }
h1 { font-size: 1.3em; margin: 0; }
h2 { font-size: 1.05em; margin: 1.2em 0 .4em; }
main { padding: 0 1em 2em; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 2em; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .25em .6em .25em 0; border-bottom: 1px solid #8883; vertical-align: top; }
th { font-weight: 600; }
td { font-family: ui-monospace, monospace; }
#live { margin-left: auto; font-weight: 600; }
#live.on { color: #1a7f37; }
#live.off { color: #b42318; }
.state-routable, .result-success { color: #1a7f37; }
.state-degraded, .state-carrier, .result-timeout { color: #9a6700; }
.state-no-carrier, .state-off, .result-failure, .result-error { color: #b42318; }
`;

export const APP_JS = `"use strict";
const MAX_ROWS = 100;

function cell(row, text, cls) {
  const td = document.createElement("td");
  td.textContent = text === null || text === undefined ? "" : String(text);
  if (cls) td.className = cls;
  row.appendChild(td);
}

function fill(id, items, columns, key) {
  const body = document.querySelector("#" + id + " tbody");
  const rows = items.map((item) => {
    const tr = document.createElement("tr");
    if (key) tr.dataset.key = key(item);
    for (const c of columns) {
      const [text, cls] = c(item);
      cell(tr, text, cls);
    }
    return tr;
  });
  body.replaceChildren(...rows);
}

function prepend(id, item, columns) {
  const body = document.querySelector("#" + id + " tbody");
  const tr = document.createElement("tr");
  for (const c of columns) {
    const [text, cls] = c(item);
    cell(tr, text, cls);
  }
  body.prepend(tr);
  while (body.rows.length > MAX_ROWS) body.deleteRow(-1);
}

const time = (iso) => (iso ? new Date(iso).toLocaleTimeString() : "");
const addresses = (list) =>
  (list || []).filter((a) => a.scope !== "link").map((a) => a.address + "/" + a.prefix_length).join(" ");

const LINK_COLUMNS = [
  (l) => [l.name],
  (l) => [l.index],
  (l) => [l.state, "state-" + l.state],
  (l) => [l.operstate],
  (l) => [l.carrier === null ? "" : l.carrier ? "yes" : "no"],
  (l) => [l.kind],
  (l) => [addresses(l.addresses)],
  (l) => [l.gateway],
];
const RULE_COLUMNS = [(r) => [r.priority], (r) => [r.from], (r) => [r.to], (r) => [r.table]];
const ROUTE_COLUMNS = [(r) => [r.table], (r) => [r.dst], (r) => [r.gateway], (r) => [r.dev]];
const EVENT_COLUMNS = [
  (e) => [time(e.time)],
  (e) => [e.link && e.link.name],
  (e) => [e.event],
  (e) => [e.state && e.state.operational, "state-" + (e.state && e.state.operational)],
];
const RUN_COLUMNS = [
  (r) => [time(r.time)],
  (r) => [r.link],
  (r) => [r.event],
  (r) => [r.script],
  (r) => [r.result, "result-" + r.result],
  (r) => [r.exit_status],
  (r) => [r.duration_ms],
];

async function get(name) {
  const res = await fetch("/api/" + name, { credentials: "same-origin" });
  if (!res.ok) throw new Error(name + ": " + res.status);
  return res.json();
}

async function refresh() {
  try {
    const [status, links, rules, routes] = await Promise.all([get("status"), get("links"), get("rules"), get("routes")]);
    // The count keyed by the backend's up state (routable, activated) is the one number not named here.
    const up = Object.keys(status).filter((k) => typeof status[k] === "number" && !["uptime_seconds", "links", "policy_rules", "policy_routes", "namespaces"].includes(k));
    document.getElementById("summary").textContent =
      "v" + status.version + " · backend " + status.backend + " (" + status.backend_mode + ")" +
      " · " + status.links + " link(s)" +
      up.map((k) => " · " + status[k] + " " + k).join("") + (status.ready ? "" : " · starting") +
      (status.dry_run ? " · dry run" : "") +
      (status.backend_problem ? " · warning: " + status.backend_problem : "");
    fill("links", links, LINK_COLUMNS, (l) => l.name);
    fill("rules", rules, RULE_COLUMNS);
    fill("routes", routes, ROUTE_COLUMNS);
  } catch (err) {
    document.getElementById("summary").textContent = "the daemon is not reachable (" + err.message + ")";
  }
}

let pending;
function soon() {
  clearTimeout(pending);
  pending = setTimeout(refresh, 50);
}

function connect() {
  const live = document.getElementById("live");
  const source = new EventSource("/api/live");
  source.addEventListener("open", () => {
    live.textContent = "live";
    live.className = "on";
    // The stream starts with the recent entries: show them afresh.
    document.querySelector("#events tbody").replaceChildren();
    document.querySelector("#runs tbody").replaceChildren();
    refresh();
  });
  source.addEventListener("error", () => {
    live.textContent = "offline";
    live.className = "off";
  });
  source.addEventListener("event", (m) => {
    prepend("events", JSON.parse(m.data), EVENT_COLUMNS);
    soon();
  });
  source.addEventListener("run", (m) => prepend("runs", JSON.parse(m.data), RUN_COLUMNS));
}

refresh();
connect();
`;
