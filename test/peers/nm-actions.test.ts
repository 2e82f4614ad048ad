// Against REAL NetworkManager (extracted, never installed): its DNS
// configuration changing runs dns-change.d, once; a device appearing and going
// runs device-add.d and device-delete.d for it, in netevd's own style. In the
// nm-dispatcher style dns-change runs as NetworkManager 1.44 and later
// dispatch it ($1 empty); device-add and device-delete never run there:
// NetworkManager calls those only for a generic device handler, and waits for
// the script to create the device, which netevd cannot stand in for.
import { chmodSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { recorded, recordingScripts, startDaemon } from "../helpers/daemon";
import { ip } from "../helpers/netns";
import { havePeers, nmDaemonConfig, nmPair, nmStaticProfile, PeerEnv } from "../helpers/peers";
import { waitFor } from "../helpers/proc";
import { fileLines, tempDir, writeScript } from "../helpers/tmp";

const PROFILE = nmStaticProfile({
  id: "nm1-static",
  uuid: "5d0e3c1e-7a44-4b8e-9c6a-0d2b1f000007",
  iface: "nm1",
  address: "10.213.7.2/24",
  gateway: "10.213.7.1",
  dns: "10.213.7.1",
});

describe.runIf(havePeers)("real NetworkManager: dns-change, device-add, device-delete", () => {
  it("run once per change, with the device's name; the nm-dispatcher style runs dns-change only", async () => {
    const { client } = nmPair();
    const env = new PeerEnv();
    await env.startBus();
    await env.startNetworkManager(client, { "nm1-static.nmconnection": PROFILE });
    expect(
      await waitFor(() => /^nm1:connected/m.test(env.nmcli("-t", "-f", "DEVICE,STATE", "device")), 20_000),
    ).toBe(true);

    const dir = tempDir();
    recordingScripts(dir, ["dns-change", "device-add", "device-delete"]);
    const order = join(dir, "out", "order");
    for (const e of ["dns-change", "device-add", "device-delete"])
      writeScript(join(dir, `${e}.d`), "20-order", `echo "$EVENT $LINK" >> ${order}`);
    const nmDir = tempDir();
    chmodSync(nmDir, 0o755);
    const nmLog = join(dir, "out", "nm-style");
    writeScript(nmDir, "10-record", `echo "[$1] [$2] $NM_DISPATCHER_ACTION" >> ${nmLog}`);
    // The nm-dispatcher style first: an event's own-style run shows that its nm-dispatcher one is done.
    const config = nmDaemonConfig([
      [nmDir, "nm-dispatcher"],
      [dir, "netevd"],
    ]);
    const d = startDaemon(client, config, { DBUS_SYSTEM_BUS_ADDRESS: env.busAddress });
    try {
      expect(await waitFor(() => d.output().includes("ready:")), d.output()).toBe(true);

      // A new DNS server, applied to the active connection.
      env.nmcli("connection", "modify", "nm1-static", "ipv4.dns", "10.213.7.1,10.213.7.53");
      env.nmcli("device", "reapply", "nm1");
      expect(await waitFor(() => fileLines(order).length >= 1), d.output()).toBe(true);
      const dnsChange = recorded(dir, "dns-change", "")[0]!;
      expect(dnsChange).toMatchObject({ EVENT: "dns-change", LINKINDEX: "0", BACKEND: "NetworkManager" });
      expect(dnsChange.LINK).toBeUndefined();

      // A device NetworkManager sees come and go (both ends of a veth).
      ip(client, "link", "add", "nm2", "type", "veth", "peer", "name", "nm3");
      expect(await waitFor(() => fileLines(order).length >= 3), d.output()).toBe(true);
      ip(client, "link", "del", "nm2");
      expect(await waitFor(() => fileLines(order).length >= 5), d.output()).toBe(true);
      expect(fileLines(order)[0]).toBe("dns-change ");
      expect(fileLines(order).slice(1, 3).sort()).toEqual(["device-add nm2", "device-add nm3"]);
      expect(fileLines(order).slice(3).sort()).toEqual(["device-delete nm2", "device-delete nm3"]);
      expect(recorded(dir, "device-add", "nm2")[0]).toMatchObject({ EVENT: "device-add", LINK: "nm2" });

      // The nm-dispatcher style ran dns-change as NetworkManager's dispatcher does, and nothing for
      // the devices (its directory runs before the own style's in each event).
      expect(fileLines(nmLog).filter((l) => /dns-change|device-/.test(l))).toEqual([
        "[] [dns-change] dns-change",
      ]);
      d.child.kill("SIGTERM");
      expect(await d.exit).toBe(0);
    } finally {
      d.child.kill("SIGKILL");
    }
  }, 60_000);
});
