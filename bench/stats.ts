// Summaries of latency samples (milliseconds), and the results file.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface Summary {
  n: number;
  median: number;
  p90: number;
  min: number;
  max: number;
}

export function summarize(samples: number[]): Summary {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? NaN;
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    n: s.length,
    median: round(at(0.5)),
    p90: round(at(0.9)),
    min: round(s[0] ?? NaN),
    max: round(s.at(-1) ?? NaN),
  };
}

/** Wall-clock time in milliseconds with sub-millisecond resolution (CLOCK_REALTIME, as `date +%s.%N`). */
const anchorWall = Date.now();
const anchorHr = process.hrtime.bigint();
export function nowMs(): number {
  return anchorWall + Number(process.hrtime.bigint() - anchorHr) / 1e6;
}

export function table(rows: { scenario: string; subject: string; summary: Summary }[]): string {
  const head = ["scenario", "subject", "n", "median ms", "p90 ms", "min ms", "max ms"];
  const body = rows.map((r) => [
    r.scenario,
    r.subject,
    String(r.summary.n),
    ...[r.summary.median, r.summary.p90, r.summary.min, r.summary.max].map((x) => x.toFixed(1)),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ");
  return [line(head), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}

/** Writes dist/NAME with the date and kernel added, and says where. */
export function writeResults(name: string, data: Record<string, unknown>): void {
  const dir = join(__dirname, "..", "dist");
  mkdirSync(dir, { recursive: true });
  const kernel = execFileSync("uname", ["-r"], { encoding: "utf8" }).trim();
  const file = join(dir, name);
  writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), kernel, ...data }, null, 2)}\n`);
  console.log(`written: ${file}`);
}

/** The Node flags netevd.service runs the daemon with (read from the unit, so they cannot drift). */
export const SHIPPED_NODE_OPTIONS =
  /^Environment="NODE_OPTIONS=([^"]*)"$/m.exec(
    readFileSync(join(__dirname, "..", "systemd", "netevd.service"), "utf8"),
  )?.[1] ?? "--jitless";

export { rssMb } from "../test/helpers/proc";
