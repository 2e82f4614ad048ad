import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeLabel, encodeLabel, ifindexOfPath, linkPath } from "../../../src/backends/networkd/path-label";
import { parseDescribeLink } from "../../../src/backends/networkd/describe-link";

describe("networkd link paths", () => {
  it("escapes ifindexes as sd-bus does", () => {
    expect(linkPath(2)).toBe("/org/freedesktop/network1/link/_32");
    expect(linkPath(10)).toBe("/org/freedesktop/network1/link/_310");
    expect(linkPath(123)).toBe("/org/freedesktop/network1/link/_3123");
    expect(ifindexOfPath("/org/freedesktop/network1/link/_31")).toBe(1);
    expect(ifindexOfPath("/org/freedesktop/network1")).toBeUndefined();
    fc.assert(
      fc.property(fc.string(), (s) => {
        expect(decodeLabel(encodeLabel(s))).toBe(s);
      }),
    );
  });

  it("reads DNS and search domains from DescribeLink", () => {
    expect(
      parseDescribeLink(
        JSON.stringify({
          DNS: [{ Family: 2, AddressString: "192.0.2.53" }],
          SearchDomains: [{ Domain: "lab.example" }],
        }),
      ),
    ).toEqual({ dns: ["192.0.2.53"], domains: ["lab.example"] });
    // networkd 252 gives the address as bytes (seen from the real networkd in test/peers).
    expect(
      parseDescribeLink(
        JSON.stringify({
          DNS: [
            { Family: 2, Address: [10, 213, 1, 1], ConfigSource: "static" },
            { Family: 10, Address: [32, 1, 13, 184, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 83] },
            { Family: 2, Address: [300, 1] },
          ],
        }),
      ).dns,
    ).toEqual(["10.213.1.1", "2001:db8::53"]);
    expect(parseDescribeLink("not json")).toEqual({ dns: [], domains: [] });
  });
});
