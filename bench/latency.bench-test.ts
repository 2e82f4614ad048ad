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
/** netevd as its unit runs it. */
const UNIT_ENV = { NODE_OPTIONS: SHIPPED_NODE_OPTIONS };

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
      const netevdDir = tempDir();
      timeHook(netevdDir, "routable", join(out, "netevd"));
      const nddDir = tempDir();
      timeHook(nddDir, "routable", join(out, "ndd"));
      const ndd = await env.startNetworkdDispatcher(client, nddDir);
      const config = join(netevdDir, "netevd.yaml");
      writeFileSync(
        config,
        `system: { backend: systemd-networkd, user: nobody }\nscripts: { dir: ${netevdDir} }\n`,
      );
      const d = startDaemon(client, config, { DBUS_SYSTEM_BUS_ADDRESS: env.busAddress, ...UNIT_ENV });
      // netevd running networkd-dispatcher's hook directory in its style, as after
      // netevd-migrate --from-networkd-dispatcher; `reads` is what its hook reads.
      const styleDaemon = (name: string, reads: string) => {
        const dir = tempDir();
        chmodSync(dir, 0o755);
        const hook = timeHook(dir, "routable", join(out, name));
        writeFileSync(hook, `#!/bin/sh\ndate +%s.%N >> ${join(out, name)}\n${reads}\n`);
        const config = join(tempDir(), "netevd.yaml");
        writeFileSync(
          config,
          `system: { backend: systemd-networkd, user: nobody }\nscripts: { dir: ${tempDir()}, directories: [{ path: ${dir}, style: networkd-dispatcher }] }\n`,
        );
        return startDaemon(
          client,
          config,
          { DBUS_SYSTEM_BUS_ADDRESS: env.busAddress, ...UNIT_ENV },
          [],
          undefined,
          env.networkdView(client),
        );
      };
      // One whose hook reads nothing of its environment, one whose hook reads $json
      // (netevd runs `networkctl status` for it, as networkd-dispatcher did).
      const ds = styleDaemon("style", "");
      const dj = styleDaemon("json", ': "$json"');
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
      const samples = {
        netevd: [] as number[],
        ndd: [] as number[],
        style: [] as number[],
        json: [] as number[],
        floor: [] as number[],
      };
      try {
        if (!(await waitFor(() => [d, ds, dj].every((x) => x.output().includes("ready:")))))
          throw new Error(d.output() + ds.output() + dj.output());
        for (let i = 0; i < TRIALS; i++) {
          ip(server, "link", "set", "nd0p", "down");
          await waitFor(() => signals.at(-1)?.state === "no-carrier", 5000);
          await new Promise((r) => setTimeout(r, 400));
          const [a, b, c, j, s] = [
            times(join(out, "netevd")).length,
            times(join(out, "ndd")).length,
            times(join(out, "style")).length,
            times(join(out, "json")).length,
            signals.length,
          ];
          const t0 = nowMs();
          ip(server, "link", "set", "nd0p", "up");
          await waitFor(
            () =>
              times(join(out, "netevd")).length > a &&
              times(join(out, "ndd")).length > b &&
              times(join(out, "style")).length > c &&
              times(join(out, "json")).length > j,
            10_000,
          );
          const ta = times(join(out, "netevd"))[a];
          const tb = times(join(out, "ndd"))[b];
          const tc = times(join(out, "style"))[c];
          if (tc !== undefined) samples.style.push(tc - t0);
          const tj = times(join(out, "json"))[j];
          if (tj !== undefined) samples.json.push(tj - t0);
          const sig = signals.slice(s).find((x) => x.state === "routable");
          if (ta !== undefined) samples.netevd.push(ta - t0);
          if (tb !== undefined) samples.ndd.push(tb - t0);
          if (sig) samples.floor.push(sig.t - t0);
        }
        memory.push(
          { subject: "netevd (unit's flags)", rssMb: rssMb(d.child.pid as number) },
          { subject: "networkd-dispatcher (Python)", rssMb: rssMb(ndd.child.pid as number) },
        );
      } finally {
        bus.disconnect();
        for (const x of [d, ds, dj]) x.child.kill("SIGTERM");
        await Promise.all([d.exit, ds.exit, dj.exit]);
      }
      const sc = "networkd peer up";
      rows.push({
        scenario: sc,
        subject: "PropertiesChanged routable (floor)",
        summary: summarize(samples.floor),
        samples: samples.floor,
      });
      rows.push({
        scenario: sc,
        subject: "netevd routable.d",
        summary: summarize(samples.netevd),
        samples: samples.netevd,
      });
      rows.push({
        scenario: sc,
        subject: "netevd running networkd-dispatcher's routable.d",
        summary: summarize(samples.style),
        samples: samples.style,
      });
      rows.push({
        scenario: sc,
        subject: "netevd running networkd-dispatcher's routable.d that reads $json",
        summary: summarize(samples.json),
        samples: samples.json,
      });
      rows.push({
        scenario: sc,
        subject: "networkd-dispatcher routable.d",
        summary: summarize(samples.ndd),
        samples: samples.ndd,
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
