// The dashboard's Host check (against DNS rebinding) and cookie parsing.
import { describe, expect, it } from "vitest";
import { cookieValue, hostAllowed } from "../../src/dashboard/request-checks";

describe("dashboard Host header", () => {
  it("accepts its own address and localhost with its port, nothing else", () => {
    expect(hostAllowed("127.0.0.1:8091", "127.0.0.1", 8091)).toBe(true);
    expect(hostAllowed("localhost:8091", "127.0.0.1", 8091)).toBe(true);
    expect(hostAllowed("LOCALHOST:8091", "::1", 8091)).toBe(true);
    expect(hostAllowed("[::1]:8091", "::1", 8091)).toBe(true);
    expect(hostAllowed("[0:0::1]:8091", "::1", 8091)).toBe(true);
    expect(hostAllowed("127.0.0.1:8092", "127.0.0.1", 8091)).toBe(false);
    expect(hostAllowed("127.0.0.2:8091", "127.0.0.1", 8091)).toBe(false);
    expect(hostAllowed("attacker.example:8091", "127.0.0.1", 8091)).toBe(false);
    expect(hostAllowed("127.0.0.1.nip.io:8091", "127.0.0.1", 8091)).toBe(false);
    expect(hostAllowed(undefined, "127.0.0.1", 8091)).toBe(false);
    expect(hostAllowed("127.0.0.1", "127.0.0.1", 80)).toBe(true);
    expect(hostAllowed("127.0.0.1", "127.0.0.1", 8091)).toBe(true);
    expect(hostAllowed("attacker.example", "127.0.0.1", 8091)).toBe(false);
    // Listening on every address: any IP address, still no name but localhost.
    expect(hostAllowed("192.0.2.5:8091", "0.0.0.0", 8091)).toBe(true);
    expect(hostAllowed("intranet.example:8091", "0.0.0.0", 8091)).toBe(false);
  });
});

describe("dashboard cookie", () => {
  it("is the text after the first = (base64 padding kept)", () => {
    expect(cookieValue("a=1; netevd_dashboard_8091=YWJj==; b=2", "netevd_dashboard_8091")).toBe("YWJj==");
    expect(cookieValue("netevd_dashboard_8092=x", "netevd_dashboard_8091")).toBeUndefined();
    expect(cookieValue(undefined, "n")).toBeUndefined();
  });
});
