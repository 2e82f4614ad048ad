// Event-to-script latency, side by side in one run:
//  1. kernel: `ip addr add` → netevd's routable.d (backend none), run by the
//     daemon and through the hook runner of scripts.user, against the floor:
//     the same event read by `ip monitor address`;
//  2. systemd-networkd (real): peer end of a veth up → routable.d, netevd
//     against networkd-dispatcher on the same networkd, and the floor: the
//     PropertiesChanged(OperationalState=routable) signal itself;
//  3. systemd-networkd (real) with dnsmasq: networkd writing a new DHCPv4
//     lease (the lease file's mtime) → dhcp4-change.d.
// Times are wall-clock (CLOCK_REALTIME) from just before the trigger to the
// hook's `date +%s.%N` (so a script's own start-up is included, as users see it).
import { spawn } from "node:child_process";
import { chmodSync, chownSync, existsSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Message, type MessageBus, sessionBus } from "dbus-next";
import { afterAll, describe, it } from "vitest";
import { startDaemon } from "../test/helpers/daemon";
import { startHookRunner } from "../test/helpers/hook-runner";
import { createNetns, ip, veth } from "../test/helpers/netns";
import { havePeers, networkdTopology } from "../test/helpers/peers";
import { waitFor } from "../test/helpers/proc";
import { tempDir } from "../test/helpers/tmp";
import { outDir, timeHook, times } from "./hooks";
import { nowMs, rssMb, SHIPPED_NODE_OPTIONS, type Summary, summarize, table, writeResults } from "./stats";

const TRIALS = Number(process.env.NETEVD_BENCH_TRIALS ?? 20);
const rows: { scenario: string; subject: string; summary: Summary; samples: number[] }[] = [];
const memory: { subject: string; rssMb: number }[] = [];
/**
 * netevd as its unit runs it; NETEVD_BENCH_CPU_PROF=DIR adds a CPU profile of
 * each daemon there (to see where its time goes; the figures are then not
 * the unit's).
 */
const PROFILE = process.env.NETEVD_BENCH_CPU_PROF;
const UNIT_ENV = {
  NODE_OPTIONS: PROFILE
    ? `${SHIPPED_NODE_OPTIONS} --cpu-prof --cpu-prof-dir=${PROFILE}`
    : SHIPPED_NODE_OPTIONS,
};

afterAll(() => {
  if (!rows.length) return;
  console.log(`\nevent → script latency (${TRIALS} trials each)\n${table(rows)}\n`);
  for (const m of memory) console.log(`RSS after the trials: ${m.subject} ${m.rssMb.toFixed(1)} MB`);
  writeResults("bench-results.json", { trials: TRIALS, flags: SHIPPED_NODE_OPTIONS, results: rows, memory });
});

describe("latency", () => {
  it("kernel: ip addr add → routable.d (netevd, backend none; as the daemon's user and through the hook runner) vs ip monitor", async () => {
    const own = await kernelTrials("");
    rows.push({
      scenario: "kernel addr add",
      subject: "ip monitor (floor)",
      summary: summarize(own.floor),
      samples: own.floor,
    });
    rows.push({
      scenario: "kernel addr add",
      subject: "netevd routable.d",
      summary: summarize(own.netevd),
      samples: own.netevd,
    });
    // scripts.user: the hook runs as a user of its own, through its runner (one Unix socket round trip more).
    const sockets = tempDir();
    chownSync(sockets, HOOK_UID, HOOK_UID);
    await startHookRunner(join(sockets, "daemon.sock"), HOOK_UID, "nobody");
    const other = await kernelTrials("user: daemon", { NETEVD_HOOKS_SOCKET_DIR: sockets });
    rows.push({
      scenario: "kernel addr add",
      subject: "netevd routable.d as scripts.user",
      summary: summarize(other.netevd),
      samples: other.netevd,
    });
  });

  it.runIf(havePeers && existsSync("/usr/bin/networkd-dispatcher"))(
    "systemd-networkd: peer up → routable.d, netevd (own and networkd-dispatcher style) vs networkd-dispatcher vs the D-Bus signal",
    async () => {
      const { client, server, nd0, env } = await networkdTopology({
        "10-nd0.network":
          "[Match]\nName=nd0\n[Network]\nAddress=10.213.1.2/24\nGateway=10.213.1.1\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n",
      });
      const out = outDir();
      const unitEnv = { DBUS_SYSTEM_BUS_ADDRESS: env.busAddress, ...UNIT_ENV };
      // netevd with its own directory, or running networkd-dispatcher's hook directory
      // in its style (as after netevd-migrate --from-networkd-dispatcher), the hook
      // reading `reads`: one reads nothing of its environment, one reads $json (netevd
      // runs `networkctl status` for it, as networkd-dispatcher did).
      const netevd = (name: string, style: boolean, reads: string) => async () => {
        const dir = tempDir();
        chmodSync(dir, 0o755);
        const hook = timeHook(dir, "routable", join(out, name));
        writeFileSync(hook, `#!/bin/sh\ndate +%s.%N >> ${join(out, name)}\n${reads}\n`);
        const scripts = style
          ? `{ dir: ${tempDir()}, directories: [{ path: ${dir}, style: networkd-dispatcher }] }`
          : `{ dir: ${dir} }`;
        const config = join(tempDir(), "netevd.yaml");
        writeFileSync(config, `system: { backend: systemd-networkd, user: nobody }\nscripts: ${scripts}\n`);
        const d = startDaemon(client, config, unitEnv, [], undefined, env.networkdView(client));
        if (!(await waitFor(() => d.output().includes("ready:")))) throw new Error(d.output());
        return {
          pid: d.child.pid as number,
          stop: async () => {
            d.child.kill("SIGTERM");
            await d.exit;
          },
        };
      };
      const networkdDispatcher = async () => {
        const dir = tempDir();
        timeHook(dir, "routable", join(out, "ndd"));
        const p = await env.startNetworkdDispatcher(client, dir);
        return {
          pid: p.child.pid as number,
          stop: async () => {
            p.child.kill("SIGTERM");
            if (p.child.exitCode === null && p.child.signalCode === null)
              await new Promise((r) => p.child.once("exit", r));
          },
        };
      };
      const subjects = [
        { key: "netevd", subject: "netevd routable.d", start: netevd("netevd", false, "") },
        {
          key: "style",
          subject: "netevd running networkd-dispatcher's routable.d",
          start: netevd("style", true, ""),
        },
        {
          key: "json",
          subject: "netevd running networkd-dispatcher's routable.d that reads $json",
          start: netevd("json", true, ': "$json"'),
        },
        { key: "ndd", subject: "networkd-dispatcher routable.d", start: networkdDispatcher },
      ];
      // The floor: networkd's own signal, read on the same bus.
      const bus = (sessionBus as unknown as (o: { busAddress: string }) => MessageBus)({
        busAddress: env.busAddress,
      });
      const signals: { t: number; state: string }[] = [];
      bus.on("message", (m: Message) => {
        if (m.member !== "PropertiesChanged" || m.path !== `/org/freedesktop/network1/link/_3${nd0}`) return;
        const changed = (m.body as [string, Record<string, { value: unknown }>])[1];
        const s = changed.OperationalState?.value;
        if (typeof s === "string") signals.push({ t: nowMs(), state: s });
      });
      await bus.call(
        new (await import("dbus-next")).Message({
          destination: "org.freedesktop.DBus",
          path: "/org/freedesktop/DBus",
          interface: "org.freedesktop.DBus",
          member: "AddMatch",
          signature: "s",
          body: ["type='signal',interface='org.freedesktop.DBus.Properties',member='PropertiesChanged'"],
        }),
      );
      const floor: number[] = [];
      const sc = "networkd peer up";
      const measured: { subject: string; samples: number[] }[] = [];
      try {
        // Each alone, in turn: as on a host, where one of them runs. Run together,
        // they share two CPUs at the moment that is measured (networkd-dispatcher's
        // and the $json hook's networkctl beside the others) and each one's figure
        // would say how busy the others were.
        for (const s of subjects) {
          const file = join(out, s.key);
          const running = await s.start();
          const samples: number[] = [];
          try {
            for (let i = 0; i < TRIALS; i++) {
              ip(server, "link", "set", "nd0p", "down");
              await waitFor(() => signals.at(-1)?.state === "no-carrier", 5000);
              await new Promise((r) => setTimeout(r, 400));
              const [n, k] = [times(file).length, signals.length];
              const t0 = nowMs();
              ip(server, "link", "set", "nd0p", "up");
              await waitFor(() => times(file).length > n, 10_000);
              const t = times(file)[n];
              const sig = signals.slice(k).find((x) => x.state === "routable");
              if (t !== undefined) samples.push(t - t0);
              if (sig) floor.push(sig.t - t0);
            }
            if (s.key === "netevd" || s.key === "ndd")
              memory.push({
                subject: s.key === "netevd" ? "netevd (unit's flags)" : "networkd-dispatcher (Python)",
                rssMb: rssMb(running.pid),
              });
          } finally {
            await running.stop();
          }
          measured.push({ subject: s.subject, samples });
        }
      } finally {
        bus.disconnect();
      }
      rows.push({
        scenario: sc,
        subject: "PropertiesChanged routable (floor)",
        summary: summarize(floor),
        samples: floor,
      });
      for (const m of measured)
        rows.push({ scenario: sc, subject: m.subject, summary: summarize(m.samples), samples: m.samples });
      // What a $json reader waits for whoever runs it: `networkctl status` itself,
      // as networkd-dispatcher runs it, in the same namespace and view, alone.
      // Timed by bash in the namespace (EPOCHREALTIME: no process of its own).
      const loop = `${env.networkdView(client)}
for ((i = 0; i < ${TRIALS}; i++)); do
  t0=$EPOCHREALTIME
  networkctl status --no-pager --no-legend -- nd0 >/dev/null || exit 1
  echo "$t0 $EPOCHREALTIME"
done`;
      // Not spawnSync: this process reads networkd's log, and networkd, blocked on a full
      // pipe, would answer networkctl no more.
      const child = spawn("ip", ["netns", "exec", client, "bash", "-c", loop], {
        env: {
          PATH: process.env.PATH,
          DBUS_SYSTEM_BUS_ADDRESS: env.busAddress,
          LC_ALL: "C.UTF-8",
          SYSTEMD_COLORS: "0",
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      const r = { stdout: "", stderr: "", status: null as number | null };
      child.stdout.on("data", (b: Buffer) => (r.stdout += b.toString()));
      child.stderr.on("data", (b: Buffer) => (r.stderr += b.toString()));
      r.status = await new Promise<number | null>((res) => child.on("close", res));
      const networkctl = r.stdout
        .trim()
        .split("\n")
        .map((l) => l.split(" ").map(Number))
        .map(([a, b]) => ((b as number) - (a as number)) * 1000);
      rows.push({
        scenario: sc,
        subject: "networkctl status, alone (what $json is built from)",
        summary: summarize(networkctl),
        samples: networkctl,
      });
    },
  );
});

describe("lease latency", () => {
  it.runIf(havePeers)("systemd-networkd: new DHCPv4 lease file → dhcp4-change.d", async () => {
    const { client, server, nd0, env } = await networkdTopology({
      "10-nd0.network": "[Match]\nName=nd0\n[Network]\nDHCP=ipv4\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n",
    });
    const dir = tempDir();
    const out = outDir();
    const hook = join(out, "dhcp4");
    timeHook(dir, "dhcp4-change", hook);
    const config = join(dir, "netevd.yaml");
    writeFileSync(config, `system: { backend: systemd-networkd, user: nobody }\nscripts: { dir: ${dir} }\n`);
    const d = startDaemon(
      client,
      config,
      { ...UNIT_ENV, DBUS_SYSTEM_BUS_ADDRESS: env.busAddress },
      [],
      undefined,
      env.networkdView(client),
    );
    const lease = join(env.dir, `netif-${client}`, "leases", String(nd0));
    const samples: number[] = [];
    try {
      if (!(await waitFor(() => d.output().includes("ready:")))) throw new Error(d.output());
      await env.startDnsmasq(server, "nd0p", "10.213.1");
      for (let i = 0; i < TRIALS; i++) {
        const before = times(hook).length;
        ip(server, "link", "set", "nd0p", "up");
        // Acquired: its hook ran; the lease file is the one networkd wrote for it.
        if (!(await waitFor(() => times(hook).length > before, 15_000))) throw new Error(d.output());
        const written = Number(statSync(lease, { bigint: true }).mtimeNs) / 1e6;
        samples.push((times(hook)[before] as number) - written);
        ip(server, "link", "set", "nd0p", "down");
        // Lost: the next trial starts without a lease.
        if (!(await waitFor(() => times(hook).length > before + 1, 15_000))) throw new Error(d.output());
      }
    } finally {
      d.child.kill("SIGTERM");
      await d.exit;
    }
    rows.push({
      scenario: "networkd DHCPv4 lease",
      subject: "lease file written → netevd dhcp4-change.d",
      summary: summarize(samples),
      samples,
    });
  });
});

/** Debian's `daemon`: the hooks' own user in the runner row. */
const HOOK_UID = 1;

/** `ip addr add` → routable.d, TRIALS times, with the floor (`ip monitor`) seen beside it. */
async function kernelTrials(
  scripts: string,
  env: NodeJS.ProcessEnv = {},
): Promise<{ netevd: number[]; floor: number[] }> {
  const ns = createNetns();
  veth(ns, "b0", "b1");
  const dir = tempDir();
  const out = outDir();
  timeHook(dir, "routable", join(out, "netevd"));
  const config = join(dir, "netevd.yaml");
  writeFileSync(
    config,
    `system: { backend: none, user: nobody }\nscripts: { dir: ${dir}${scripts ? `, ${scripts}` : ""} }\nmonitoring: { interfaces: [b0] }\n`,
  );
  const d = startDaemon(ns, config, { ...UNIT_ENV, ...env });
  const mon = spawn("ip", ["-n", ns, "monitor", "address"], { stdio: ["ignore", "pipe", "ignore"] });
  const seen: number[] = [];
  mon.stdout.on("data", (b: Buffer) => {
    const t = nowMs();
    for (const l of b.toString().split("\n"))
      if (/inet 192\.0\.2\.9\//.test(l) && !l.startsWith("Deleted")) seen.push(t);
  });
  const netevd: number[] = [];
  const floor: number[] = [];
  try {
    if (!(await waitFor(() => d.output().includes("ready:")))) throw new Error(d.output());
    for (let i = 0; i < TRIALS; i++) {
      const before = times(join(out, "netevd")).length;
      const seenBefore = seen.length;
      const t0 = nowMs();
      ip(ns, "addr", "add", "192.0.2.9/24", "dev", "b0");
      await waitFor(() => times(join(out, "netevd")).length > before && seen.length > seenBefore, 5000);
      const t = times(join(out, "netevd"))[before];
      if (t !== undefined) netevd.push(t - t0);
      if (seen[seenBefore] !== undefined) floor.push(seen[seenBefore] - t0);
      ip(ns, "addr", "del", "192.0.2.9/24", "dev", "b0");
      await new Promise((r) => setTimeout(r, 150));
    }
  } finally {
    mon.kill();
    d.child.kill("SIGTERM");
    await d.exit;
  }
  return { netevd, floor };
}
