// Against REAL systemd-networkd and dnsmasq: networkd's DHCPv4 lease runs
// dhcp4-change.d once when it is acquired, once when a renewal brings new data
// (a new DNS server), never for a renewal with nothing new, and once when it
// is lost (carrier gone), each with the lease's DHCP_* and DHCP_CHANGE; the
// routable.d of the same link gets the lease's DHCP_* too.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { recorded, recordingScripts, startDaemon } from "../helpers/daemon";
import { validEventJson } from "../helpers/event-schema";
import { ip } from "../helpers/netns";
import { havePeers, networkdTopology, type Peer } from "../helpers/peers";
import { waitFor } from "../helpers/proc";
import { fileLines, tempDir, writeScript } from "../helpers/tmp";

const ND0_DHCP = `[Match]
Name=nd0
[Network]
DHCP=ipv4
LinkLocalAddressing=no
IPv6AcceptRA=no
`;

const ND0_DHCP6 = `[Match]
Name=nd0
[Network]
DHCP=ipv6
LinkLocalAddressing=ipv6
IPv6AcceptRA=no
[DHCPv6]
WithoutRA=solicit
`;

/** One line per run, in the order the runs came: DHCP_CHANGE and the DHCP_* values. */
const LINE = '"$DHCP_CHANGE|$DHCP_ADDRESS|$DHCP_GATEWAY|$DHCP_DNS|$DHCP_DOMAIN|$DHCP_HOSTNAME"';

/** netevd beside the topology's networkd (its view of /run/systemd/netif), and what to show when a wait fails. */
function besideNetworkd(t: Awaited<ReturnType<typeof networkdTopology>>, config: string) {
  const d = startDaemon(
    t.client,
    config,
    { DBUS_SYSTEM_BUS_ADDRESS: t.env.busAddress },
    [],
    undefined,
    t.env.networkdView(t.client),
  );
  return { d, diag: () => d.output().slice(-6000) + t.networkd.log().slice(-3000) };
}

const acks = (dnsmasq: Peer) => (dnsmasq.log().match(/DHCPACK/g) ?? []).length;

describe.runIf(havePeers)("real systemd-networkd leases", () => {
  it("dhcp4-change: acquired, changed at a renewal with new DNS, none for nothing new, lost", async () => {
    const t = await networkdTopology({ "10-nd0.network": ND0_DHCP });
    const { server, nd0, env } = t;
    const dir = tempDir();
    recordingScripts(dir, ["dhcp4-change", "routable"]);
    const log = join(dir, "out", "dhcp4.log");
    writeScript(join(dir, "dhcp4-change.d"), "20-line", `echo ${LINE} >> ${log}`);
    // The same event in a networkd-dispatcher style directory: a hook there gets it as well.
    const hooks = tempDir();
    const ndLog = join(dir, "out", "nd-style.log");
    writeScript(
      join(hooks, "dhcp4-change.d"),
      "10-line",
      `echo "$IFACE $STATE ${"$DHCP_CHANGE"}" >> ${ndLog}`,
    );
    const config = join(dir, "netevd.yaml");
    writeFileSync(
      config,
      `system: { backend: systemd-networkd, user: nobody }
scripts:
  dir: ${dir}
  directories: [{ path: ${hooks}, style: networkd-dispatcher }]
`,
    );
    const { d, diag } = besideNetworkd(t, config);
    try {
      expect(await waitFor(() => d.output().includes("ready:")), d.output()).toBe(true);
      ip(server, "link", "set", "nd0p", "up");
      let dnsmasq = await env.startDnsmasq(server, "nd0p", "10.213.1");

      // Acquired.
      expect(await waitFor(() => fileLines(log).length >= 1, 20_000), diag()).toBe(true);
      const [change, address, gateway, dns, domain, hostname] = fileLines(log)[0]!.split("|");
      expect(address, diag()).toMatch(/^10\.213\.1\.1[0-4]\d$/);
      expect({ change, gateway, dns, domain, hostname }).toEqual({
        change: "acquired",
        gateway: "10.213.1.1",
        dns: "10.213.1.1",
        domain: "peers.test",
        hostname: "peer-given",
      });
      const first = recorded(dir, "dhcp4-change", "nd0")[0]!;
      expect(first).toMatchObject({ LINK: "nd0", LINKINDEX: String(nd0), EVENT: "dhcp4-change" });
      expect(first.DHCP_LEASE).toContain(`ADDRESS=${address}`);
      expect(validEventJson(first.JSON)).toMatchObject({
        event: "dhcp4-change",
        backend: "systemd-networkd",
        dhcp_change: "acquired",
        dhcp: {
          address,
          gateway: "10.213.1.1",
          dns: ["10.213.1.1"],
          lease_seconds: 120,
          server: "10.213.1.1",
        },
      });
      // routable.d of the same link has the lease as well.
      expect(await waitFor(() => recorded(dir, "routable", "nd0").length >= 1), diag()).toBe(true);
      expect(recorded(dir, "routable", "nd0")[0]).toMatchObject({
        DHCP_ADDRESS: address,
        DHCP_GATEWAY: "10.213.1.1",
        DHCP_DNS: "10.213.1.1",
      });
      expect(recorded(dir, "routable", "nd0")[0]!.DHCP_CHANGE).toBeUndefined();

      // A renewal with nothing new: dnsmasq acknowledges it, nothing runs (checked at the next run).
      const renew = () =>
        env.busctl(
          "call",
          "org.freedesktop.network1",
          "/org/freedesktop/network1",
          "org.freedesktop.network1.Manager",
          "RenewLink",
          "i",
          String(nd0),
        );
      const before = acks(dnsmasq);
      renew();
      expect(await waitFor(() => acks(dnsmasq) > before, 10_000), dnsmasq.log()).toBe(true);

      // A renewal with a new DNS server: changed.
      dnsmasq.child.kill("SIGTERM");
      await new Promise((r) => dnsmasq.child.once("exit", r));
      dnsmasq = await env.startDnsmasq(server, "nd0p", "10.213.1", { dns: "10.213.1.1,10.213.1.9" });
      renew();
      expect(await waitFor(() => fileLines(log).length >= 2, 15_000), diag() + dnsmasq.log()).toBe(true);
      expect(fileLines(log)[1]).toBe(
        `changed|${address}|10.213.1.1|10.213.1.1 10.213.1.9|peers.test|peer-given`,
      );

      // Lost: the carrier goes, networkd drops the lease.
      ip(server, "link", "set", "nd0p", "down");
      expect(await waitFor(() => fileLines(log).length >= 3, 15_000), diag()).toBe(true);
      expect(fileLines(log)[2]).toBe("lost|||||");

      // And acquired again: exactly four runs, in this order (none doubled, none for the plain renewal).
      ip(server, "link", "set", "nd0p", "up");
      expect(await waitFor(() => fileLines(log).length >= 4, 20_000), diag()).toBe(true);
      expect(fileLines(log).map((l) => l.split("|")[0])).toEqual(["acquired", "changed", "lost", "acquired"]);
      expect(await waitFor(() => fileLines(ndLog).length >= 4), diag()).toBe(true);
      expect(fileLines(ndLog)).toEqual([
        "nd0 dhcp4-change acquired",
        "nd0 dhcp4-change changed",
        "nd0 dhcp4-change lost",
        "nd0 dhcp4-change acquired",
      ]);
      d.child.kill("SIGTERM");
      expect(await d.exit).toBe(0);
    } finally {
      d.child.kill("SIGKILL");
    }
  }, 120_000);

  it("dhcp6-change: acquired, changed at the renewal after the server's DNS changed, lost", async () => {
    const t = await networkdTopology({ "10-nd0.network": ND0_DHCP6 });
    const { client, server, nd0, env } = t;
    const dir = tempDir();
    recordingScripts(dir, ["dhcp6-change"]);
    const log = join(dir, "out", "dhcp6.log");
    writeScript(join(dir, "dhcp6-change.d"), "20-line", `echo ${LINE} >> ${log}`);
    // No dhcp4-change for a DHCPv6 lease (checked once the DHCPv6 runs are in).
    writeScript(
      join(dir, "dhcp4-change.d"),
      "20-line",
      `echo "$DHCP_CHANGE" >> ${join(dir, "out", "dhcp4.log")}`,
    );
    const config = join(dir, "netevd.yaml");
    writeFileSync(config, `system: { backend: systemd-networkd, user: nobody }\nscripts: { dir: ${dir} }\n`);
    const { d, diag } = besideNetworkd(t, config);
    try {
      expect(await waitFor(() => d.output().includes("ready:")), d.output()).toBe(true);
      let dnsmasq = await env.startDnsmasq6(server, "nd0p", "[fd13:1::1]", [client, server]);
      ip(server, "link", "set", "nd0p", "up");

      expect(await waitFor(() => fileLines(log).length >= 1, 20_000), diag() + dnsmasq.log()).toBe(true);
      const [change, address, gateway, dns] = fileLines(log)[0]!.split("|");
      expect(address, diag()).toMatch(/^fd13:1::1[0-9a-f]{2}$/);
      expect({ change, gateway, dns }).toEqual({ change: "acquired", gateway: "", dns: "fd13:1::1" });
      const first = recorded(dir, "dhcp6-change", "nd0")[0]!;
      expect(first).toMatchObject({ LINK: "nd0", LINKINDEX: String(nd0), EVENT: "dhcp6-change" });
      expect(validEventJson(first.JSON)).toMatchObject({
        dhcp_change: "acquired",
        dhcp: { address, dns: ["fd13:1::1"], gateway: null },
      });

      // The server now gives a second DNS server: networkd sees it at its renewal (T1, about a minute).
      dnsmasq.child.kill("SIGTERM");
      await new Promise((r) => dnsmasq.child.once("exit", r));
      dnsmasq = await env.startDnsmasq6(server, "nd0p", "[fd13:1::1],[fd13:1::9]", []);
      expect(await waitFor(() => fileLines(log).length >= 2, 90_000), diag() + dnsmasq.log()).toBe(true);
      expect(fileLines(log)[1]).toBe(`changed|${address}||fd13:1::1 fd13:1::9||`);

      ip(server, "link", "set", "nd0p", "down");
      expect(await waitFor(() => fileLines(log).length >= 3, 15_000), diag()).toBe(true);
      expect(fileLines(log).map((l) => l.split("|")[0])).toEqual(["acquired", "changed", "lost"]);
      expect(fileLines(join(dir, "out", "dhcp4.log"))).toEqual([]);
      d.child.kill("SIGTERM");
      expect(await d.exit).toBe(0);
    } finally {
      d.child.kill("SIGKILL");
    }
  }, 180_000);
});
