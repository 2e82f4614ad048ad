// NetworkManager-dispatcher scripts run by netevd (style nm-dispatcher), side
// by side with NetworkManager's own dispatcher (extracted, the ground truth)
// on REAL NetworkManager with a real DHCP server: the same script directory,
// the same events, and each script's arguments and variables compared.
import { chmodSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startDaemon } from "../helpers/daemon";
import { dispatcherView, recordingDispatcherScript, records } from "../helpers/nm-records";
import { havePeers, nmDaemonConfig, nmPair, PeerEnv } from "../helpers/peers";
import { waitFor } from "../helpers/proc";
import { tempDir, writeScript } from "../helpers/tmp";

const PROFILE = `[connection]
id=nm1-dhcp
uuid=5d0e3c1e-7a44-4b8e-9c6a-0d2b1f000003
type=ethernet
interface-name=nm1
autoconnect=true
[ipv4]
method=auto
dns-search=search.peers.test;
[ipv6]
method=disabled
`;

describe.runIf(havePeers)("nm-dispatcher style against NetworkManager's own dispatcher", () => {
  it("gives a dispatcher.d script the arguments and variables nm-dispatcher gives, for up and down", async () => {
    const { client, server } = nmPair("10.213.6.1/24");
    const env = new PeerEnv();
    await env.startBus();
    await env.startDnsmasq(server, "nm1p", "10.213.6");

    // /etc/NetworkManager/dispatcher.d as its users write it: a recorder, a
    // `case "$2"` hook, a Python hook; pre-up.d (not run by netevd) and no-wait.d.
    const dir = tempDir();
    chmodSync(dir, 0o755);
    const out = tempDir();
    chmodSync(out, 0o777);
    recordingDispatcherScript(dir, out);
    writeScript(
      dir,
      "20-case",
      `IFACE="$1"; ACTION="$2"; who=nm; [ -n "$BACKEND" ] && who=netevd
case "$ACTION" in
  up) echo "$IFACE up: $CONNECTION_ID $IP4_ADDRESS_0 via $IP4_GATEWAY, dns $IP4_NAMESERVERS" > ${out}/case.$who.up ;;
  down) echo "$IFACE down: $CONNECTION_ID" > ${out}/case.$who.down ;;
esac`,
    );
    writeScript(
      dir,
      "30-python",
      `#!/usr/bin/python3
import os, sys
who = "netevd" if os.environ.get("BACKEND") else "nm"
if sys.argv[2] == "up":
    with open("${out}/py." + who + ".up", "w") as f:
        f.write("%s %s %s %s" % (sys.argv[1], os.environ["CONNECTION_UUID"], os.environ["DHCP4_IP_ADDRESS"], os.environ["IP4_NUM_ADDRESSES"]))
`,
    );
    mkdirSync(join(dir, "pre-up.d"), { mode: 0o755 });
    writeScript(join(dir, "pre-up.d"), "10-pre", `touch ${out}/pre-up.$BACKEND`);
    mkdirSync(join(dir, "no-wait.d"), { mode: 0o755 });

    const nmd = await env.startNmDispatcher(client, dir);
    const config = nmDaemonConfig([[dir, "nm-dispatcher"]]);
    const d = startDaemon(client, config, { DBUS_SYSTEM_BUS_ADDRESS: env.busAddress });
    try {
      expect(await waitFor(() => d.output().includes("NetworkManager is not running")), d.output()).toBe(
        true,
      );
      const nm = await env.startNetworkManager(client, { "p.nmconnection": PROFILE }, { dispatcherDir: dir });
      const both = (action: string) =>
        waitFor(
          () => records(out, "nm", action).length >= 1 && records(out, "netevd", action).length >= 1,
          20_000,
        );
      expect(await both("up"), d.output() + nmd.log().slice(-2000) + nm.log().slice(-2000)).toBe(true);
      const [real] = records(out, "nm", "up");
      const [ours] = records(out, "netevd", "up");
      expect(ours!.args).toBe("nm1 up");
      expect(ours!.args).toBe(real!.args);
      expect(real!.env.IP4_ADDRESS_0).toMatch(/^10\.213\.6\.\d+\/24 10\.213\.6\.1$/);
      expect(dispatcherView(ours!.env)).toEqual(dispatcherView(real!.env));
      // netevd's own variables are there too.
      expect(ours!.env).toMatchObject({ LINK: "nm1", EVENT: "activated", BACKEND: "NetworkManager" });
      const hasAll = (...names: string[]) => waitFor(() => names.every((n) => readdirSync(out).includes(n)));
      expect(await hasAll("case.netevd.up", "case.nm.up")).toBe(true);
      expect(readFileSync(join(out, "case.netevd.up"), "utf8")).toBe(
        readFileSync(join(out, "case.nm.up"), "utf8"),
      );
      expect(await hasAll("py.netevd.up", "py.nm.up")).toBe(true);
      expect(readFileSync(join(out, "py.netevd.up"), "utf8")).toBe(
        readFileSync(join(out, "py.nm.up"), "utf8"),
      );

      // The DHCP lease's dhcp4-change (before the device is activated: no configurations yet),
      // NetworkManager's host name at its start, and its connectivity (none, then full).
      for (const action of ["dhcp4-change", "hostname", "connectivity-change"]) {
        expect(await both(action), `${action}\n${readdirSync(out).join(" ")}\n${d.output()}`).toBe(true);
        const [r] = records(out, "nm", action);
        const [o] = records(out, "netevd", action);
        expect(o!.args).toBe(r!.args);
        expect(dispatcherView(o!.env)).toEqual(dispatcherView(r!.env));
      }
      expect(records(out, "netevd", "hostname")[0]!.args).toBe("none hostname");
      expect(records(out, "netevd", "connectivity-change")[0]!.args).toBe(" connectivity-change");
      const states = (who: "nm" | "netevd") =>
        records(out, who, "connectivity-change").map((r) => r.env.CONNECTIVITY_STATE);
      const same = () => states("netevd").join() === states("nm").join();
      expect(await waitFor(() => states("nm").includes("FULL") && same())).toBe(true);
      expect(states("netevd")).toEqual(states("nm"));

      env.nmcli("device", "disconnect", "nm1");
      expect(await both("down"), d.output()).toBe(true);
      const [realDown] = records(out, "nm", "down");
      const [oursDown] = records(out, "netevd", "down");
      expect(oursDown!.args).toBe("nm1 down");
      expect(dispatcherView(oursDown!.env)).toEqual(dispatcherView(realDown!.env));
      expect(await waitFor(() => states("nm").at(-1) === "NONE" && same())).toBe(true);
      expect(states("netevd")).toEqual(states("nm"));
      expect(await hasAll("case.netevd.down", "case.nm.down")).toBe(true);
      expect(readFileSync(join(out, "case.netevd.down"), "utf8")).toBe(
        readFileSync(join(out, "case.nm.down"), "utf8"),
      );
      // Differentially: the device connected and disconnected once more; per device, the
      // same actions as NetworkManager's dispatcher ran, as often, in the same order.
      env.nmcli("device", "connect", "nm1");
      expect(
        await waitFor(
          () => records(out, "nm", "up").length >= 2 && records(out, "netevd", "up").length >= 2,
          20_000,
        ),
      ).toBe(true);
      env.nmcli("device", "disconnect", "nm1");
      const downs = (who: "nm" | "netevd") => records(out, who, "down").length;
      expect(await waitFor(() => downs("nm") >= 2 && downs("netevd") >= 2, 20_000), d.output()).toBe(true);
      const actions = (who: "nm" | "netevd") =>
        readdirSync(out)
          .filter((f) => f.startsWith(`${who}.`) && !f.endsWith(".t"))
          .map((f) => ({
            at: BigInt(f.split(".").at(-2) ?? "0"),
            args: readFileSync(join(out, f), "utf8").split("\0")[0]!,
          }))
          .filter((r) => r.args.startsWith("nm1 "))
          .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))
          .map((r) => r.args);
      expect(actions("netevd")).toEqual(actions("nm"));
      expect(actions("nm").filter((a) => a === "nm1 up")).toHaveLength(2);
      // NetworkManager waits for pre-up scripts; netevd cannot, and does not run them.
      expect(readdirSync(out)).toContain("pre-up.");
      expect(readdirSync(out)).not.toContain("pre-up.NetworkManager");
      d.child.kill("SIGTERM");
      expect(await d.exit).toBe(0);
    } finally {
      d.child.kill("SIGKILL");
    }
  }, 120_000);
});
