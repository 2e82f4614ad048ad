// Memory under a burst: the daemon's RSS before, at its peak and after a
// burst on one link with a hook, under the unit's Node flags. Side by side:
//  1. 4,000 addresses added at once (`ip -batch`) with a routable.d hook;
//  2. 50,000 route changes with a routes.d hook.
// Also how many hooks ran and how many events were discarded (coalesced into a
// later one, or past the link's queue bound). Nothing here asserts a number.
// Writes dist/bench-bursts.json.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, it } from "vitest";
import { apiConfig, startDaemon } from "../test/helpers/daemon";
import { httpGet } from "../test/helpers/http";
import { createNetns, ip, veth } from "../test/helpers/netns";
import { rssMb, waitFor } from "../test/helpers/proc";
import { tempDir } from "../test/helpers/tmp";
import { outDir, timeHook, times } from "./hooks";
import { nowMs, SHIPPED_NODE_OPTIONS, writeResults } from "./stats";

type Row = { scenario: string; measure: string; value: number; unit: string };
const rows: Row[] = [];
const row = (scenario: string, measure: string, value: number, unit: string) =>
  rows.push({ scenario, measure, value: Math.round(value * 100) / 100, unit });

const peakMb = (pid: number): number =>
  Number(/^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
/** Starts the peak RSS (VmHWM) afresh: writing 5 to clear_refs resets it. */
const resetPeak = (pid: number) => writeFileSync(`/proc/${pid}/clear_refs`, "5");
const cpuTicks = (pid: number): number => {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return Number(f[11]) + Number(f[12]);
};

async function metrics(socket: string): Promise<(prefix: string) => number> {
  const { text } = await httpGet({ socketPath: socket }, "/metrics");
  const lines = text.split("\n").filter((l) => l && !l.startsWith("#"));
  // The sum of every series whose name and labels start with `prefix`.
  return (prefix) =>
    lines
      .filter((l) => l.startsWith(prefix))
      .reduce((s, l) => s + Number(l.slice(l.lastIndexOf(" ") + 1)), 0);
}

/** The daemon has read everything and run what it would: its CPU clock stood still for a second. */
async function settled(pid: number): Promise<void> {
  const end = Date.now() + 900_000;
  let last = -1;
  let still = 0;
  while (still < 5 && Date.now() < end) {
    const c = cpuTicks(pid);
    still = c === last ? still + 1 : 0;
    last = c;
    await new Promise((r) => setTimeout(r, 200));
  }
}

afterAll(() => {
  const w = Math.max(...rows.map((r) => `${r.scenario}: ${r.measure}`.length));
  console.log(rows.map((r) => `${`${r.scenario}: ${r.measure}`.padEnd(w)}  ${r.value} ${r.unit}`).join("\n"));
  writeResults("bench-bursts.json", { flags: SHIPPED_NODE_OPTIONS, rows });
});

describe("bursts", () => {
  for (const burst of [
    {
      label: "4,000 addresses at once, routable.d hook",
      event: "routable",
      lines: Array.from({ length: 4000 }, (_, i) => `addr add 10.${20 + (i >> 8)}.${i & 255}.1/32 dev b0`),
    },
    {
      label: "50,000 route changes, routes.d hook",
      event: "routes",
      lines: Array.from(
        { length: 50_000 },
        (_, i) => `route add 10.${(i >> 8) & 255}.${i & 255}.0/24 dev b0`,
      ),
    },
  ])
    it(burst.label, async () => {
      const ns = createNetns();
      veth(ns, "b0", "b1");
      ip(ns, "link", "set", "b1", "up");
      ip(ns, "link", "set", "b0", "up");
      ip(ns, "addr", "add", "10.99.0.1/16", "dev", "b0");
      const a = apiConfig();
      const out = outDir();
      const hookDir = tempDir();
      timeHook(hookDir, burst.event, join(out, "runs"));
      writeFileSync(
        a.config,
        readFileSync(a.config, "utf8").replace(/^scripts: .*$/m, `scripts: { dir: ${hookDir} }`),
      );
      const d = startDaemon(ns, a.config, { NODE_OPTIONS: SHIPPED_NODE_OPTIONS });
      try {
        if (!(await waitFor(() => d.output().includes("ready:"), 120_000))) throw new Error(d.output());
        const pid = d.child.pid as number;
        await settled(pid);
        const before = rssMb(pid);
        const runs0 = times(join(out, "runs")).length;
        resetPeak(pid);
        const t0 = nowMs();
        const file = join(tempDir(), "burst.batch");
        writeFileSync(file, `${burst.lines.join("\n")}\n`);
        ip(ns, "-b", file);
        await settled(pid);
        const m = await metrics(a.socket);
        row(burst.label, "RSS before", before, "MB");
        row(burst.label, "RSS peak", peakMb(pid), "MB");
        row(burst.label, "RSS after", rssMb(pid), "MB");
        row(burst.label, "peak − before (bound: +64)", peakMb(pid) - before, "MB");
        row(burst.label, "hooks run", times(join(out, "runs")).length - runs0, "");
        row(burst.label, "events coalesced", m('netevd_events_discarded_total{reason="coalesced"'), "");
        row(
          burst.label,
          "events dropped at the bound",
          m('netevd_events_discarded_total{reason="bound"'),
          "",
        );
        row(burst.label, "wall", (nowMs() - t0) / 1000, "s");
      } finally {
        d.child.kill("SIGTERM");
        await d.exit;
      }
    });
});
