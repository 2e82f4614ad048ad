// Against REAL systemd-networkd in the test's namespace: bringing the peer end
// of a veth up runs carrier.d, routable.d and configured.d with the exact
// environment; restarting networkd, and the bus, does not stop events.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { recorded, recordingScripts, startDaemon } from "../helpers/daemon";
import { validEventJson } from "../helpers/event-schema";
import { ip } from "../helpers/netns";
import { havePeers, ND0_STATIC, networkdTopology } from "../helpers/peers";
import { waitFor } from "../helpers/proc";
import { tempDir } from "../helpers/tmp";

describe.runIf(havePeers)("real systemd-networkd", () => {
  it("peer up runs carrier.d, routable.d, configured.d; networkd and bus restarts are survived", async () => {
    const t = await networkdTopology({ "10-nd0.network": ND0_STATIC });
    const { client, server, nd0, env } = t;
    let networkd = t.networkd;
    const dir = tempDir();
    recordingScripts(dir, ["carrier", "routable", "configured", "no-carrier", "configuring"]);
    const config = join(dir, "netevd.yaml");
    writeFileSync(config, `system: { backend: systemd-networkd, user: nobody }\nscripts: { dir: ${dir} }\n`);
    const d = startDaemon(client, config, { DBUS_SYSTEM_BUS_ADDRESS: env.busAddress });
    const count = (e: string) => recorded(dir, e, "nd0").length;
    try {
      expect(await waitFor(() => d.output().includes("ready:")), d.output()).toBe(true);
      // networkd brings nd0 up itself; wait until it says no-carrier (peer still down).
      await waitFor(
        () =>
          /no-carrier/.test(
            env.busctl(
              "get-property",
              "org.freedesktop.network1",
              `/org/freedesktop/network1/link/_3${nd0}`,
              "org.freedesktop.network1.Link",
              "OperationalState",
            ),
          ),
        5000,
      );
      const t0 = Date.now();
      ip(server, "link", "set", "nd0p", "up");
      // carrier.d runs, unless routable came while carrier still waited behind
      // the link's earlier work: a waiting state gives way to a later one of its
      // kind (netevd-scripts(7), ORDER AND COALESCING), and the daemon says so.
      const carrierRanOrReplaced = () =>
        count("carrier") >= 1 || /events of nd0 that never ran: \d+ replaced by a later one/.test(d.output());
      expect(
        await waitFor(() => carrierRanOrReplaced() && count("routable") >= 1 && count("configured") >= 1),
        d.output() + networkd.log().slice(-3000),
      ).toBe(true);
      const routableMs = Date.now() - t0;
      const routable = recorded(dir, "routable", "nd0")[0]!;
      expect(routable).toMatchObject({
        LINK: "nd0",
        LINKINDEX: String(nd0),
        STATE: "routable",
        EVENT: "routable",
        BACKEND: "systemd-networkd",
        ADDRESSES: "10.213.1.2",
        GATEWAY: "10.213.1.1",
        DNS: "10.213.1.1",
        DOMAINS: "static.peers.test",
        CAPEFF: "CapEff:\t0000000000000000",
      });
      const json = validEventJson(routable.JSON);
      expect(json).toMatchObject({
        schema: "netevd.event.v1",
        event: "routable",
        backend: "systemd-networkd",
        link: { name: "nd0", index: nd0, kind: "veth" },
        state: { operational: "routable", carrier: "carrier" },
        addresses: [{ address: "10.213.1.2", prefix_length: 24, family: "ipv4", scope: "global" }],
        gateway: "10.213.1.1",
        dns: ["10.213.1.1"],
        domains: ["static.peers.test"],
        dhcp: null,
        route: null,
      });
      console.log(`real networkd: peer up → routable.d ran within ${routableMs} ms (poll granularity 50 ms)`);

      // networkd restarts while netevd runs: the next change still runs scripts.
      networkd.child.kill("SIGTERM");
      await new Promise((r) => networkd.child.once("exit", r));
      networkd = await env.startNetworkd(client, { "10-nd0.network": ND0_STATIC });
      ip(server, "link", "set", "nd0p", "down");
      expect(await waitFor(() => count("no-carrier") >= 1), d.output()).toBe(true);
      ip(server, "link", "set", "nd0p", "up");
      expect(await waitFor(() => count("routable") >= 2), d.output()).toBe(true);

      // The bus restarts: networkd does not reconnect by itself (it is restarted, as systemd would);
      // netevd reconnects with backoff and re-reads the links.
      networkd.child.kill("SIGTERM");
      await new Promise((r) => networkd.child.once("exit", r));
      await env.restartBus();
      networkd = await env.startNetworkd(client, { "10-nd0.network": ND0_STATIC });
      expect(await waitFor(() => /systemd-networkd is back/.test(d.output()), 15_000), d.output()).toBe(true);
      const before = count("no-carrier");
      ip(server, "link", "set", "nd0p", "down");
      expect(await waitFor(() => count("no-carrier") > before), d.output()).toBe(true);
      d.child.kill("SIGTERM");
      expect(await d.exit).toBe(0);
    } finally {
      d.child.kill("SIGKILL");
    }
  });
});
