// What netevd costs per event, at scale, side by side in one run. The daemon
// runs with the unit's Node flags (SHIPPED); nothing here asserts a time.
//  1. hook latency: `ip addr add` → routable.d, netevd with 10 and with 1,000
//     veth pairs present, beside two floors read from the same events: `ip
//     monitor` alone, and `ip monitor | while read; sh hook` (the least a
//     shell dispatcher can do) → netevd's own overhead;
//  2. route bursts on one link, no hook (10k and 50k route events): CPU;
//     10k with a routes.d hook: each event ran its hook or was discarded
//     (coalesced, or over the link's queue bound), none timed out, loop lag;
//  3. READY with 2,000 pairs present; deleting 500 of 1,500 pairs: CPU;
//  4. idle RSS with and without the unit's heap flags, beside bare Node;
//  5. starting a process: Node's spawn() against netevd's posix_spawn
//     launcher, with a small and a large heap;
//  6. the executable's and the packages' sizes.
// Writes dist/bench-scale.json.
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, it } from "vitest";
import { launch } from "../src/scripts/launch";
import { realBinding } from "../src/native/real";
import { CLI } from "../test/helpers/cli";
import { apiConfig, startDaemon } from "../test/helpers/daemon";
import { httpGet, metric } from "../test/helpers/http";
import { createNetns, ip, veth } from "../test/helpers/netns";
import { notifyListener } from "../test/helpers/notify";
import { waitFor, waitForAsync } from "../test/helpers/proc";
import { tempDir } from "../test/helpers/tmp";
import { heapComposition } from "./heap-composition";
import { outDir, timeHook, times } from "./hooks";
import { nowMs, rssMb, SHIPPED_NODE_OPTIONS, type Summary, summarize, table, writeResults } from "./stats";

const TRIALS = Number(process.env.NETEVD_BENCH_TRIALS ?? 20);
const SHIPPED = SHIPPED_NODE_OPTIONS;
const latency: { scenario: string; subject: string; summary: Summary; samples: number[] }[] = [];
type Row = { scenario: string; measure: string; value: number; unit: string };
const rows: Row[] = [];
const row = (scenario: string, measure: string, value: number, unit: string) =>
  rows.push({ scenario, measure, value: Math.round(value * 100) / 100, unit });

function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(f[11]) + Number(f[12])) / 100;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `count` veth pairs p<i>a/p<i>b in ns, created in one `ip -b`. */
function pairs(ns: string, count: number, prefix = "p"): void {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) lines.push(`link add ${prefix}${i}a type veth peer name ${prefix}${i}b`);
  const file = join(tempDir(), "pairs.batch");
  writeFileSync(file, `${lines.join("\n")}\n`);
  ip(ns, "-b", file);
}

function batch(ns: string, lines: string[]): void {
  const file = join(tempDir(), "ip.batch");
  writeFileSync(file, `${lines.join("\n")}\n`);
  ip(ns, "-b", file);
}

/** A daemon with the API on a socket, the unit's flags, ready. */
async function daemon(ns: string, extra = "", env: NodeJS.ProcessEnv = {}) {
  const a = apiConfig();
  writeFileSync(a.config, `${readFileSync(a.config, "utf8")}${extra}`);
  const d = startDaemon(ns, a.config, { NODE_OPTIONS: SHIPPED, ...env });
  if (!(await waitFor(() => d.output().includes("ready:"), 120_000))) throw new Error(d.output());
  return { ...a, d, pid: d.child.pid as number };
}

/** One /metrics scrape: a sample's value by its name with labels, as exposed (NaN when absent). */
async function scrape(socket: string): Promise<(series: string) => number> {
  const { text } = await httpGet({ socketPath: socket }, "/metrics");
  const values = new Map(
    text
      .split("\n")
      .filter((l) => l && !l.startsWith("#"))
      .map((l) => [l.slice(0, l.lastIndexOf(" ")), Number(l.slice(l.lastIndexOf(" ") + 1))] as const),
  );
  return (series) => values.get(series) ?? values.get(`${series}{netns=""}`) ?? NaN;
}

async function stop(d: { child: { kill: (s: NodeJS.Signals) => boolean }; exit: Promise<unknown> }) {
  d.child.kill("SIGTERM");
  await d.exit;
}

afterAll(() => {
  if (latency.length) console.log(`\nip addr add → hook (${TRIALS} trials each)\n${table(latency)}\n`);
  if (rows.length) {
    const w = Math.max(...rows.map((r) => `${r.scenario}: ${r.measure}`.length));
    console.log(
      rows.map((r) => `${`${r.scenario}: ${r.measure}`.padEnd(w)}  ${r.value} ${r.unit}`).join("\n"),
    );
  }
  writeResults("bench-scale.json", { trials: TRIALS, flags: SHIPPED, latency, rows });
});

describe("scale", () => {
  it("hook latency: netevd with 10 and 1,000 pairs beside ip monitor and ip monitor | while read; sh hook", async () => {
    // Each subject alone in a namespace of its own, triggered in turn: on a
    // 2-core machine subjects woken by the same event would wait for each other.
    const out = outDir();
    const daemons = [10, 1000].map((n) => {
      const ns = createNetns();
      veth(ns, "b0", "b1");
      pairs(ns, n);
      const dir = tempDir();
      timeHook(dir, "routable", join(out, `netevd${n}`));
      const config = join(dir, "netevd.yaml");
      writeFileSync(
        config,
        `system: { backend: none, user: nobody }\nscripts: { dir: ${dir} }\nmonitoring: { interfaces: [b0] }\n`,
      );
      const d = startDaemon(ns, config, { NODE_OPTIONS: SHIPPED });
      return { n, ns, d };
    });
    const floorNs = (): string => {
      const ns = createNetns();
      veth(ns, "b0", "b1");
      pairs(ns, 10);
      return ns;
    };
    const monNs = floorNs();
    const mon = spawn("ip", ["-n", monNs, "monitor", "address"], { stdio: ["ignore", "pipe", "ignore"] });
    const seen: number[] = [];
    mon.stdout.on("data", (b: Buffer) => {
      const t = nowMs();
      for (const l of b.toString().split("\n"))
        if (/inet 192\.0\.2\.9\//.test(l) && !l.startsWith("Deleted")) seen.push(t);
    });
    // The shell floor: what a dispatcher written as a shell loop would do.
    const shellNs = floorNs();
    const hookFile = timeHook(tempDir(), "routable", join(out, "shell"));
    const shell = spawn(
      "sh",
      [
        "-c",
        `ip -n ${shellNs} monitor address | while read l; do case "$l" in Deleted*) ;; *"inet 192.0.2.9/"*) sh ${hookFile} ;; esac; done`,
      ],
      { stdio: "ignore", detached: true },
    );
    const subjects = [
      { name: "ip monitor", ns: monNs, times: () => seen },
      { name: "ip monitor | while read; sh hook", ns: shellNs, times: () => times(join(out, "shell")) },
      ...daemons.map((d) => ({
        name: `netevd, ${d.n} pairs`,
        ns: d.ns,
        times: () => times(join(out, `netevd${d.n}`)),
      })),
    ];
    const samples: Record<string, number[]> = Object.fromEntries(subjects.map((x) => [x.name, []]));
    try {
      for (const s of daemons)
        if (!(await waitFor(() => s.d.output().includes("ready:"), 120_000))) throw new Error(s.d.output());
      // The monitors are listening once a first change reaches them.
      for (const x of subjects.slice(0, 2)) {
        const before = x.times().length;
        ip(x.ns, "addr", "add", "192.0.2.9/24", "dev", "b0");
        await waitFor(() => x.times().length > before, 5000);
        ip(x.ns, "addr", "del", "192.0.2.9/24", "dev", "b0");
      }
      await sleep(500);
      for (let i = 0; i < TRIALS; i++) {
        for (const x of subjects) {
          const before = x.times().length;
          const t0 = nowMs();
          ip(x.ns, "addr", "add", "192.0.2.9/24", "dev", "b0");
          await waitFor(() => x.times().length > before, 5000);
          const t = x.times()[before];
          if (t !== undefined) samples[x.name]?.push(t - t0);
          ip(x.ns, "addr", "del", "192.0.2.9/24", "dev", "b0");
          await sleep(100);
        }
      }
    } finally {
      mon.kill();
      if (shell.pid) process.kill(-shell.pid, "SIGKILL");
      for (const s of daemons) await stop(s.d);
    }
    for (const [subject, v] of Object.entries(samples))
      latency.push({ scenario: "ip addr add → routable.d", subject, summary: summarize(v), samples: v });
    const med = (k: string) => summarize(samples[k] ?? []).median;
    row(
      "hook latency",
      "netevd overhead over the shell floor, 10 pairs",
      med("netevd, 10 pairs") - med("ip monitor | while read; sh hook"),
      "ms",
    );
    row("hook latency", "1,000 pairs / 10 pairs", med("netevd, 1000 pairs") / med("netevd, 10 pairs"), "×");
  });

  it("route bursts on one link: 10k and 50k events without a hook, 10k with one", async () => {
    for (const [count, withHook] of [
      [10_000, false],
      [50_000, false],
      [10_000, true],
    ] as const) {
      const ns = createNetns();
      veth(ns, "r0", "r1");
      ip(ns, "addr", "add", "10.99.0.1/16", "dev", "r0");
      const out = outDir();
      const a = apiConfig();
      if (withHook) {
        // The hook's directory replaces the (empty) scripts directory of the API config.
        const hookDir = tempDir();
        timeHook(hookDir, "routes", join(out, "runs"));
        writeFileSync(
          a.config,
          readFileSync(a.config, "utf8").replace(/^scripts: .*$/m, `scripts: { dir: ${hookDir} }`),
        );
      }
      const d = startDaemon(ns, a.config, { NODE_OPTIONS: SHIPPED });
      if (!(await waitFor(() => d.output().includes("ready:"), 60_000))) throw new Error(d.output());
      const pid = d.child.pid as number;
      // This scrape also starts the loop lag afresh (it is measured between scrapes).
      const msgs0 = await metric(a.socket, "netevd_netlink_messages_total");
      const cpu0 = cpuSeconds(pid);
      const t0 = nowMs();
      const lines: string[] = [];
      for (let i = 0; i < count; i++) lines.push(`route add 10.${(i >> 8) & 255}.${i & 255}.0/24 dev r0`);
      batch(ns, lines);
      const label = `${count / 1000}k route events${withHook ? ", routes.d hook" : ""}`;
      if (withHook) {
        // Each event runs its hook or is discarded (coalesced, or past the link's queue bound).
        const discarded = async () => {
          const m = await scrape(a.socket);
          return ["coalesced", "bound"]
            .map((r) => m(`netevd_events_discarded_total{reason="${r}",netns=""}`))
            .reduce((x, y) => x + (Number.isNaN(y) ? 0 : y), 0);
        };
        await waitForAsync(
          async () => times(join(out, "runs")).length + (await discarded()) >= count,
          300_000,
        );
        row(label, "hooks run", times(join(out, "runs")).length, `of ${count}`);
        row(label, "events discarded (coalesced or over the bound)", await discarded(), "");
        const timeouts = await metric(a.socket, 'netevd_script_runs_total\\{result="timeout"\\}').catch(
          () => 0,
        );
        row(label, "hooks timed out", timeouts, "");
      } else {
        // Settled: every message read and the CPU clock still.
        let last = -1;
        await waitFor(() => {
          const c = cpuSeconds(pid);
          const still = c === last;
          last = c;
          return still;
        }, 300_000);
      }
      row(label, "daemon CPU", cpuSeconds(pid) - cpu0, "s");
      row(label, "wall", (nowMs() - t0) / 1000, "s");
      // One scrape for all: each scrape starts the loop lag afresh.
      const m = await scrape(a.socket);
      row(label, "netlink messages read", m("netevd_netlink_messages_total") - msgs0, "");
      row(label, "overruns (re-synced)", m("netevd_netlink_overruns_total"), "");
      row(label, "loop lag p99", 1000 * m('netevd_event_loop_lag_seconds{quantile="0.99"}'), "ms");
      row(label, "loop lag max", 1000 * m('netevd_event_loop_lag_seconds{quantile="1"}'), "ms");
      await stop(d);
    }
  });

  it("READY with 2,000 pairs present; deleting 500 of 1,500 pairs", async () => {
    const ns = createNetns();
    pairs(ns, 2000);
    // The executable as installed (its code cache included), and the compiled tree on Node.
    const exe = join(__dirname, "..", "dist", "netevd");
    for (const [subject, command] of [
      ["dist/netevd", [exe]],
      ["node dist/src/cli/main.js", [process.execPath, CLI]],
    ] as const) {
      const a = apiConfig();
      const listener = await notifyListener(join(a.dir, "notify"));
      const t0 = nowMs();
      const d = spawn("ip", ["netns", "exec", ns, ...command, "run", "--config", a.config], {
        env: { PATH: process.env.PATH, NODE_OPTIONS: SHIPPED, NOTIFY_SOCKET: join(a.dir, "notify") },
        stdio: "ignore",
      });
      const exited = new Promise((r) => d.once("exit", r));
      try {
        await waitFor(() => listener.notes().includes("READY=1"), 120_000);
        const label = `start with 2,000 pairs (4,000 links), ${subject}`;
        row(label, "to READY=1", (nowMs() - t0) / 1000, "s");
        row(label, "daemon CPU to READY", cpuSeconds(d.pid as number), "s");
      } finally {
        listener.stop();
        d.kill("SIGTERM");
        await exited;
      }
    }
    {
      const ns = createNetns();
      pairs(ns, 1500);
      batch(
        ns,
        Array.from({ length: 1500 }, (_, i) => `link set p${i}a up`),
      );
      const { d, pid, socket } = await daemon(ns);
      const links0 = await metric(socket, "netevd_links");
      const resyncs0 = await metric(socket, "netevd_netlink_resyncs_total");
      const cpu0 = cpuSeconds(pid);
      const t0 = nowMs();
      batch(
        ns,
        Array.from({ length: 500 }, (_, i) => `link del p${i}a`),
      );
      // Each pair is two links; the metric is read until all 1,000 are gone.
      for (let i = 0; i < 1200 && (await metric(socket, "netevd_links")) > links0 - 1000; i++)
        await sleep(100);
      await sleep(500);
      row("delete 500 of 1,500 pairs", "daemon CPU", cpuSeconds(pid) - cpu0, "s");
      row("delete 500 of 1,500 pairs", "wall, kernel included", (nowMs() - t0) / 1000, "s");
      row(
        "delete 500 of 1,500 pairs",
        "full re-syncs",
        (await metric(socket, "netevd_netlink_resyncs_total")) - resyncs0,
        "",
      );
      await stop(d);
    }
  });

  it("idle RSS: netevd (compiled tree and executable) with the unit's flags, bare Node; the idle heap by module", async () => {
    // A binary's pages in the page cache may be large folios (a file just
    // written, as the executable is): a process that touches one page maps
    // all of it, which RSS counts. Each binary is dropped from the cache
    // first, so that every process reads its pages as a fresh boot would.
    const exe = join(__dirname, "..", "dist", "netevd");
    const uncache = () => {
      for (const f of [process.execPath, exe])
        if (existsSync(f)) spawnSync("dd", [`if=${f}`, "iflag=nocache", "count=0", "status=none"]);
    };
    const anonMb = (pid: number) =>
      Number(/^RssAnon:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
    const idle = async (label: string, pid: number) => {
      // Past the collection the daemon runs once it is ready.
      await sleep(5000);
      row("idle RSS", label, rssMb(pid), "MB");
      row("idle RSS, private (RssAnon)", label, anonMb(pid), "MB");
    };
    const snapshots = tempDir();
    chmodSync(snapshots, 0o777);
    for (const [label, flags] of [
      [
        `netevd (node dist), ${SHIPPED}`,
        `${SHIPPED} --heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${snapshots}`,
      ],
      ["netevd (node dist), --jitless", "--jitless"],
    ] as const) {
      uncache();
      const ns = createNetns();
      veth(ns, "i0", "i1");
      const { d, pid } = await daemon(ns, "", { NODE_OPTIONS: flags });
      await idle(label, pid);
      if (flags.includes("heapsnapshot")) {
        process.kill(pid, "SIGUSR2");
        await waitFor(() => readdirSync(snapshots).some((f) => f.endsWith(".heapsnapshot")), 60_000);
        const file = join(
          snapshots,
          readdirSync(snapshots).find((f) => f.endsWith(".heapsnapshot")) as string,
        );
        // V8 writes it in pieces: done when its size stands still.
        let size = -1;
        let still = 0;
        await waitFor(() => {
          const now = statSync(file).size;
          still = now > 0 && now === size ? still + 1 : 0;
          size = now;
          return still >= 10;
        }, 60_000);
        const groups = heapComposition(file);
        row("idle heap (snapshot)", "total", groups.reduce((a, g) => a + g.bytes, 0) / 2 ** 20, "MB");
        for (const g of groups.slice(0, 12)) row("idle heap (snapshot)", g.group, g.bytes / 2 ** 20, "MB");
      }
      await stop(d);
    }
    if (existsSync(exe)) {
      uncache();
      const ns = createNetns();
      veth(ns, "i0", "i1");
      const a = apiConfig();
      const d = spawn("ip", ["netns", "exec", ns, exe, "run", "--config", a.config], {
        env: { PATH: process.env.PATH, NODE_OPTIONS: SHIPPED.replace("--jitless", "").trim() },
        stdio: "ignore",
      });
      const exited = new Promise((r) => d.once("exit", r));
      await waitFor(() => existsSync(a.socket), 60_000);
      await idle(`netevd (executable), ${SHIPPED}`, d.pid as number);
      d.kill("SIGTERM");
      await exited;
    }
    for (const flags of [SHIPPED.split(" "), ["--jitless"], []]) {
      uncache();
      const bare = spawn(process.execPath, [...flags, "-e", "setInterval(() => {}, 1000)"], {
        stdio: "ignore",
      });
      await sleep(3000);
      row("idle RSS", `bare Node ${flags.join(" ")}`.trim(), rssMb(bare.pid as number), "MB");
      row(
        "idle RSS, private (RssAnon)",
        `bare Node ${flags.join(" ")}`.trim(),
        anonMb(bare.pid as number),
        "MB",
      );
      bare.kill();
    }
  });

  it("idle RSS by module: what loading each costs over bare Node, with the unit's flags", async () => {
    // Each in a process of its own that loads it and idles; the median of three.
    const rss = async (load: string) => {
      const s: number[] = [];
      for (let i = 0; i < 3; i++) {
        const p = spawn(
          process.execPath,
          [...SHIPPED.split(" "), "-e", `${load}; setInterval(() => {}, 1000)`],
          {
            stdio: "ignore",
            cwd: join(__dirname, ".."),
          },
        );
        await sleep(1500);
        s.push(rssMb(p.pid as number));
        p.kill();
      }
      return s.sort((a, b) => a - b)[1] as number;
    };
    const bare = await rss("0");
    row("idle RSS by module", "bare Node", bare, "MB");
    const modules: [string, string][] = [
      ["dbus-next (D-Bus)", "require('dbus-next')"],
      ["prom-client (metrics)", "require('prom-client')"],
      ["zod (the configuration's schema)", "require('zod')"],
      ["yaml", "require('yaml')"],
      ["node:http (API, metrics.listen)", "require('node:http')"],
      ["src/config/schema", "require('./dist/src/config/schema.js')"],
      ["src/metrics/metrics", "require('./dist/src/metrics/metrics.js')"],
      ["src/daemon/daemon (everything the daemon loads)", "require('./dist/src/daemon/daemon.js')"],
    ];
    for (const [name, load] of modules)
      row("idle RSS by module", `+ ${name}`, (await rss(load)) - bare, "MB");
  });

  it("starting a process: child_process.spawn() against posix_spawn, small and large heap", async () => {
    const time = (start: () => { pid?: number }) => {
      const s: number[] = [];
      for (let i = 0; i < 100; i++) {
        const t0 = nowMs();
        start();
        s.push(nowMs() - t0);
      }
      return summarize(s).median;
    };
    const both = async (label: string) => {
      const pending: Promise<unknown>[] = [];
      const node = time(() => {
        const c = spawn("/bin/sh", ["-c", ":"], { stdio: ["ignore", "pipe", "pipe"], detached: true });
        pending.push(new Promise((r) => c.once("exit", r)));
        return c;
      });
      const posix = time(() => {
        const l = launch(realBinding(), "/bin/sh", ["-c", ":"], {});
        pending.push(l.exited);
        return l;
      });
      await Promise.all(pending);
      row("starting a process", `spawn(), ${label}`, node, "ms");
      row("starting a process", `posix_spawn, ${label}`, posix, "ms");
    };
    await both(`${Math.round(process.memoryUsage().rss / 1e6)} MB RSS`);
    // A daemon grown large: fork copies its page tables, posix_spawn does not.
    const ballast = Array.from({ length: 300 }, () => Buffer.alloc(1024 * 1024, 1));
    await both(`${Math.round(process.memoryUsage().rss / 1e6)} MB RSS`);
    ballast.length = 0;
  });

  it("executable and package sizes", () => {
    const dist = join(__dirname, "..", "dist");
    const size = (f: string) => (existsSync(join(dist, f)) ? statSync(join(dist, f)).size / 1e6 : NaN);
    row("size", "executable dist/netevd", size("netevd"), "MB");
    row("size", "bundled script dist/sea/netevd.js", size("sea/netevd.js"), "MB");
    const version = (
      JSON.parse(readFileSync(join(__dirname, "..", "package.json"), "utf8")) as { version: string }
    ).version;
    row("size", ".deb", size(`netevd_${version}-1_amd64.deb`), "MB");
    row("size", ".rpm", size(`netevd-${version}-1.x86_64.rpm`), "MB");
  });
});
