// The pieces of the script styles that scripts see byte for byte: the json of
// networkd-dispatcher style (Python's json.dumps, checked against python3
// itself), its reading of `networkctl status`, NetworkManager-dispatcher's
// variables (DHCP options from the network kept in bounds), the Rust
// netevd's flat JSON.
import type { NmView } from "../../src/events/event";
import { spawnSync } from "node:child_process";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { networkdDispatcherEnv, parseNetworkctlStatus } from "../../src/scripts/styles/networkd-dispatcher";
import { nmDeviceEnv } from "../../src/scripts/styles/nm-dispatcher";
import { rustJson } from "../../src/scripts/styles/netevd-rust";
import { pythonJson } from "../../src/scripts/styles/python-json";
import { makeEvent } from "../helpers/events";
import { allowedVariable, EXECUTOR_SET } from "../../src/privileged/request";

const STATUS = `● 3: nd0
                     Link File: /usr/lib/systemd/network/99-default.link
                  Network File: /etc/systemd/network/10-nd0.network
                         State: routable (configured)
                  Online state: online
                          Type: ether
                          Kind: veth
                       Address: 10.213.1.2 (DHCP4 via 10.213.1.1)
                                fe80::1
                       Gateway: 10.213.1.1
                           DNS: 10.213.1.1
`;

/** Names netevd-privileged would refuse: a privileged hook of this style would never run. */
const refusedByExecutor = (env: Record<string, string | undefined>) =>
  Object.keys(env).filter((k) => !allowedVariable(k) && !EXECUTOR_SET.has(k));

describe("networkd-dispatcher style", () => {
  it("reads networkctl status as networkd-dispatcher did: lists, continuations, DHCP4 suffix dropped", () => {
    expect(parseNetworkctlStatus(STATUS)).toMatchObject({
      State: ["routable (configured)"],
      Type: "ether",
      Address: ["10.213.1.2", "fe80::1"],
      Gateway: ["10.213.1.1"],
      "Online state": ["online"],
    });
  });

  it("gives its variables; IP_ADDRS and IP6_ADDRS leave out 127.* and fe80:", () => {
    const e = makeEvent({ event: "routable" });
    const env = networkdDispatcherEnv(
      {
        ...e,
        link: { ...e.link, name: "nd0" },
        state: { ...e.state, operational: "routable", administrative: "configured" },
      },
      STATUS.replace("fe80::1", "2001:db8::5"),
    );
    expect(env).toMatchObject({
      IFACE: "nd0",
      STATE: "routable",
      ADDR: "10.213.1.2",
      IP_ADDRS: "10.213.1.2",
      IP6_ADDRS: "2001:db8::5",
      ESSID: "",
      OperationalState: "routable",
      AdministrativeState: "configured",
    });
    expect(JSON.parse(env.json!)).toMatchObject({ State: "routable (configured)", InterfaceName: "nd0" });
    expect(refusedByExecutor(env)).toEqual([]);
  });

  it("keeps a __proto__ line as a key, as Python does", () => {
    const env = networkdDispatcherEnv(makeEvent(), "● 2: x\n__proto__: [1]\nconstructor: y\n");
    const parsed = JSON.parse(env.json!) as Record<string, unknown>;
    expect(Object.getOwnPropertyDescriptor(parsed, "__proto__")?.value).toEqual(["[1]"]);
    expect(parsed.constructor).toEqual(["y"]);
    expect(env.json).toContain('"__proto__": ["[1]"]');
  });

  it("reads any networkctl output without throwing, into lists and the three single strings", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 2000 }), (out) => {
        const data = parseNetworkctlStatus(out);
        for (const [k, v] of Object.entries(data))
          expect(["Type", "ESSID", "OperationalState"].includes(k) ? typeof v : Array.isArray(v)).toBe(
            ["Type", "ESSID", "OperationalState"].includes(k) ? "string" : true,
          );
        // What scripts get is valid JSON whatever networkctl printed.
        expect(() => JSON.parse(pythonJson(data, true)) as unknown).not.toThrow();
      }),
      { numRuns: 300 },
    );
  });

  const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
    v: fc.oneof(
      { maxDepth: 3 },
      fc.string({ unit: "binary" }),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.array(tie("v"), { maxLength: 4 }),
      fc.dictionary(fc.string({ unit: "binary", maxLength: 6 }), tie("v"), { maxKeys: 4 }),
    ),
  })).v;

  it("writes JSON exactly as python3's json.dumps(sort_keys=True) does", () => {
    const samples = fc.sample(value, 200);
    const py = spawnSync(
      "python3",
      ["-c", "import json,sys\nfor l in sys.stdin: print(json.dumps(json.loads(l), sort_keys=True))"],
      { input: samples.map((s) => JSON.stringify(s)).join("\n") + "\n", encoding: "utf8" },
    );
    expect(py.status).toBe(0);
    expect(samples.map((s) => pythonJson(s, true))).toEqual(py.stdout.split("\n").slice(0, -1));
  });
});

const VIEW: NmView = {
  connection: {
    id: "office",
    uuid: "u-1",
    path: "/org/freedesktop/NetworkManager/Settings/1",
    filename: "/etc/x",
    external: false,
  },
  iface: "eth0",
  ipIface: "eth0",
  ip4: {
    addresses: [{ address: "10.0.0.5", prefix: 24 }],
    gateway: "10.0.0.1",
    routes: [
      { dest: "0.0.0.0", prefix: 0, nextHop: "10.0.0.1", metric: 100 },
      { dest: "10.0.0.0", prefix: 24, nextHop: "", metric: 100 },
    ],
    nameservers: ["10.0.0.1"],
    domains: ["corp.example"],
  },
  ip6: null,
  dhcp4: {
    ip_address: "10.0.0.5",
    "bad key": "x",
    host_name: "a\nb",
    domain_name: "x".repeat(5000),
    routers: "10.0.0.1",
  },
  dhcp6: null,
  activated: true,
};

describe("nm-dispatcher style", () => {
  const view = VIEW;

  it("builds the variables as nm-dispatcher does: addresses with the gateway, routes without the default", () => {
    expect(nmDeviceEnv("up", view, true)).toEqual({
      PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
      NM_DISPATCHER_ACTION: "up",
      CONNECTION_ID: "office",
      CONNECTION_UUID: "u-1",
      CONNECTION_DBUS_PATH: "/org/freedesktop/NetworkManager/Settings/1",
      CONNECTION_FILENAME: "/etc/x",
      DEVICE_IFACE: "eth0",
      DEVICE_IP_IFACE: "eth0",
      IP4_ADDRESS_0: "10.0.0.5/24 10.0.0.1",
      IP4_NUM_ADDRESSES: "1",
      IP4_GATEWAY: "10.0.0.1",
      IP4_ROUTE_0: "10.0.0.0/24 0.0.0.0 100",
      IP4_NUM_ROUTES: "1",
      IP4_NAMESERVERS: "10.0.0.1",
      IP4_DOMAINS: "corp.example",
      // From the network: a key that is no name, a value with a newline, one of 5000 characters are left out.
      DHCP4_IP_ADDRESS: "10.0.0.5",
      DHCP4_ROUTERS: "10.0.0.1",
    });
    expect(refusedByExecutor(nmDeviceEnv("up", view, true))).toEqual([]);
  });

  it("leaves out a value NetworkManager took from the network with a control character in it", () => {
    const env = nmDeviceEnv(
      "up",
      { ...view, ip4: { ...view.ip4!, domains: ["corp.example\nEVIL=1"] } },
      true,
    );
    expect(env).not.toHaveProperty("IP4_DOMAINS");
    expect(env.IP4_GATEWAY).toBe("10.0.0.1");
  });

  it("gives a down only the connection and the device", () => {
    expect(Object.keys(nmDeviceEnv("down", view, false)).sort()).toEqual([
      "CONNECTION_DBUS_PATH",
      "CONNECTION_FILENAME",
      "CONNECTION_ID",
      "CONNECTION_UUID",
      "DEVICE_IFACE",
      "DEVICE_IP_IFACE",
      "NM_DISPATCHER_ACTION",
      "PATH",
    ]);
  });
});

describe("nm-dispatcher style, VPN actions", () => {
  const parent: NmView = {
    ...VIEW,
    connection: { ...VIEW.connection!, id: "vpn1" },
    ip4: { ...VIEW.ip4!, routes: [], nameservers: [], domains: [] },
    dhcp4: null,
  };
  const tunnel = {
    addresses: [{ address: "10.8.0.2", prefix: 32, peer: "10.8.0.1" }],
    gateway: "",
    routes: [{ dest: "10.9.0.0", prefix: 16, nextHop: "10.8.0.1", metric: 50 }],
    nameservers: ["10.8.0.1"],
    domains: [],
  };
  const empty6 = { addresses: [], gateway: "", routes: [], nameservers: [], domains: [] };

  it("vpn-up: the VPN's connection, its parent device's configuration, VPN_IP_IFACE and VPN_IP4_*", () => {
    const env = nmDeviceEnv(
      "vpn-up",
      { ...parent, vpn: { ipIface: "tun0", ip4: tunnel, ip6: empty6 } },
      true,
    );
    expect(env).toMatchObject({
      NM_DISPATCHER_ACTION: "vpn-up",
      CONNECTION_ID: "vpn1",
      DEVICE_IFACE: "eth0",
      IP4_ADDRESS_0: "10.0.0.5/24 10.0.0.1",
      IP4_NUM_ROUTES: "0",
      VPN_IP_IFACE: "tun0",
      VPN_IP4_ADDRESS_0: "10.8.0.2/32 0.0.0.0",
      VPN_IP4_NUM_ADDRESSES: "1",
      VPN_IP4_GATEWAY: "0.0.0.0",
      VPN_IP4_ROUTE_0: "10.9.0.0/16 10.8.0.1 50",
      VPN_IP4_NUM_ROUTES: "1",
      VPN_IP4_NAMESERVERS: "10.8.0.1",
      VPN_IP6_GATEWAY: "0.0.0.0",
    });
    expect(env).not.toHaveProperty("VPN_IP6_NUM_ROUTES");
    expect(refusedByExecutor(env)).toEqual([]);
  });

  it("vpn-down: no VPN configuration but its empty IPv4 route count; no VPN_* for a VPN without its own interface", () => {
    const down = nmDeviceEnv("vpn-down", { ...parent, vpn: { ipIface: "tun0", ip4: null, ip6: null } }, true);
    expect(
      Object.keys(down)
        .filter((k) => k.startsWith("VPN_"))
        .sort(),
    ).toEqual(["VPN_IP4_NUM_ROUTES", "VPN_IP_IFACE"]);
    expect(down.VPN_IP4_NUM_ROUTES).toBe("0");
    const ipsec = nmDeviceEnv("vpn-up", { ...parent, vpn: { ipIface: null, ip4: tunnel, ip6: null } }, true);
    expect(Object.keys(ipsec).filter((k) => k.startsWith("VPN_"))).toEqual([]);
  });
});

describe("netevd-rust style", () => {
  it("writes the Rust netevd's flat JSON: its key order, IPv4 before IPv6, empty values left out", () => {
    const e = makeEvent();
    const json = rustJson({
      ...e,
      addresses: [
        { address: "fe80::1", prefix_length: 64, family: "ipv6", scope: "link" },
        { address: "10.1.1.1", prefix_length: 24, family: "ipv4", scope: "global" },
      ],
      dns: [],
      state: { operational: "routable", administrative: null, carrier: null, address: null, online: null },
    });
    expect(Object.keys(json)[0]).toBe("ifindex");
    expect(json).toMatchObject({
      ifname: e.link.name,
      oper_state: "routable",
      addresses: ["10.1.1.1", "fe80::1"],
    });
    expect(json).not.toHaveProperty("dns");
    expect(json).not.toHaveProperty("admin_state");
  });
});
