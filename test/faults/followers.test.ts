// `netevd events --follow` readers that stop reading (a paused pager): each is
// dropped once FOLLOWER_BUFFER bytes wait for it, so the daemon's memory stays
// bounded, and readers that keep reading are served on. Without the bound, 20
// stalled readers each kept every event queued for them (3 MB apiece here).
import { connect, type Socket } from "node:net";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MAX_FOLLOWERS } from "../../src/api/server";
import { apiConfig, startDaemon } from "../helpers/daemon";
import { canNetns, createNetns, ip, veth } from "../helpers/netns";
import { waitFor, waitForAsync } from "../helpers/proc";
import { metric } from "../helpers/http";

const STALLED = 20;
const rssMiB = (pid: number) =>
  Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;

function follower(socket: string): {
  s: Socket;
  bytes: () => number;
  closed: () => boolean;
  head: () => string;
} {
  const s = connect(socket);
  let bytes = 0;
  let head = "";
  let closed = false;
  s.on("data", (d: Buffer) => {
    if (bytes === 0) head = d.toString("latin1", 0, 16);
    bytes += d.length;
  });
  s.on("close", () => (closed = true));
  s.on("error", () => (closed = true));
  s.write("GET /v1/events?follow=1 HTTP/1.1\r\nHost: netevd\r\n\r\n");
  return { s, bytes: () => bytes, closed: () => closed, head: () => head };
}

describe.runIf(canNetns)("event followers", () => {
  it("a follower that stops reading is dropped with a logged reason; memory stays bounded; readers go on", async () => {
    const ns = createNetns();
    veth(ns, "fo0", "fo1");
    const { dir, socket, config } = apiConfig({ interfaces: ["fo0"] });
    const d = startDaemon(ns, config);
    try {
      expect(await waitFor(() => d.output().includes("ready: ")), d.output()).toBe(true);
      const stalled = Array.from({ length: STALLED }, () => follower(socket));
      const reader = follower(socket);
      expect(await waitFor(() => stalled.every((f) => f.bytes() > 0) && reader.bytes() > 0)).toBe(true);
      for (const f of stalled) f.s.pause();
      const before = rssMiB(d.child.pid!);
      // About 7 MB of events per follower: addresses in their own /24, added and
      // removed, in small batches (a burst would overrun the netlink socket, and
      // a re-sync reports only the net change: nothing).
      for (let b = 0; b < 30; b++) {
        const batch = Array.from({ length: 100 }, (_, i) => {
          const a = `10.${100 + b}.${i}.1/24`;
          return `address add ${a} dev fo0\naddress del ${a} dev fo0`;
        }).join("\n");
        writeFileSync(join(dir, "batch"), `${batch}\n`);
        const read = await metric(socket, "netevd_netlink_messages_total");
        ip(ns, "-batch", join(dir, "batch"));
        // The next batch once the daemon has read most of this one (each change is 2-3 messages).
        expect(
          await waitForAsync(
            async () => (await metric(socket, "netevd_netlink_messages_total")) >= read + 400,
          ),
        ).toBe(true);
      }
      expect(
        await waitFor(
          () => (d.output().match(/an event follower stopped reading/g) ?? []).length === STALLED,
          60_000,
        ),
        `dropped ${(d.output().match(/an event follower stopped reading/g) ?? []).length}, events ${(d.output().match(/"msg":"event /g) ?? []).length}, stalled got ${stalled.map((f) => f.bytes()).join(",")}`,
      ).toBe(true);
      // What they hold is bounded by FOLLOWER_BUFFER each; the daemon's heap
      // still grows with the event traffic itself, so only a coarse ceiling here.
      expect(rssMiB(d.child.pid!) - before).toBeLessThan(150);
      expect(reader.closed()).toBe(false);
      const got = reader.bytes();
      ip(ns, "address", "add", "10.250.0.1/24", "dev", "fo0");
      expect(await waitFor(() => reader.bytes() > got)).toBe(true);
      // More followers than allowed at once (the reader is one): the rest are told so.
      const many = Array.from({ length: MAX_FOLLOWERS + 5 }, () => follower(socket));
      expect(
        await waitFor(
          () =>
            many.filter((f) => f.head().startsWith("HTTP/1.1 503")).length ===
            many.length - (MAX_FOLLOWERS - 1),
        ),
      ).toBe(true);
      for (const f of [...stalled, reader, ...many]) f.s.destroy();
      d.child.kill("SIGTERM");
      expect(await d.exit).toBe(0);
    } finally {
      d.child.kill("SIGKILL");
    }
  }, 180_000);
});
