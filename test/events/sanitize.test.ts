// Network-controlled values: whatever a DHCP server sends, only valid values
// reach scripts, and no control character ever does.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isDnsName, sanitizeEvent } from "../../src/events/sanitize";
import { scriptEnvironment } from "../../src/scripts/environment";
import { hasControl } from "../../src/util/control";
import { makeEvent } from "../helpers/events";

describe("sanitizing network values", () => {
  it("accepts RFC 1123 names and refuses everything else", () => {
    for (const ok of ["host1", "a.example.lan", "xn--bcher-kva.example", "a-b.c", "example.lan.", "1host"])
      expect(isDnsName(ok), ok).toBe(true);
    for (const bad of [
      "",
      "-a",
      "a-",
      "a..b",
      "a b",
      "$(reboot)",
      "a;b",
      `${"a".repeat(64)}.lan`,
      `${"a.".repeat(127)}ab`,
      "é.lan",
      "a_b",
    ]) {
      expect(isDnsName(bad), bad).toBe(false);
    }
  });

  it("never lets a control character or shell metacharacter through, for any input", () => {
    const anything = fc.string({ unit: "binary", maxLength: 80 });
    fc.assert(
      fc.property(
        anything,
        anything,
        fc.array(anything, { maxLength: 40 }),
        anything,
        (hostname, domain, dns, lease) => {
          const base = makeEvent();
          const raw = makeEvent({
            domains: [domain],
            dhcp: {
              ...(base.dhcp as NonNullable<typeof base.dhcp>),
              hostname,
              domain,
              dns,
              address: hostname,
              lease_text: lease,
            },
          });
          const { event } = sanitizeEvent(raw);
          const env = scriptEnvironment(event, { emitJson: false, parent: {} });
          for (const [key, value] of Object.entries(env)) {
            expect(hasControl(value, key === "DHCP_LEASE"), key).toBe(false);
            if (key.startsWith("DHCP_") && key !== "DHCP_LEASE") expect(value).not.toMatch(/[$`;|&<>()'"\\]/);
          }
          expect(event.dhcp?.dns.length).toBeLessThanOrEqual(32);
          if (env.DHCP_HOSTNAME !== undefined) expect(isDnsName(env.DHCP_HOSTNAME)).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("keeps valid values untouched and reports each dropped one", () => {
    const e = makeEvent();
    expect(sanitizeEvent(e)).toEqual({ event: e, dropped: [] });
    const bad = sanitizeEvent(makeEvent({ gateway: "300.1.1.1", link: { ...e.link, name: "a\nb" } }));
    expect(bad.event.gateway).toBeNull();
    expect(bad.event.link.name).toBe("if3");
    expect(bad.dropped.map((d) => d.field).sort()).toEqual(["gateway", "link.name"]);
  });
});
