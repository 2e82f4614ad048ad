// DNS pushes against a fake resolved/networkd on a private bus: the a(iay)
// encoding for v4 and v6, LinkBusy → the same call to networkd, NoSuchLink
// retried with backoff and finally reported.
import { describe, expect, it } from "vitest";
import { dnsServersArg, Resolved } from "../../src/push/resolved";
import { BusConnection } from "../../src/push/bus-connection";
import { connect, FakeNetworkd, startPrivateBus } from "../helpers/dbus";
import { FakeResolved } from "../helpers/fake-resolve";

describe("pushing DNS settings", () => {
  it("encodes servers as (family, network-order bytes)", () => {
    expect(dnsServersArg(["10.213.3.1", "2001:db8::53"])).toEqual([
      [2, Buffer.from([10, 213, 3, 1])],
      [10, Buffer.from("20010db8000000000000000000000053", "hex")],
    ]);
  });

  it("sets v4 and v6 servers and domains, falls back to networkd on LinkBusy, retries NoSuchLink", async () => {
    const bus = await startPrivateBus();
    const resolved = new FakeResolved(bus.address);
    const networkd = new FakeNetworkd(bus.address);
    networkd.links.set(5, { ifindex: 5, name: "eth5", props: {} });
    resolved.managed.add(5);
    resolved.unknownFor.set(3, 2);
    resolved.unknownFor.set(9, 100);
    await Promise.all([resolved.start(), networkd.start()]);
    const conn = new BusConnection(() => connect({ busAddress: bus.address }));
    const r = new Resolved(conn, { attempts: 4, firstDelayMs: 10 });
    try {
      expect(await r.setLinkDns(3, ["10.0.0.53", "2001:db8::53"])).toBe("resolved");
      expect(await r.setLinkDomains(3, ["example.lan.", "corp.example"])).toBe("resolved");
      expect(resolved.links.get(3)).toEqual({
        dns: ["10.0.0.53", "2001:db8::53"],
        domains: [
          ["example.lan", false],
          ["corp.example", false],
        ],
      });
      expect(await r.setLinkDns(5, ["10.0.0.1"])).toBe("networkd");
      expect(networkd.linkSettings[0]).toEqual(["SetLinkDNS", 5, [[2, Buffer.from([10, 0, 0, 1])]]]);
      await expect(r.setLinkDns(9, ["10.0.0.1"])).rejects.toMatchObject({
        type: "org.freedesktop.resolve1.NoSuchLink",
      });
      expect(resolved.unknownFor.get(9)).toBe(96); // 4 attempts
    } finally {
      conn.close();
      resolved.stop();
      networkd.stop();
      bus.stop();
    }
  });
});
