import { describe, expect, it } from "vitest";
import { compileInterfaceMatcher, interfacePatternProblem } from "../../src/config/ifname";

describe("interface names and globs", () => {
  it("matches names and shell globs", () => {
    const m = compileInterfaceMatcher(["eth0", "wl*", "en[ops]?", "veth{1,2}"]);
    expect(["eth0", "wlan0", "enp3", "veth1", "veth2"].every(m)).toBe(true);
    expect(["eth1", "enx1", "veth3", "lo"].some(m)).toBe(false);
    expect(compileInterfaceMatcher([])("eth0")).toBe(false);
  });

  it("explains what is wrong with a pattern", () => {
    expect(interfacePatternProblem("eth0")).toBeUndefined();
    expect(interfacePatternProblem("")).toBe("empty interface name");
    expect(interfacePatternProblem("eth{0,1")).toContain('unbalanced "{"');
    expect(interfacePatternProblem("eth0:1")).toContain('contains "/", ":" or whitespace');
  });
});
