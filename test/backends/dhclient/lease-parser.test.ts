// dhclient lease files: the last complete block per interface wins, escapes
// decode exactly, a half-written tail is ignored, and no input crashes the parser.
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { leaseActive, leaseInfo } from "../../../src/backends/dhclient/lease-info";
import {
  currentLeases,
  parseLeases,
  parseLeaseTime,
  unescapeLeaseString,
} from "../../../src/backends/dhclient/lease-parser";
import { fixture } from "../../helpers/fixtures";

const debian = readFileSync(fixture("dhclient/debian-eth0.leases"), "utf8");

describe("dhclient lease parser", () => {
  it("takes the last block of an interface, with every option of a real dhclient lease", () => {
    expect(parseLeases(debian)).toHaveLength(2);
    const lease = currentLeases(debian).get("eth0/4");
    expect(lease).toBeDefined();
    const info = leaseInfo(lease!);
    expect(info).toMatchObject({
      address: "192.168.1.57",
      gateway: "192.168.1.1",
      dns: ["192.168.1.1", "9.9.9.9"],
      domain: "example.lan corp.example.com",
      hostname: "café-pc",
      lease_seconds: 86400,
      server: null,
    });
    expect(lease!.expire?.toISOString()).toBe("2026-07-23T09:14:03.000Z");
    expect(info.lease_text).toMatch(
      /^lease \{\n {2}interface "eth0";[\s\S]*expire 4 2026\/07\/23 09:14:03;\n\}$/,
    );
  });

  it("ignores a half-written trailing block and keeps the previous one", () => {
    const cut = debian.lastIndexOf("option host-name");
    const leases = currentLeases(debian.slice(0, cut));
    expect(leases.get("eth0/4")?.expire?.toISOString()).toBe("2026-07-22T08:12:11.000Z");
    // Cut inside a quoted string, too.
    const inString = debian.indexOf("caf") + 2;
    expect(currentLeases(debian.slice(0, inString)).get("eth0/4")?.options.has("host-name")).toBe(false);
  });

  it("reads a truncated-and-rewritten file: only the blocks now in it", () => {
    expect(currentLeases("").size).toBe(0);
    expect(currentLeases('lease {\n  interface "eth0";\n  fixed-add').size).toBe(0);
  });

  it("decodes escapes exactly: three octal digits are one byte, \\0011 is 0x01 then '1'", () => {
    expect(unescapeLeaseString("caf\\303\\251")).toBe("café");
    expect(unescapeLeaseString("\\0011")).toBe("\u00011");
    expect(unescapeLeaseString('a\\"b\\$c\\\\d\\`e\\|f\\&g')).toBe('a"b$c\\d`e|f&g');
  });

  it("parses v6 leases: ia-na iaaddr, name servers and search list; the DUID is not a server address", () => {
    const text = readFileSync(fixture("dhclient/v6.leases"), "utf8");
    const lease = currentLeases(text).get("eth0/6");
    expect(lease).toBeDefined();
    expect(leaseInfo(lease!)).toMatchObject({
      address: "2001:db8:1::57",
      gateway: null,
      dns: ["2001:db8:1::53", "2001:db8:1::54"],
      domain: "v6.example corp.example",
      server: null,
    });
  });

  it("reads the three time forms: weekday date (UTC), epoch, never", () => {
    expect(parseLeaseTime(["3", "2026/07/22", "08:07:11"])?.toISOString()).toBe("2026-07-22T08:07:11.000Z");
    expect(parseLeaseTime(["epoch", "1795326866"])?.getTime()).toBe(1795326866000);
    expect(parseLeaseTime(["never"])).toBeNull();
    const lease = currentLeases('lease { interface "e"; fixed-address 10.0.0.1; expire never; }').get("e/4")!;
    expect(leaseActive(lease, new Date())).toBe(true);
    const old = currentLeases('lease { interface "e"; expire 1 2001/01/01 00:00:00; }').get("e/4")!;
    expect(leaseActive(old, new Date())).toBe(false);
  });

  it("keeps one lease per interface and family across interleaved blocks", () => {
    const text = [
      'lease { interface "a"; fixed-address 10.0.0.1; }',
      'lease { interface "b"; fixed-address 10.0.1.1; }',
      'lease6 { interface "a"; ia-na 1 { iaaddr 2001:db8::1 { max-life 1; } } }',
      'lease { interface "a"; fixed-address 10.0.0.2; }',
    ].join("\n");
    const m = currentLeases(text);
    expect([...m.keys()].sort()).toEqual(["a/4", "a/6", "b/4"]);
    expect(m.get("a/4")?.address).toBe("10.0.0.2");
    expect(m.get("a/6")?.address).toBe("2001:db8::1");
  });

  it("never throws on arbitrary input, and every prefix of a valid file parses to complete blocks only", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (s) => {
        parseLeases(s);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: debian.length }), (n) => {
        const blocks = parseLeases(debian.slice(0, n));
        for (const b of blocks) expect(b.text.endsWith("}")).toBe(true);
        expect(blocks.length).toBeLessThanOrEqual(2);
      }),
    );
    const alphabet = fc.constantFrom(...'lease6 {};,"\\#\ninterface option fixed-address 0123:.');
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 300 }), (chars) => {
        parseLeases(chars.join(""));
      }),
      { numRuns: 2000 },
    );
  });
});
