// What each watched network namespace costs the daemon (monitoring.namespaces):
// its RSS and open fds with none, then with 100 namespaces of a veth pair
// each, then after they are all deleted; and how long a new namespace takes to
// be watched (from `ip netns add` to its `created` hook, through
// netevd-privileged handing over the socket). Side by side in the same run:
// the same daemon watching no namespace while the 100 come and go.
import { chmodSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, it } from "vitest";
import { startDaemon } from "../test/helpers/daemon";
import { createNetns, deleteNetns, veth } from "../test/helpers/netns";
import { fdCount, rssMb, waitFor } from "../test/helpers/proc";
import { startExecutor } from "../test/helpers/privileged";
import { rootOnlyDir, tempDir, writeScript } from "../test/helpers/tmp";
import { nowMs, summarize, writeResults } from "./stats";

const COUNT = 100;
type Row = { daemon: string; measure: string; value: number; unit: string };
const rows: Row[] = [];
const row = (daemon: string, measure: string, value: number, unit: string) =>
  rows.push({ daemon, measure, value: Math.round(value * 100) / 100, unit });
const settle = () => new Promise((r) => setTimeout(r, 2000));

afterAll(() => {
  if (!rows.length) return;
  console.log("\nper watched namespace");
  for (const r of rows)
    console.log(`${r.daemon.padEnd(26)}  ${r.measure.padEnd(34)}  ${String(r.value).padStart(8)} ${r.unit}`);
  writeResults("bench-netns.json", { namespaces: COUNT, results: rows });
});

describe("network namespaces", () => {
  it(`${COUNT} namespaces watched, then deleted`, async () => {
    const dir = rootOnlyDir();
    const out = tempDir();
    chmodSync(out, 0o777);
    const log = join(out, "netns");
    writeScript(join(dir, "netns.d"), "10-record", `echo "$NETNS $NETNS_ACTION $(date +%s%N)" >> ${log}`);
    const watching = join(dir, "watching.yaml");
    const none = join(dir, "none.yaml");
    writeFileSync(
      watching,
      `system: { backend: none, user: nobody }\nmonitoring: { namespaces: ["nvt${process.pid}x*"] }\nscripts: { dir: ${dir} }\n`,
    );
    writeFileSync(none, `system: { backend: none, user: nobody }\nscripts: { dir: ${dir} }\n`);
    const executor = await startExecutor(dir, watching);
    chmodSync(executor.socket, 0o666);
    const env = { NETEVD_PRIVILEGED_SOCKET: executor.socket };
    const daemons = [
      { label: "watching the namespaces", d: startDaemon(createNetns(), watching, env) },
      { label: "watching none (baseline)", d: startDaemon(createNetns(), none, env) },
    ];
    try {
      for (const { d } of daemons) await waitFor(() => d.output().includes("ready: "), 30_000);
      await settle();
      const before = daemons.map(({ d }) => ({ rss: rssMb(d.child.pid!), fds: fdCount(d.child.pid!) }));
      const lines = (action: string) =>
        (statSync(log, { throwIfNoEntry: false }) ? readFileSync(log, "utf8") : "")
          .split("\n")
          .filter((l) => l.includes(` ${action} `));
      /** Every hook of that action ran, and the daemons settled; then their RSS and fds. */
      const after = async (action: string) => {
        await waitFor(() => lines(action).length >= COUNT, 120_000);
        await settle();
        return daemons.map(({ d }) => ({ rss: rssMb(d.child.pid!), fds: fdCount(d.child.pid!) }));
      };
      const added: { name: string; at: number }[] = [];
      for (let i = 0; i < COUNT; i++) {
        const at = nowMs();
        const name = createNetns();
        veth(name, "nb0", "nb1");
        added.push({ name, at });
      }
      const watched = await after("created");
      const createdAt = new Map(
        lines("created")
          .map((l) => l.split(" "))
          .map(([n, , ns]) => [n as string, Number(ns) / 1e6]),
      );
      const pickup = summarize(added.map((a) => (createdAt.get(a.name) ?? NaN) - a.at));
      for (const a of added) deleteNetns(a.name);
      const gone = await after("deleted");
      daemons.forEach(({ label }, i) => {
        const [b, w, a] = [before[i]!, watched[i]!, gone[i]!];
        row(label, "RSS with none", b.rss, "MB");
        row(label, `RSS with ${COUNT}`, w.rss, "MB");
        row(label, "RSS per namespace", ((w.rss - b.rss) * 1024) / COUNT, "kB");
        row(label, "RSS after all deleted", a.rss, "MB");
        row(label, "fds with none", b.fds, "");
        row(label, `fds with ${COUNT}`, w.fds, "");
        row(label, "fds per namespace", (w.fds - b.fds) / COUNT, "");
        row(label, "fds after all deleted", a.fds, "");
      });
      row(daemons[0]!.label, "ip netns add to created hook, median", pickup.median, "ms");
      row(daemons[0]!.label, "ip netns add to created hook, p90", pickup.p90, "ms");
    } finally {
      for (const { d } of daemons) d.child.kill("SIGKILL");
    }
  }, 600_000);
});
