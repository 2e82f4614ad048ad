// Against REAL NetworkManager (extracted, never installed) in the test's
// namespace: its activation runs activated.d; `nmcli device disconnect` runs
// disconnected.d, with the device mapped to the right link.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { recorded, recordingScripts, startDaemon } from "../helpers/daemon";
import { ifindexOf } from "../helpers/netns";
import { havePeers, nmPair, PeerEnv } from "../helpers/peers";
import { waitFor } from "../helpers/proc";
import { tempDir } from "../helpers/tmp";

const PROFILE = `[connection]
id=nm1-static
uuid=5d0e3c1e-7a44-4b8e-9c6a-0d2b1f000002
type=ethernet
interface-name=nm1
autoconnect=true
[ipv4]
method=manual
address1=10.213.5.2/24,10.213.5.1
dns=10.213.5.1;
dns-search=nm.peers.test;
[ipv6]
method=disabled
`;

describe.runIf(havePeers)("real NetworkManager", () => {
  it("runs activated.d when NM activates a device and disconnected.d on nmcli device disconnect", async () => {
    const { client } = nmPair();
    const nm1 = ifindexOf(client, "nm1");
    const env = new PeerEnv();
    await env.startBus();
    const dir = tempDir();
    recordingScripts(dir, ["activated", "disconnected"]);
    const config = join(dir, "netevd.yaml");
    writeFileSync(config, `system: { backend: NetworkManager, user: nobody }\nscripts: { dir: ${dir} }\n`);
    // netevd first: NetworkManager is waited for, and its devices' changes are events.
    const d = startDaemon(client, config, { DBUS_SYSTEM_BUS_ADDRESS: env.busAddress });
    try {
      expect(await waitFor(() => d.output().includes("NetworkManager is not running")), d.output()).toBe(
        true,
      );
      const nm = await env.startNetworkManager(client, { "nm1-static.nmconnection": PROFILE });
      expect(
        await waitFor(() => recorded(dir, "activated", "nm1").length === 1, 20_000),
        d.output() + nm.log().slice(-3000),
      ).toBe(true);
      const activated = recorded(dir, "activated", "nm1")[0]!;
      expect(activated).toMatchObject({
        LINK: "nm1",
        LINKINDEX: String(nm1),
        STATE: "activated",
        BACKEND: "NetworkManager",
        ADDRESSES: "10.213.5.2",
        GATEWAY: "10.213.5.1",
        DNS: "10.213.5.1",
        DOMAINS: "nm.peers.test",
      });
      expect(JSON.parse(activated.JSON!)).toMatchObject({
        state: { administrative: "activated", operational: "routable" },
      });

      env.nmcli("device", "disconnect", "nm1");
      expect(await waitFor(() => recorded(dir, "disconnected", "nm1").length === 1), d.output()).toBe(true);
      expect(recorded(dir, "disconnected", "nm1")[0]).toMatchObject({
        LINKINDEX: String(nm1),
        STATE: "disconnected",
      });
      d.child.kill("SIGTERM");
      expect(await d.exit).toBe(0);
    } finally {
      d.child.kill("SIGKILL");
    }
  });
});
