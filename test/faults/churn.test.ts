// Link churn costs per link, not per table: deleting links among 2,000 must
// not re-read every link, address, route and rule each time. Before the fix a
// deleted or downed link re-dumped all four tables; deleting 1,000 veth pairs
// read about 2,000 netlink messages per pair. The bound here counts messages
// the daemon read (netevd_netlink_messages_total) per deleted pair.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { apiConfig, startDaemon } from "../helpers/daemon";
import { metric } from "../helpers/http";
import { canNetns, createNetns, ip } from "../helpers/netns";
import { waitFor } from "../helpers/proc";
import { tempDir } from "../helpers/tmp";

const PAIRS = 1000;
const CHUNKS = 50;
/** Per pair: its two links going down and away, their addresses and routes; re-reading them is small. */
const MESSAGES_PER_PAIR = 60;

describe.runIf(canNetns)("link churn", () => {
  it(`deleting ${PAIRS} veth pairs (of ${2 * PAIRS} links) reads a bounded number of netlink messages per pair`, async () => {
    const ns = createNetns();
    const dir = tempDir();
    const lines: string[] = [];
    for (let i = 0; i < PAIRS; i++) {
      const [a, b] = [`ch${i}a`, `ch${i}b`];
      lines.push(
        `link add ${a} type veth peer name ${b}`,
        `link set ${a} up`,
        `link set ${b} up`,
        `address add 10.${100 + (i >> 8)}.${i & 255}.1/24 dev ${a}`,
      );
    }
    writeFileSync(join(dir, "add"), `${lines.join("\n")}\n`);
    ip(ns, "-batch", join(dir, "add"));
    const { socket, config } = apiConfig({ dir });
    const d = startDaemon(ns, config);
    try {
      expect(await waitFor(() => d.output().includes("ready: ")), d.output()).toBe(true);
      const links = () => metric(socket, "netevd_links");
      expect(await links()).toBe(2 * PAIRS + 1);
      const before = await metric(socket, "netevd_netlink_messages_total");
      // In chunks, each seen through before the next: every chunk's downs and
      // deletions are handled on their own, as spread-out churn is.
      const perChunk = PAIRS / CHUNKS;
      for (let c = 0; c < CHUNKS; c++) {
        const del = Array.from({ length: perChunk }, (_, j) => `link del ch${c * perChunk + j}a`);
        writeFileSync(join(dir, "del"), `${del.join("\n")}\n`);
        ip(ns, "-batch", join(dir, "del"));
        const left = 2 * (PAIRS - (c + 1) * perChunk) + 1;
        let seen = -1;
        expect(
          await waitFor(() => {
            void links().then((n) => (seen = n));
            return seen === left;
          }, 30_000),
          `chunk ${c}: ${seen} links, ${left} expected`,
        ).toBe(true);
      }
      const read = (await metric(socket, "netevd_netlink_messages_total")) - before;
      expect(read / PAIRS, `${read} netlink messages for ${PAIRS} pairs`).toBeLessThan(MESSAGES_PER_PAIR);
      expect(await metric(socket, "netevd_netlink_resyncs_total")).toBe(0);
      d.child.kill("SIGTERM");
      expect(await d.exit).toBe(0);
    } finally {
      d.child.kill("SIGKILL");
    }
  }, 240_000);
});
