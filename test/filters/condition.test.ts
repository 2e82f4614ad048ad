import { describe, expect, it } from "vitest";
import { evaluateCondition, parseCondition } from "../../src/config/filter-condition";

const check = (text: string, input: { interface?: string; hasGateway?: boolean; dnsCount?: number }) => {
  const c = parseCondition(text);
  if ("error" in c) throw new Error(c.error);
  return evaluateCondition(c, { interface: "wg0", hasGateway: false, dnsCount: 0, ...input });
};

describe("filter conditions (the Rust netevd's syntax)", () => {
  it("evaluates has_gateway, dns_count comparisons and interface equality with && binding tighter than ||", () => {
    expect(check("has_gateway && dns_count > 0", { hasGateway: true, dnsCount: 1 })).toBe(true);
    expect(check("has_gateway && dns_count > 0", { hasGateway: true })).toBe(false);
    expect(check('dns_count >= 2 || interface == "wg0"', {})).toBe(true);
    expect(check("dns_count <= 1", { dnsCount: 2 })).toBe(false);
    expect(check('dns_count < 1 && has_gateway || interface="eth0"', { interface: "eth0" })).toBe(true);
  });

  it("rejects what the Rust netevd silently treated as false", () => {
    expect(parseCondition("uptime > 3")).toEqual({ error: 'unrecognized condition term "uptime > 3"' });
    expect(parseCondition("has_gateway &&")).toHaveProperty("error");
  });
});
