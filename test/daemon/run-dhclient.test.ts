// `netevd run` with the dhclient backend: kernel-derived states, lease files
// watched, DHCP_* from the current lease, routable again only for a renewal
// with new data; DNS/domains to (fake) resolved with the LinkBusy → networkd
// fallback and NoSuchLink retries; the host name to (fake) hostnamed as the
// transient name.
import { appendFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { recorded, recordingScripts, startDaemon } from "../helpers/daemon";
import { validEventJson } from "../helpers/event-schema";
import { FakeNetworkd, startPrivateBus } from "../helpers/dbus";
import { FakeHostnamed, FakeResolved } from "../helpers/fake-resolve";
import { canNetns, createNetns, ip, ipJson } from "../helpers/netns";
import { waitFor } from "../helpers/proc";
import { tempDir } from "../helpers/tmp";

const lease = (
  ifname: string,
  addr: string,
  dns: string,
  renew: string,
  host = "dh-host",
  domain = "peers.test",
) => `lease {
  interface "${ifname}";
  fixed-address ${addr};
  option subnet-mask 255.255.255.0;
  option routers ${addr.replace(/\.\d+$/, ".1")};
  option dhcp-lease-time 120;
  option domain-name-servers ${dns};
  option dhcp-server-identifier 10.213.3.1;
  option host-name "${host}";
  option domain-name "${domain}";
  renew 0 2099/11/22 ${renew};
  rebind 0 2099/11/22 05:00:00;
  expire 0 2099/11/22 05:01:00;
}
`;

describe.runIf(canNetns)("netevd run (backend dhclient)", () => {
  it("runs routable.d once per bound lease with DHCP_*, pushes DNS, domains and the transient host name", async () => {
    const ns = createNetns();
    for (const n of ["0", "1"]) {
      ip(ns, "link", "add", `dh${n}`, "type", "veth", "peer", "name", `dh${n}p`);
      ip(ns, "link", "set", `dh${n}p`, "up");
      ip(ns, "link", "set", `dh${n}`, "up");
    }
    const links = ipJson<{ ifindex: number; ifname: string }[]>(ns, "link", "show");
    const dh0 = links.find((l) => l.ifname === "dh0")!.ifindex;
    const dh1 = links.find((l) => l.ifname === "dh1")!.ifindex;
    const bus = await startPrivateBus();
    const resolved = new FakeResolved(bus.address);
    const hostnamed = new FakeHostnamed(bus.address);
    const networkd = new FakeNetworkd(bus.address);
    networkd.links.set(dh1, { ifindex: dh1, name: "dh1", props: {} });
    resolved.managed.add(dh1); // LinkBusy: the same call goes to networkd
    resolved.unknownFor.set(dh0, 2); // NoSuchLink twice, then known
    await Promise.all([resolved.start(), hostnamed.start(), networkd.start()]);

    const dir = tempDir();
    const leases = tempDir();
    recordingScripts(dir, ["routable", "carrier"]);
    const config = join(dir, "netevd.yaml");
    writeFileSync(
      config,
      `system: { backend: dhclient, user: nobody, log_level: debug }
scripts: { dir: ${dir} }
monitoring: { interfaces: ["dh[01]"] }
backends: { dhclient: { use_dns: true, use_domain: true, use_hostname: true, lease_files: ["${leases}/dhclient.*.leases"] } }
`,
    );
    const d = startDaemon(ns, config, { DBUS_SYSTEM_BUS_ADDRESS: bus.address });
    try {
      expect(await waitFor(() => d.output().includes("ready: 2 link(s)")), d.output()).toBe(true);
      // dhclient's order: the address and route first, the lease file a moment later.
      ip(ns, "addr", "add", "10.213.3.114/24", "dev", "dh0");
      ip(ns, "route", "add", "default", "via", "10.213.3.1", "dev", "dh0");
      expect(await waitFor(() => d.output().includes("dh0 is routable: waiting up to")), d.output()).toBe(
        true,
      );
      writeFileSync(
        join(leases, "dhclient.dh0.leases"),
        lease("dh0", "10.213.3.114", "10.213.3.1", "04:00:00"),
      );
      expect(await waitFor(() => recorded(dir, "routable", "dh0").length === 1), d.output()).toBe(true);
      expect(recorded(dir, "routable", "dh0")[0]).toMatchObject({
        LINK: "dh0",
        LINKINDEX: String(dh0),
        STATE: "routable",
        BACKEND: "dhclient",
        ADDRESSES: "10.213.3.114",
        GATEWAY: "10.213.3.1",
        DNS: "10.213.3.1",
        DOMAINS: "peers.test",
        DHCP_ADDRESS: "10.213.3.114",
        DHCP_GATEWAY: "10.213.3.1",
        DHCP_DNS: "10.213.3.1",
        DHCP_DOMAIN: "peers.test",
        DHCP_HOSTNAME: "dh-host",
      });
      expect(validEventJson(recorded(dir, "routable", "dh0")[0]!.JSON).dhcp).toMatchObject({
        address: "10.213.3.114",
        gateway: "10.213.3.1",
        dns: ["10.213.3.1"],
        domain: "peers.test",
        hostname: "dh-host",
      });
      expect(recorded(dir, "routable", "dh0")[0]!.DHCP_LEASE).toMatch(/^lease \{\n {2}interface "dh0";/);
      expect(await waitFor(() => resolved.links.get(dh0)?.domains.length === 1), d.output()).toBe(true);
      expect(resolved.links.get(dh0)).toEqual({ dns: ["10.213.3.1"], domains: [["peers.test", false]] });
      // The host name is pushed on its own: waited for, not assumed to come with resolved's.
      expect(await waitFor(() => hostnamed.transient.length > 0), d.output()).toBe(true);
      expect(hostnamed.transient).toEqual(["dh-host"]);
      expect(hostnamed.staticWrites).toEqual([]);

      // A renewal with the same data (new timers only) is not an event.
      appendFileSync(
        join(leases, "dhclient.dh0.leases"),
        lease("dh0", "10.213.3.114", "10.213.3.1", "04:01:00"),
      );
      // A renewal with new DNS servers is: routable again, and resolved follows.
      appendFileSync(
        join(leases, "dhclient.dh0.leases"),
        lease("dh0", "10.213.3.114", "10.213.3.1,10.213.3.2", "04:02:00"),
      );
      expect(await waitFor(() => recorded(dir, "routable", "dh0").length === 2), d.output()).toBe(true);
      // Two runs, not three: the renewal with the same data ran nothing (the link's events run in order).
      expect(recorded(dir, "routable", "dh0").map((e) => e.DHCP_DNS)).toEqual([
        "10.213.3.1",
        "10.213.3.1 10.213.3.2",
      ]);
      expect(await waitFor(() => resolved.links.get(dh0)?.dns.length === 2)).toBe(true);
      // A hostile server: 100 DNS servers and a search list with one bad entry.
      // Scripts and resolved get the same: the first 32 servers, the good domains.
      const many = Array.from({ length: 100 }, (_, i) => `10.213.${4 + (i >> 8)}.${i & 255}`);
      appendFileSync(
        join(leases, "dhclient.dh0.leases"),
        lease("dh0", "10.213.3.114", many.join(","), "04:03:00", "dh-host", "peers.test bad;name other.test"),
      );
      expect(await waitFor(() => recorded(dir, "routable", "dh0").length === 3), d.output()).toBe(true);
      const third = recorded(dir, "routable", "dh0")[2];
      expect(third?.DHCP_DNS).toBe(many.slice(0, 32).join(" "));
      expect(third?.DHCP_DOMAIN).toBe("peers.test other.test");
      expect(await waitFor(() => resolved.links.get(dh0)?.dns.length === 32), d.output()).toBe(true);
      expect(resolved.links.get(dh0)).toEqual({
        dns: many.slice(0, 32),
        domains: [
          ["peers.test", false],
          ["other.test", false],
        ],
      });

      // dh1: resolved says LinkBusy (networkd manages it): the same call went to networkd.
      ip(ns, "addr", "add", "10.213.6.5/24", "dev", "dh1");
      ip(ns, "route", "add", "default", "via", "10.213.6.1", "dev", "dh1", "metric", "200");
      writeFileSync(
        join(leases, "dhclient.dh1.leases"),
        lease("dh1", "10.213.6.5", "10.213.6.1", "04:00:00", "dh-host"),
      );
      expect(await waitFor(() => networkd.linkSettings.length === 2), d.output()).toBe(true);
      expect(networkd.linkSettings.map(([m, i]) => [m, i])).toEqual([
        ["SetLinkDNS", dh1],
        ["SetLinkDomains", dh1],
      ]);
      // Its script runs beside the push: waited for.
      expect(await waitFor(() => recorded(dir, "routable", "dh1").length === 1), d.output()).toBe(true);
      d.child.kill("SIGTERM");
      expect(await d.exit).toBe(0);
    } finally {
      d.child.kill("SIGKILL");
      for (const s of [resolved, hostnamed, networkd]) s.stop();
      bus.stop();
    }
  });
});
