// What hostile clients and churn cost the daemon, measured on the built CLI
// (NETEVD_CLI=… measures another build, e.g. an older checkout, side by side):
//  1. event followers that stop reading (a paused `netevd events --follow | less`):
//     20 stalled over 10,000 events; 50 stalled and 200 reading over 20,000;
//     the daemon's RSS before and after, its peak, /healthz time at the end;
//  2. churn: 1,000 veth pairs deleted among 2,000 links: netlink messages the
//     daemon read and the CPU time it spent.

import { readFileSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { afterAll, describe, it } from "vitest";
import { CLI } from "../test/helpers/cli";
import { apiConfig, startDaemon } from "../test/helpers/daemon";
import { httpGet, metric } from "../test/helpers/http";
import { createNetns, ip, veth } from "../test/helpers/netns";
import { waitFor } from "../test/helpers/proc";
import { nowMs, writeResults } from "./stats";

type Row = { scenario: string; measure: string; value: number; unit: string };
const rows: Row[] = [];
const row = (scenario: string, measure: string, value: number, unit: string) =>
  rows.push({ scenario, measure, value: Math.round(value * 10) / 10, unit });

const status = (pid: number, key: string) =>
  Number(
    new RegExp(`^${key}:\\s+(\\d+) kB$`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0,
  ) / 1024;
/** User + system CPU seconds of a process (/proc/PID/stat fields 14 and 15, in clock ticks). */
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(f[11]) + Number(f[12])) / 100;
}

function daemon(opts: { interfaces?: string[] }) {
  return { ns: createNetns(), ...apiConfig(opts) };
}

/** Links the daemon knows: its metric, or (older builds) the length of /v1/links. */
async function linksKnown(socket: string): Promise<number> {
  try {
    return await metric(socket, "netevd_links");
  } catch {
    const body = JSON.parse((await httpGet({ socketPath: socket }, "/v1/links")).text) as unknown;
    return Array.isArray(body) ? body.length : Object.keys(body as object).length;
  }
}

function follower(socket: string, read: boolean): Socket {
  const s = connect(socket);
  s.on("error", () => undefined);
  s.on("data", () => undefined);
  s.write("GET /v1/events?follow=1 HTTP/1.1\r\nHost: netevd\r\n\r\n");
  if (!read) s.once("data", () => s.pause());
  return s;
}

/** `count` address events on `dev`, in batches small enough not to overrun the netlink socket. */
async function addressEvents(ns: string, dir: string, dev: string, count: number): Promise<void> {
  for (let b = 0; b * 200 < count; b++) {
    const lines = Array.from({ length: 100 }, (_, i) => {
      const a = `10.${100 + (b % 100)}.${i}.1/24`;
      return `address add ${a} dev ${dev}\naddress del ${a} dev ${dev}`;
    });
    writeFileSync(join(dir, "batch"), `${lines.join("\n")}\n`);
    ip(ns, "-batch", join(dir, "batch"));
    await new Promise((r) => setTimeout(r, 60));
  }
}

async function followers(scenario: string, stalled: number, reading: number, events: number) {
  const { ns, dir, socket, config } = daemon({ interfaces: ["bf0"] });
  veth(ns, "bf0", "bf1");
  const d = startDaemon(ns, config);
  try {
    await waitFor(() => d.output().includes("ready: "));
    const pid = d.child.pid!;
    const clients = [
      ...Array.from({ length: stalled }, () => follower(socket, false)),
      ...Array.from({ length: reading }, () => follower(socket, true)),
    ];
    await new Promise((r) => setTimeout(r, 500));
    const before = status(pid, "VmRSS");
    await addressEvents(ns, dir, "bf0", events);
    await new Promise((r) => setTimeout(r, 1000));
    const t0 = nowMs();
    await httpGet({ socketPath: socket }, "/healthz");
    row(scenario, "/healthz", nowMs() - t0, "ms");
    row(scenario, "RSS before", before, "MB");
    row(scenario, "RSS after", status(pid, "VmRSS"), "MB");
    row(scenario, "RSS peak", status(pid, "VmHWM"), "MB");
    row(
      scenario,
      "followers dropped",
      (d.output().match(/an event follower stopped reading/g) ?? []).length,
      "",
    );
    for (const c of clients) c.destroy();
  } finally {
    d.child.kill("SIGKILL");
  }
}

afterAll(() => {
  if (!rows.length) return;
  const w = [8, 20, 10].map((m, i) =>
    Math.max(m, ...rows.map((r) => [r.scenario, r.measure, String(r.value)][i]!.length)),
  );
  console.log(`\nresilience (${CLI})`);
  for (const r of rows)
    console.log(
      `${r.scenario.padEnd(w[0]!)}  ${r.measure.padEnd(w[1]!)}  ${String(r.value).padStart(w[2]!)} ${r.unit}`,
    );
  writeResults("bench-resilience.json", { cli: CLI, results: rows });
});

describe("resilience", () => {
  it("20 followers that stop reading, 10,000 events", () => followers("20 stalled", 20, 0, 10_000));
  it("50 stalled and 200 reading followers, 20,000 events", () =>
    followers("50 stalled + 200 reading", 50, 200, 20_000));

  it("churn: 1,000 veth pairs deleted among 2,000 links", async () => {
    const { ns, dir, socket, config } = daemon({});
    const add = Array.from({ length: 1000 }, (_, i) => [
      `link add bc${i}a type veth peer name bc${i}b`,
      `link set bc${i}a up`,
      `link set bc${i}b up`,
      `address add 10.${100 + (i >> 8)}.${i & 255}.1/24 dev bc${i}a`,
    ]).flat();
    writeFileSync(join(dir, "add"), `${add.join("\n")}\n`);
    ip(ns, "-batch", join(dir, "add"));
    const d = startDaemon(ns, config);
    try {
      await waitFor(() => d.output().includes("ready: "), 60_000);
      const pid = d.child.pid!;
      await new Promise((r) => setTimeout(r, 1000));
      const messages = await metric(socket, "netevd_netlink_messages_total");
      const cpu = cpuSeconds(pid);
      // One `ip link del` after the other, as churn comes.
      for (let i = 0; i < 1000; i++) ip(ns, "link", "del", `bc${i}a`);
      let links = -1;
      await waitFor(() => {
        void linksKnown(socket).then(
          (n) => (links = n),
          () => undefined,
        );
        return links === 1;
      }, 300_000);
      // Settled: the re-reads the last deletions scheduled are done.
      await new Promise((r) => setTimeout(r, 1000));
      const read = (await metric(socket, "netevd_netlink_messages_total")) - messages;
      row("churn", "netlink messages", read, "");
      row("churn", "messages per pair", read / 1000, "");
      row("churn", "daemon CPU", cpuSeconds(pid) - cpu, "s");
    } finally {
      d.child.kill("SIGKILL");
    }
  });
});
