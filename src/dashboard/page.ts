// The dashboard's page: plain HTML and CSS served by netevd itself, with
// nothing from the internet and no framework. Its browser code is
// browser/app.ts, bundled at build time (app-script).

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
