import { emptyStates, type NetworkEvent } from "../../src/events/event";

export function makeEvent(over: Partial<NetworkEvent> = {}): NetworkEvent {
  return {
    event: "routable",
    time: new Date("2026-11-22T05:00:00.123Z"),
    backend: "dhclient",
    link: {
      name: "eth1",
      index: 3,
      mac: "52:54:00:12:34:56",
      mtu: 1500,
      kind: "veth",
      operstate: "up",
      carrier: true,
    },
    state: { ...emptyStates(), operational: "routable" },
    addresses: [
      { address: "192.168.1.100", prefix_length: 24, family: "ipv4", scope: "global" },
      { address: "fe80::1", prefix_length: 64, family: "ipv6", scope: "link" },
      { address: "2001:db8::5", prefix_length: 64, family: "ipv6", scope: "global" },
    ],
    gateway: "192.168.1.1",
    gateway6: null,
    dns: ["192.168.1.1"],
    domains: ["example.lan"],
    dhcp: {
      address: "192.168.1.100",
      gateway: "192.168.1.1",
      dns: ["192.168.1.1", "9.9.9.9"],
      domain: "example.lan",
      hostname: "host1",
      lease_seconds: 86400,
      server: "192.168.1.1",
      lease_text: 'lease {\n  interface "eth1";\n}',
    },
    route: null,
    ...over,
  };
}
