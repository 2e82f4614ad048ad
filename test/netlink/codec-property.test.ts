// No input crashes the parser: random bytes, and captured kernel messages
// mutated (bit flips, truncation, bad lengths). Built messages parse back.
import { SocketAddress } from "node:net";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addressBody, parseAddress } from "../../src/netlink/address";
import { AF_INET, AF_INET6 } from "../../src/netlink/constants";
import { decodeRt } from "../../src/netlink/decode";
import { formatIp, ipBytes } from "../../src/netlink/ip";
import { linkBody, parseLink } from "../../src/netlink/link";
import { NetlinkParseError } from "../../src/errors";
import { splitMessages } from "../../src/netlink/message";
import { parseRoute, routeBody } from "../../src/netlink/route";
import { parseRule, ruleBody } from "../../src/netlink/rule";
import { parseError } from "../../src/netlink/error";
import { fixtureDatagrams } from "../helpers/fixtures";

/** Everything the receive path does with a datagram; only NetlinkParseError may escape a message. */
function parseAll(datagram: Buffer): void {
  const { messages, error } = splitMessages(datagram);
  if (error) expect(error).toBeInstanceOf(NetlinkParseError);
  for (const m of messages) {
    try {
      decodeRt(m);
      if (m.header.type === 2) parseError(m.payload, m.header.flags);
    } catch (err) {
      expect(err).toBeInstanceOf(NetlinkParseError);
    }
  }
}

const captured = ["links", "addresses", "routes", "rules"].flatMap(fixtureDatagrams);

describe("rtnetlink codec properties", () => {
  it("never throws anything but NetlinkParseError on random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => parseAll(Buffer.from(bytes))),
      { numRuns: 5000 },
    );
  });

  it("never throws anything but NetlinkParseError on mutated kernel messages", () => {
    const datagram = fc.constantFrom(...captured);
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ kind: fc.constant("cut" as const), at: fc.nat() }),
      fc.record({
        kind: fc.constant("word" as const),
        at: fc.nat(),
        value: fc.integer({ min: 0, max: 0xffff }),
      }),
    );
    fc.assert(
      fc.property(datagram, fc.array(mutation, { minLength: 1, maxLength: 6 }), (d, muts) => {
        let b = Buffer.from(d);
        for (const m of muts) {
          const at = m.at % Math.max(1, b.length);
          if (m.kind === "flip") b[at] = (b[at] as number) ^ (1 << m.bit);
          else if (m.kind === "cut") b = b.subarray(0, at);
          else if (at + 2 <= b.length) b.writeUInt16LE(m.value, at);
        }
        parseAll(b);
      }),
      { numRuns: 5000 },
    );
  });

  it("formats IPv6 exactly as inet_ntop does, and round-trips addresses", () => {
    const v6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).chain((b) =>
      // Plenty of zero runs, where the formatting rules matter.
      fc.array(fc.nat(15), { maxLength: 14 }).map((zeros) => {
        const c = Buffer.from(b);
        for (const z of zeros) c[z] = 0;
        return c;
      }),
    );
    fc.assert(
      fc.property(v6, (bytes) => {
        const text = formatIp(bytes) as string;
        expect(text).toBe(new SocketAddress({ address: text, family: "ipv6" }).address);
        expect(ipBytes(text).equals(bytes)).toBe(true);
      }),
      { numRuns: 5000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4, maxLength: 4 }), (bytes) => {
        expect(ipBytes(formatIp(bytes) as string).equals(Buffer.from(bytes))).toBe(true);
      }),
    );
    expect(formatIp(ipBytes("::ffff:192.0.2.1"))).toBe("::ffff:192.0.2.1");
    expect(formatIp(ipBytes("2001:db8::1"))).toBe("2001:db8::1");
  });

  it("parses back what it builds", () => {
    const v4 = fc.ipV4();
    const v6 = fc.ipV6().map((a) => formatIp(ipBytes(a)) as string);
    const family = fc.constantFrom(AF_INET, AF_INET6);
    const addrOf = (f: number) => (f === AF_INET ? v4 : v6);
    fc.assert(
      fc.property(
        family.chain((f) =>
          fc.record({
            family: fc.constant(f),
            table: fc.integer({ min: 1, max: 0xffffffff }),
            protocol: fc.integer({ min: 0, max: 255 }),
            scope: fc.constantFrom(0, 253),
            type: fc.integer({ min: 1, max: 8 }),
            dst: fc.option(addrOf(f), { nil: null }),
            dstLength: fc.integer({ min: 0, max: f === AF_INET ? 32 : 128 }),
            gateway: fc.option(addrOf(f), { nil: null }),
            oif: fc.option(fc.integer({ min: 1, max: 0x7fffffff }), { nil: null }),
            priority: fc.option(fc.nat(), { nil: null }),
          }),
        ),
        (r) => {
          const parsed = parseRoute(Buffer.concat(routeBody(r)));
          expect(parsed).toMatchObject({ ...r, priority: r.priority });
        },
      ),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(
        family.chain((f) =>
          fc.record({
            family: fc.constant(f),
            table: fc.integer({ min: 1, max: 0xffffffff }),
            priority: fc.nat(),
            src: fc.option(addrOf(f), { nil: null }),
            srcLength: fc.integer({ min: 0, max: f === AF_INET ? 32 : 128 }),
            dst: fc.option(addrOf(f), { nil: null }),
            dstLength: fc.integer({ min: 0, max: f === AF_INET ? 32 : 128 }),
            protocol: fc.integer({ min: 0, max: 255 }),
          }),
        ),
        (r) => {
          expect(parseRule(Buffer.concat(ruleBody(r)))).toMatchObject({ ...r, action: 1 });
        },
      ),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(
        family.chain((f) =>
          fc.record({
            family: fc.constant(f),
            index: fc.integer({ min: 1, max: 0x7fffffff }),
            prefixLength: fc.integer({ min: 0, max: f === AF_INET ? 32 : 128 }),
            scope: fc.constantFrom(0, 200, 253, 254),
            flags: fc.nat(),
            address: addrOf(f),
            peer: fc.constant(null),
            label: fc.option(fc.stringMatching(/^[a-z0-9]{1,15}$/), { nil: null }),
          }),
        ),
        (a) => {
          expect(parseAddress(Buffer.concat(addressBody(a)))).toEqual(a);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("parses back a built link", () => {
    const link = {
      index: 7,
      name: "eth1",
      type: 1,
      flags: 0x11043,
      up: true,
      lowerUp: true,
      mtu: 1500,
      mac: "52:54:00:12:34:56",
      operstate: "up",
      carrier: true,
      master: 3,
      kind: "veth",
    };
    expect(parseLink(Buffer.concat(linkBody(link)))).toEqual(link);
  });
});
