// vpn-up and vpn-down against REAL NetworkManager with its real OpenVPN plugin
// (network-manager-openvpn and openvpn, extracted, never installed) and a real
// OpenVPN server in a second namespace, side by side with NetworkManager's own
// dispatcher: the same dispatcher.d script gets the same arguments and
// variables from both, as often; netevd's own style runs vpn-up.d and
// vpn-down.d for the tunnel. A VPN that was up before netevd started still
// runs its vpn-down (and no vpn-up).
import { chmodSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { recorded, recordingScripts, startDaemon } from "../helpers/daemon";
import { dispatcherRouteSet, recordingDispatcherScript, records } from "../helpers/nm-records";
import {
  havePeers,
  nmDaemonConfig,
  nmPair,
  nmOpenvpnProfile,
  nmStaticProfile,
  PeerEnv,
} from "../helpers/peers";
import { waitFor } from "../helpers/proc";
import { tempDir } from "../helpers/tmp";

const VPN_UUID = "5d0e3c1e-7a44-4b8e-9c6a-0d2b1f000009";

describe.runIf(havePeers)("real NetworkManager with its OpenVPN plugin: vpn-up, vpn-down", () => {
  it("run as NetworkManager's dispatcher runs them, once per change, for the tunnel", async () => {
    const { client, server } = nmPair("10.213.9.1/24");
    const env = new PeerEnv();
    await env.startBus();
    const { key } = await env.startOpenvpnServer(server, "tun0");

    const dir = tempDir();
    chmodSync(dir, 0o755);
    const out = tempDir();
    chmodSync(out, 0o777);
    recordingDispatcherScript(dir, out);
    const nmd = await env.startNmDispatcher(client, dir);
    const nm = await env.startNetworkManager(
      client,
      {
        "nm1-static.nmconnection": nmStaticProfile({
          id: "nm1-static",
          uuid: "5d0e3c1e-7a44-4b8e-9c6a-0d2b1f000008",
          iface: "nm1",
          address: "10.213.9.2/24",
          gateway: "10.213.9.1",
        }),
        "vpn1.nmconnection": nmOpenvpnProfile({ id: "vpn1", uuid: VPN_UUID, remote: "10.213.9.1", key }),
      },
      { openvpn: true, dispatcherDir: dir },
    );
    const logs = () => `${nmd.log().slice(-3000)}\n${nm.log().slice(-3000)}`;
    expect(
      await waitFor(() => /^nm1:connected/m.test(env.nmcli("-t", "-f", "DEVICE,STATE", "device")), 20_000),
      logs(),
    ).toBe(true);
    const count = (who: "nm" | "netevd", action: string) => records(out, who, action).length;

    // Up before netevd starts: NetworkManager's dispatcher alone runs it.
    env.nmcli("--wait", "30", "connection", "up", "vpn1");
    expect(await waitFor(() => count("nm", "vpn-up") === 1), logs()).toBe(true);

    const own = tempDir();
    recordingScripts(own, ["vpn-up", "vpn-down"]);
    const config = nmDaemonConfig([
      [dir, "nm-dispatcher"],
      [own, "netevd"],
    ]);
    const d = startDaemon(client, config, { DBUS_SYSTEM_BUS_ADDRESS: env.busAddress });
    try {
      expect(await waitFor(() => d.output().includes("ready:")), d.output()).toBe(true);
      const both = (action: string, n: number) =>
        waitFor(() => count("nm", action) >= n && count("netevd", action) >= n, 20_000);
      // openvpn names its tunnel tun0, tun1 … (the first free name).
      const same = (action: string, i: number) => {
        const real = records(out, "nm", action)[i]!;
        const ours = records(out, "netevd", action)[i - (action === "vpn-up" ? 1 : 0)]!;
        expect(real.args).toMatch(new RegExp(`^tun\\d+ ${action}$`));
        expect(ours.args).toBe(real.args);
        expect(dispatcherRouteSet(ours.env)).toEqual(dispatcherRouteSet(real.env));
        return real.env;
      };

      // Down (netevd never saw it come up), up again, down again.
      env.nmcli("connection", "down", "vpn1");
      expect(await both("vpn-down", 1), d.output() + logs()).toBe(true);
      const down = same("vpn-down", 0);
      expect(down).toMatchObject({ CONNECTION_ID: "vpn1", CONNECTION_UUID: VPN_UUID });
      expect(down.DEVICE_IFACE).toBe("nm1");
      expect(down.VPN_IP4_ADDRESS_0).toBeUndefined();

      env.nmcli("--wait", "30", "connection", "up", "vpn1");
      expect(
        (await both("vpn-up", 1)) && (await waitFor(() => count("nm", "vpn-up") === 2)),
        d.output(),
      ).toBe(true);
      const up = same("vpn-up", 1);
      const tun = up.VPN_IP_IFACE!;
      expect(up).toMatchObject({
        CONNECTION_ID: "vpn1",
        DEVICE_IFACE: "nm1",
        DEVICE_IP_IFACE: "nm1",
        VPN_IP_IFACE: expect.stringMatching(/^tun\d+$/),
        IP4_ADDRESS_0: "10.213.9.2/24 10.213.9.1",
        VPN_IP4_NAMESERVERS: "10.8.0.1",
      });
      expect(up.VPN_IP4_ADDRESS_0).toMatch(/^10\.8\.0\.2\/\d+ /);
      // netevd's own style runs after the nm-dispatcher style (the directories' order).
      expect(await waitFor(() => recorded(own, "vpn-up", tun).length === 1), d.output()).toBe(true);
      const vpnUp = recorded(own, "vpn-up", tun);
      expect(vpnUp[0]).toMatchObject({ EVENT: "vpn-up", LINK: tun, BACKEND: "NetworkManager" });
      expect(vpnUp[0]!.ADDRESSES).toContain("10.8.0.2");

      env.nmcli("connection", "down", "vpn1");
      expect(await both("vpn-down", 2), d.output()).toBe(true);
      expect(same("vpn-down", 1).VPN_IP_IFACE).toBe(tun);
      // Each once: two downs, one up (netevd started after the first) in both styles.
      expect([count("nm", "vpn-up"), count("netevd", "vpn-up"), count("netevd", "vpn-down")]).toEqual([
        2, 1, 2,
      ]);
      const ownRuns = (event: string) =>
        readdirSync(join(own, "out")).filter((f) => f.startsWith(`${event}.`));
      expect(await waitFor(() => ownRuns("vpn-down").length === 2), d.output()).toBe(true);
      expect(recorded(own, "vpn-down", tun)).toHaveLength(1);
      expect(ownRuns("vpn-up")).toHaveLength(1);
      d.child.kill("SIGTERM");
      expect(await d.exit).toBe(0);
    } finally {
      d.child.kill("SIGKILL");
    }
  }, 120_000);
});
