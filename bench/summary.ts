// After `npm run bench`: the figures netevd has targets for, side by side,
// from what this run's benchmark files wrote (dist/bench-*.json). A file not
// written by this run (a benchmark skipped: no peers, no container) gives "—".
// Printed as a table and written to dist/bench-summary.json.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { SHIPPED_NODE_OPTIONS, writeResults } from "./stats";

interface Median {
  scenario: string;
  subject: string;
  summary: { median: number };
}
type Rows = { scenario: string; measure: string; value: number }[];

const dist = join(__dirname, "..", "dist");

export interface TargetRow {
  what: string;
  measured: string;
  target: string;
  met: boolean | null;
}

/** A results file written since `since` (ms), or undefined. */
function results<T>(name: string, since: number): T | undefined {
  const file = join(dist, name);
  if (!existsSync(file)) return undefined;
  const data = JSON.parse(readFileSync(file, "utf8")) as T & { date: string };
  return Date.parse(data.date) >= since ? data : undefined;
}

const ms = (n: number) => `${n >= 0 ? "+" : ""}${n.toFixed(1)} ms`;

export function targetRows(since: number): TargetRow[] {
  const out: TargetRow[] = [];
  const none = (what: string, target: string) => out.push({ what, measured: "—", target, met: null });

  const scale = results<{ rows: Rows; latency: Median[] }>("bench-scale.json", since);
  const value = (scenario: string, measure: string) =>
    scale?.rows.find((r) => r.scenario === scenario && r.measure === measure)?.value;
  const bare = value("idle RSS", `bare Node ${SHIPPED_NODE_OPTIONS}`);
  for (const subject of ["executable", "node dist"]) {
    const rss = value("idle RSS", `netevd (${subject}), ${SHIPPED_NODE_OPTIONS}`);
    const what = `idle RSS, unit's flags, netevd (${subject}) / bare Node`;
    if (rss === undefined || bare === undefined) none(what, "≤ 1.3×");
    else
      out.push({
        what,
        measured: `${rss.toFixed(1)} / ${bare.toFixed(1)} MB = ${(rss / bare).toFixed(2)}×`,
        target: "≤ 1.3×",
        met: rss / bare <= 1.3,
      });
  }
  const median = (rows: Median[] | undefined, scenario: string, subject: string) =>
    rows?.find((r) => r.scenario === scenario && r.subject === subject)?.summary.median;
  const addr = "ip addr add → routable.d";
  const floor = median(scale?.latency, addr, "ip monitor | while read; sh hook");
  const kernel = median(scale?.latency, addr, "netevd, 10 pairs");
  const kernelWhat = "ip addr add → hook, netevd (10 pairs) over `ip monitor | while read; sh hook`";
  if (floor === undefined || kernel === undefined) none(kernelWhat, "≤ +0.7 ms");
  else
    out.push({
      what: kernelWhat,
      measured: ms(kernel - floor),
      target: "≤ +0.7 ms",
      met: kernel - floor <= 0.7,
    });

  const latency = results<{ results: Median[] }>("bench-results.json", since)?.results;
  const up = "networkd peer up";
  const signal = median(latency, up, "PropertiesChanged routable (floor)");
  const own = median(latency, up, "netevd routable.d");
  const style = median(latency, up, "netevd running networkd-dispatcher's routable.d");
  const json = median(latency, up, "netevd running networkd-dispatcher's routable.d that reads $json");
  const ndd = median(latency, up, "networkd-dispatcher routable.d");
  const peer = "networkd peer up → routable.d over PropertiesChanged";
  if (signal === undefined || own === undefined) none(`${peer}: netevd`, "≤ +10 ms");
  else
    out.push({
      what: `${peer}: netevd`,
      measured: ms(own - signal),
      target: "≤ +10 ms",
      met: own - signal <= 10,
    });
  if (signal === undefined || ndd === undefined) none(`${peer}: networkd-dispatcher`, "");
  else out.push({ what: `${peer}: networkd-dispatcher`, measured: ms(ndd - signal), target: "", met: null });
  for (const [what, v] of [
    [`${peer}: netevd, networkd-dispatcher style`, style],
    [`${peer}: netevd, networkd-dispatcher style, hook reads $json`, json],
  ] as const) {
    const target = "≤ ½ networkd-dispatcher's";
    if (signal === undefined || ndd === undefined || v === undefined) none(what, target);
    else
      out.push({
        what,
        measured: `${ms(v - signal)} (½ networkd-dispatcher's: ${ms((ndd - signal) / 2)})`,
        target,
        met: v - signal <= (ndd - signal) / 2,
      });
  }

  // Not netevd's: what any hook reading $json waits for, measured alone.
  const networkctl = median(latency, up, "networkctl status, alone (what $json is built from)");
  if (networkctl !== undefined)
    out.push({
      what: "networkctl status alone, which $json is built from",
      measured: `${networkctl.toFixed(1)} ms`,
      target: "",
      met: null,
    });

  const priv = results<{ rows: Median[] }>("bench-privileged.json", since)?.rows;
  const plain = median(priv, "hook run (exit 0)", "unprivileged (netevd's user)");
  const root = median(priv, "hook run (exit 0)", "privileged (transient unit)");
  const privWhat = "privileged hook over an unprivileged one (container)";
  if (plain === undefined || root === undefined) none(privWhat, "≤ +10 ms");
  else out.push({ what: privWhat, measured: ms(root - plain), target: "≤ +10 ms", met: root - plain <= 10 });
  return out;
}

/** vitest globalSetup: note when the run started, print the targets when it ends. */
export default function setup(): () => void {
  const since = Date.now();
  return () => {
    const rows = targetRows(since);
    const w = [0, 1, 2].map((i) =>
      Math.max(...rows.map((r) => [r.what, r.measured, r.target][i]?.length ?? 0), 8),
    );
    const line = (c: string[]) => c.map((x, i) => x.padEnd(w[i] ?? 0)).join("  ");
    console.log(
      `\ntargets, this run\n${line(["what", "measured", "target"])}  met\n${rows
        .map((r) => `${line([r.what, r.measured, r.target])}  ${r.met === null ? "" : r.met ? "yes" : "NO"}`)
        .join("\n")}\n`,
    );
    writeResults("bench-summary.json", { rows });
  };
}
