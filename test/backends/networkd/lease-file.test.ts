// systemd-networkd's lease files: the values events carry, what counts as new
// data, and the watch that turns a file's changes into acquired, changed and
// lost. The file is networkd's, but its values came from a DHCP server.
import { execFileSync } from "node:child_process";
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { parseNetworkdLease } from "../../../src/backends/networkd/lease-file";
import { type DescribeReply, parseDescribe } from "../../../src/backends/networkd/describe-link";
import { dhcp6Lease } from "../../../src/backends/networkd/dhcp6";
import { NetworkdLeases } from "../../../src/backends/networkd/leases";
import type { LeaseData } from "../../../src/links/link-table";
import { getLogger } from "../../../src/log/logger";
import { waitFor } from "../../helpers/proc";
import { tempDir } from "../../helpers/tmp";

/** As systemd 252 wrote it for a dnsmasq lease. */
const V252 = `# This is private data. Do not parse.
ADDRESS=10.213.1.124
NETMASK=255.255.255.0
ROUTER=10.213.1.1
SERVER_ADDRESS=10.213.1.1
NEXT_SERVER=10.213.1.1
BROADCAST=10.213.1.255
T1=60
T2=105
LIFETIME=120
DNS=10.213.1.1 10.213.1.9
NTP=10.213.1.5
DOMAINNAME=peers.test
DOMAIN_SEARCH_LIST=a.test b.test.
HOSTNAME=peer-given
CLIENTID=ffb76c413d00020000ab110033bdebf95e192c
`;

describe("networkd lease file", () => {
  it("gives the lease's values", () => {
    const lease = parseNetworkdLease(V252);
    expect(lease?.info).toEqual({
      address: "10.213.1.124",
      gateway: "10.213.1.1",
      dns: ["10.213.1.1", "10.213.1.9"],
      domain: "peers.test a.test b.test",
      hostname: "peer-given",
      lease_seconds: 120,
      server: "10.213.1.1",
      lease_text: V252,
      subnet_mask: "255.255.255.0",
    });
  });

  it("renewal times are no news; the lease time, DNS, NTP and the address are", () => {
    const fp = (text: string) => parseNetworkdLease(text)?.fingerprint;
    const base = fp(V252);
    expect(fp(V252.replace("T1=60", "T1=53").replace("T2=105", "T2=98"))).toBe(base);
    for (const [from, to] of [
      ["LIFETIME=120", "LIFETIME=600"],
      ["DNS=10.213.1.1 10.213.1.9", "DNS=10.213.1.1"],
      ["NTP=10.213.1.5", "NTP=10.213.1.6"],
      ["ADDRESS=10.213.1.124", "ADDRESS=10.213.1.125"],
    ] as const)
      expect(fp(V252.replace(from, to)), to).not.toBe(base);
  });

  it("no address: no lease; JSON, should a later systemd write it, reads the same names", () => {
    expect(parseNetworkdLease("# This is private data. Do not parse.\nT1=60\n")).toBeNull();
    expect(parseNetworkdLease("")).toBeNull();
    const json = parseNetworkdLease(
      JSON.stringify({
        Address: [10, 0, 0, 5],
        Router: [[10, 0, 0, 1]],
        DNS: ["10.0.0.2", "10.0.0.3"],
        Lifetime: 60,
      }),
    );
    expect(json?.info).toMatchObject({
      address: "10.0.0.5",
      gateway: "10.0.0.1",
      dns: ["10.0.0.2", "10.0.0.3"],
      lease_seconds: 60,
    });
  });

  it("never throws, whatever the file holds", () => {
    const alphabet = fc.constantFrom(...'ADRESSOUTNMH_=\n #{}[]":,.0123456789 \u0000é');
    fc.assert(
      fc.property(fc.string({ unit: alphabet, maxLength: 300 }), (s) => {
        const lease = parseNetworkdLease(s);
        if (lease) expect(typeof lease.fingerprint).toBe("string");
      }),
    );
  });
});

/** A DescribeLink reply as networkd 252 sends it, read as netevd reads it. */
const describe6 = (addresses: object[], dns: object[] = []) =>
  parseDescribe(JSON.stringify({ Index: 7, Addresses: addresses, DNS: dns })) as DescribeReply;
const ADDR6 = {
  Family: 10,
  Address: [253, 19, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 59],
  PrefixLength: 128,
  FlagsString: "no-prefixroute",
  ValidLifetimeUsec: 43988416360,
  ConfigSource: "DHCPv6",
  ConfigState: "configured",
  ConfigProvider: [254, 128, 0, 0, 0, 0, 0, 0, 212, 47, 82, 255, 254, 237, 131, 198],
};
const DNS6 = {
  Family: 10,
  Address: [253, 19, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
  ConfigSource: "DHCPv6",
};

describe("networkd DHCPv6 lease (DescribeLink)", () => {
  it("what the lease configured, without its moving lifetimes; pending while an address is tentative", () => {
    const lease = dhcp6Lease(
      describe6(
        [
          ADDR6,
          {
            ...ADDR6,
            ConfigSource: "foreign",
            Address: [254, 128, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
          },
        ],
        [DNS6, { ...DNS6, ConfigSource: "static" }],
      ),
    );
    expect(lease).not.toBe("pending");
    expect((lease as LeaseData).info).toMatchObject({
      address: "fd13:1::13b",
      dns: ["fd13:1::1"],
      server: "fe80::d42f:52ff:feed:83c6",
    });
    const later = dhcp6Lease(describe6([{ ...ADDR6, ValidLifetimeUsec: 44988416360 }], [DNS6]));
    expect((later as LeaseData).fingerprint).toBe((lease as LeaseData).fingerprint);
    expect(dhcp6Lease(describe6([{ ...ADDR6, FlagsString: "tentative,no-prefixroute" }], [DNS6]))).toBe(
      "pending",
    );
    expect(dhcp6Lease(describe6([{ ...ADDR6, ConfigState: "requesting" }], [DNS6]))).toBe("pending");
    expect(dhcp6Lease(describe6([], [{ ...DNS6, ConfigSource: "DHCPv4" }]))).toBeNull();
    expect(parseDescribe("not json")).toBeNull();
  });
});

/** No DescribeLink in the DHCPv4 cases. */
const noDescribe = () => Promise.resolve(null);

describe("networkd lease watch", () => {
  let leases: NetworkdLeases | undefined;
  afterEach(() => leases?.close());

  /** A state directory whose leases/ holds `files`, watched; the changes seen, as "IFINDEX FAMILY CHANGE". */
  function leaseDir(files: Record<string, string>) {
    const state = tempDir();
    const dir = join(state, "leases");
    mkdirSync(dir);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const seen: string[] = [];
    const watch = new NetworkdLeases({
      dir: state,
      describe: noDescribe,
      log: getLogger("test"),
      onChange: (i, f, c) => seen.push(`${i} ${f} ${c}`),
    });
    leases = watch;
    watch.start();
    return { dir, seen, watch };
  }

  it("existing leases are read, not events; then acquired, nothing for new T1/T2, changed, lost", async () => {
    const { dir, seen, watch } = leaseDir({ "3": V252 });
    expect(watch.lease(3)?.info.address).toBe("10.213.1.124");
    // As networkd writes: a temporary file renamed into place.
    const put = (name: string, text: string) => {
      writeFileSync(join(dir, `.#${name}tmp`), text);
      renameSync(join(dir, `.#${name}tmp`), join(dir, name));
    };
    put("4", V252.replace("10.213.1.124", "10.213.1.130"));
    expect(await waitFor(() => seen.length >= 1)).toBe(true);
    put("4", V252.replace("10.213.1.124", "10.213.1.130").replace("T1=60", "T1=51"));
    put(
      "4",
      V252.replace("10.213.1.124", "10.213.1.130").replace("DNS=10.213.1.1 10.213.1.9", "DNS=10.213.1.7"),
    );
    expect(await waitFor(() => seen.length >= 2)).toBe(true);
    rmSync(join(dir, "3"));
    expect(await waitFor(() => seen.length >= 3)).toBe(true);
    expect(seen).toEqual(["4 4 acquired", "4 4 changed", "3 4 lost"]);
    expect(watch.lease(4)?.info.dns).toEqual(["10.213.1.7"]);
    expect(watch.lease(3)).toBeNull();
  });

  it("DHCPv6: a lease there at start is a fact; a new DNS server at a link file rewrite is a change", async () => {
    const state = tempDir();
    mkdirSync(join(state, "links"));
    const link = "ADMIN_STATE=configured\nDHCP6_CLIENT_IAID=0xb0f047b\n";
    writeFileSync(join(state, "links", "7"), link);
    let dns = [DNS6];
    const seen: string[] = [];
    const watch = new NetworkdLeases({
      dir: state,
      describe: () => Promise.resolve(describe6([ADDR6], dns)),
      log: getLogger("test"),
      onChange: (i, f, c) => seen.push(`${i} ${f} ${c}`),
    });
    leases = watch;
    watch.start();
    expect(await waitFor(() => watch.lease(7, 6) !== null)).toBe(true);
    dns = [DNS6, { ...DNS6, Address: [253, 19, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9] }];
    writeFileSync(join(state, "links", ".#7tmp"), `${link}DNS=fd13:1::1 fd13:1::9\n`);
    renameSync(join(state, "links", ".#7tmp"), join(state, "links", "7"));
    expect(await waitFor(() => seen.length >= 1)).toBe(true);
    expect(seen).toEqual(["7 6 changed"]);
    expect(watch.lease(7, 6)?.info.dns).toEqual(["fd13:1::1", "fd13:1::9"]);
    // Without its lease a link's other events carry the DHCPv6 one.
    expect(watch.lease(7)?.info.address).toBe("fd13:1::13b");
  });

  it("a FIFO in the directory is refused without blocking; other names are not leases", async () => {
    const { dir, seen } = leaseDir({});
    execFileSync("mkfifo", [join(dir, "5")]);
    writeFileSync(join(dir, "lldp"), V252);
    writeFileSync(join(dir, "6"), V252);
    expect(await waitFor(() => seen.length >= 1)).toBe(true);
    expect(seen).toEqual(["6 4 acquired"]);
  });
});
