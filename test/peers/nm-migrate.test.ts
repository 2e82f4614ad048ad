// netevd-migrate --from-nm-dispatcher end to end, against the REAL
// NetworkManager and its own dispatcher: a dispatcher.d with plain scripts, a
// script for up and pre-up linked into pre-up.d, a pre-down.d script and one
// for vpn-up. After the migration every script still runs, for a device and
// for a real OpenVPN connection: NetworkManager's dispatcher runs pre-up.d
// and pre-down.d only, netevd runs the rest, and no action runs twice.
import { chmodSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { netevd } from "../helpers/cli";
import { startDaemon } from "../helpers/daemon";
import { havePeers, nmPair, nmOpenvpnProfile, nmStaticProfile, PeerEnv } from "../helpers/peers";
import { waitFor } from "../helpers/proc";
import { tempDir, writeScript } from "../helpers/tmp";

const VPN_UUID = "5d0e3c1e-7a44-4b8e-9c6a-0d2b1f00000a";

const PROFILE = nmStaticProfile({
  id: "nm1-static",
  uuid: "5d0e3c1e-7a44-4b8e-9c6a-0d2b1f000008",
  iface: "nm1",
  address: "10.213.8.2/24",
  gateway: "10.213.8.1",
  autoconnect: false,
});

describe.runIf(havePeers)("netevd-migrate --from-nm-dispatcher against the real NetworkManager", () => {
  it("every script still runs: pre-up.d and pre-down.d by NetworkManager's dispatcher, the rest by netevd", async () => {
    const root = tempDir("netevd-migrate-");
    chmodSync(root, 0o755);
    const d = join(root, "etc/NetworkManager/dispatcher.d");
    const out = tempDir();
    chmodSync(out, 0o777);
    // Each run leaves WHO.SCRIPT.ACTION.N (WHO: nm or netevd, by netevd's own BACKEND variable).
    const record = (name: string) =>
      `#!/bin/sh\nwho=nm; [ -n "$BACKEND" ] && who=netevd\n: > ${out}/$who.${name}.$2.$(date +%s%N)\n`;
    writeScript(d, "10-plain", record("10-plain"));
    writeScript(d, "20-both", record("20-both"));
    writeScript(
      d,
      "30-vpn",
      `${record("30-vpn")}case "$2" in vpn-up) echo "vpn up on $VPN_IP_IFACE" > ${out}/vpn-up.$who ;; esac\n`,
    );
    writeScript(join(d, "pre-down.d"), "10-own", record("10-own"));
    mkdirSync(join(d, "pre-up.d"));
    symlinkSync("../20-both", join(d, "pre-up.d/20-both"));
    const m = netevd(["migrate", "--root", root, "--from-nm-dispatcher", "--apply", "--format", "json"]);
    expect(m.status, m.stdout + m.stderr).toBe(0);

    // The migrated configuration, run as the tests run netevd: user nobody, the hooks unprivileged
    // (privileged: true would need the executor's unit; what runs is the point here), and the
    // image's /etc/netevd/nm-dispatcher.d by its path here.
    const etcNetevd = join(root, "etc/netevd");
    const doc = parseDocument(readFileSync(join(etcNetevd, "netevd.yaml"), "utf8"));
    expect(doc.getIn(["scripts", "directories", 0, "path"])).toBe("/etc/netevd/nm-dispatcher.d");
    doc.setIn(["system", "user"], "nobody");
    doc.setIn(["scripts", "dir"], tempDir());
    doc.setIn(["scripts", "directories", 0, "path"], join(etcNetevd, "nm-dispatcher.d"));
    doc.setIn(["scripts", "directories", 0, "privileged"], false);
    const config = join(tempDir(), "netevd.yaml");
    writeFileSync(config, doc.toString());

    const { client, server } = nmPair("10.213.8.1/24");
    const env = new PeerEnv();
    await env.startBus();
    const { key } = await env.startOpenvpnServer(server, "tun0");
    const vpn = nmOpenvpnProfile({ id: "vpn1", uuid: VPN_UUID, remote: "10.213.8.1", key });
    await env.startNetworkManager(
      client,
      { "nm1.nmconnection": PROFILE, "vpn1.nmconnection": vpn },
      { dispatcherDir: d, etcNetevd, openvpn: true },
    );
    await env.startNmDispatcher(client, d, etcNetevd);
    const daemon = startDaemon(client, config, { DBUS_SYSTEM_BUS_ADDRESS: env.busAddress });
    /** WHO's runs in order, as "SCRIPT ACTION"; netevd's of up, down, vpn-up (it also runs connectivity-change). */
    const runs = (who: string) =>
      readdirSync(out)
        .filter(
          (f) =>
            f.startsWith(`${who}.`) &&
            (who === "nm" || / (vpn-)?(up|down)$/.test(f.split(".").slice(1, -1).join(" "))),
        )
        .sort((a, b) => Number(a.split(".").pop()) - Number(b.split(".").pop()))
        .map((f) => f.split(".").slice(1, -1).join(" "));
    try {
      expect(await waitFor(() => daemon.output().includes("ready:")), daemon.output()).toBe(true);
      env.nmcli("connection", "up", "nm1-static");
      expect(await waitFor(() => runs("netevd").length >= 3), daemon.output()).toBe(true);
      env.nmcli("connection", "down", "nm1-static");
      expect(await waitFor(() => runs("netevd").length >= 6), daemon.output()).toBe(true);
      // Up again: NetworkManager's dispatcher runs pre-up, which orders after every run of the down.
      env.nmcli("connection", "up", "nm1-static");
      expect(await waitFor(() => runs("nm").length >= 3 && runs("netevd").length >= 9), daemon.output()).toBe(
        true,
      );
      expect(runs("nm")).toEqual(["20-both pre-up", "10-own pre-down", "20-both pre-up"]);
      expect(runs("netevd")).toEqual([
        "10-plain up",
        "20-both up",
        "30-vpn up",
        "10-plain down",
        "20-both down",
        "30-vpn down",
        "10-plain up",
        "20-both up",
        "30-vpn up",
      ]);
      // A VPN: NetworkManager's dispatcher runs pre-up.d's script for vpn-pre-up, netevd the rest for vpn-up.
      env.nmcli("--wait", "30", "connection", "up", "vpn1");
      expect(
        await waitFor(() => runs("nm").length >= 4 && runs("netevd").length >= 12),
        daemon.output(),
      ).toBe(true);
      expect(runs("nm").slice(3)).toEqual(["20-both vpn-pre-up"]);
      expect(runs("netevd").slice(9)).toEqual(["10-plain vpn-up", "20-both vpn-up", "30-vpn vpn-up"]);
      expect(readFileSync(join(out, "vpn-up.netevd"), "utf8")).toBe("vpn up on tun0\n");
      expect(readdirSync(out)).not.toContain("vpn-up.nm");
      daemon.child.kill("SIGTERM");
      expect(await daemon.exit).toBe(0);
    } finally {
      daemon.child.kill("SIGKILL");
    }
  }, 90_000);
});
