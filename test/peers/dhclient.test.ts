// Against REAL dnsmasq + isc-dhclient, systemd-resolved and systemd-hostnamed:
// a bound lease runs routable.d with DHCP_*; its DNS servers and domain show up
// in resolved for that link; its host name becomes hostnamed's transient name
// (in hostnamed's own UTS namespace; the static name is never written).
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { recorded, recordingScripts, startDaemon } from "../helpers/daemon";
import { createNetns, ifindexOf, ip } from "../helpers/netns";
import { havePeers, PeerEnv } from "../helpers/peers";
import { waitFor } from "../helpers/proc";
import { tempDir } from "../helpers/tmp";

describe.runIf(havePeers)("real dnsmasq + dhclient, resolved, hostnamed", () => {
  it("routable.d gets DHCP_*; resolved gets the lease's DNS for the link; hostnamed the transient name", async () => {
    const client = createNetns();
    const server = createNetns();
    ip(client, "link", "add", "dh0", "type", "veth", "peer", "name", "dh0p", "netns", server);
    ip(server, "addr", "add", "10.213.3.1/24", "dev", "dh0p");
    ip(server, "link", "set", "dh0p", "up");
    ip(client, "link", "set", "dh0", "up");
    const dh0 = ifindexOf(client, "dh0");
    const env = new PeerEnv();
    await env.startBus();
    await env.startResolved(client);
    const hostnamed = await env.startHostnamed();
    await env.startDnsmasq(server, "dh0p", "10.213.3");

    const dir = tempDir();
    const leases = tempDir();
    recordingScripts(dir, ["routable", "off"]);
    const config = join(dir, "netevd.yaml");
    // user root (still with only CAP_NET_ADMIN): this private bus has no polkit, and without it
    // resolved and hostnamed accept only root callers. On a real system the package's polkit
    // rule lets the netevd user make exactly these calls (not exercised here: no polkitd).
    writeFileSync(
      config,
      `system: { backend: dhclient, user: root }
scripts: { dir: ${dir} }
backends: { dhclient: { use_dns: true, use_domain: true, use_hostname: true, lease_files: ["${leases}/dhclient.*.leases"] } }
`,
    );
    const d = startDaemon(client, config, { DBUS_SYSTEM_BUS_ADDRESS: env.busAddress });
    try {
      expect(await waitFor(() => d.output().includes("ready:")), d.output()).toBe(true);
      const dhclient = env.startDhclient(client, "dh0", join(leases, "dhclient.dh0.leases"));
      expect(
        await waitFor(() => recorded(dir, "routable", "dh0").length >= 1, 15_000),
        d.output() + dhclient.log(),
      ).toBe(true);
      const routable = recorded(dir, "routable", "dh0")[0]!;
      const address = routable.DHCP_ADDRESS!;
      expect(address, d.output()).toMatch(/^10\.213\.3\.1[0-4]\d$/);
      expect(routable).toMatchObject({
        LINK: "dh0",
        LINKINDEX: String(dh0),
        STATE: "routable",
        BACKEND: "dhclient",
        ADDRESSES: address,
        GATEWAY: "10.213.3.1",
        DHCP_GATEWAY: "10.213.3.1",
        DHCP_DNS: "10.213.3.1",
        DHCP_DOMAIN: "peers.test",
        DHCP_HOSTNAME: "peer-given",
      });
      expect(readdirSync(leases)).toContain("dhclient.dh0.leases");

      // resolved holds the lease's DNS server and domain for dh0.
      const linkPath = () =>
        env
          .busctl(
            "call",
            "org.freedesktop.resolve1",
            "/org/freedesktop/resolve1",
            "org.freedesktop.resolve1.Manager",
            "GetLink",
            "i",
            String(dh0),
          )
          .trim()
          .split(" ")[1]!
          .replace(/"/g, "");
      const prop = (name: string) =>
        env
          .busctl(
            "get-property",
            "org.freedesktop.resolve1",
            linkPath(),
            "org.freedesktop.resolve1.Link",
            name,
          )
          .trim();
      expect(await waitFor(() => prop("DNS") === "a(iay) 1 2 4 10 213 3 1"), d.output()).toBe(true);
      expect(prop("Domains")).toBe('a(sb) 1 "peers.test" false');

      // hostnamed: the transient host name is the lease's; its UTS namespace shows it; no static name.
      const hostProp = (name: string) =>
        env
          .busctl(
            "get-property",
            "org.freedesktop.hostname1",
            "/org/freedesktop/hostname1",
            "org.freedesktop.hostname1",
            name,
          )
          .trim();
      expect(await waitFor(() => hostProp("Hostname") === 's "peer-given"'), d.output()).toBe(true);
      expect(PeerEnv.utsHostname(hostnamed.child.pid!)).toBe("peer-given");
      expect(hostProp("StaticHostname")).toBe('s ""');
      // One routable for one bound lease, not one for the address and one for the lease
      // file: counted once the link's later off has run (its events run in order).
      ip(client, "link", "set", "dh0", "down");
      expect(await waitFor(() => recorded(dir, "off", "dh0").length === 1), d.output()).toBe(true);
      expect(recorded(dir, "routable", "dh0")).toHaveLength(1);
      d.child.kill("SIGTERM");
      expect(await d.exit).toBe(0);
    } finally {
      d.child.kill("SIGKILL");
    }
  });
});
