// Which backend `auto` takes from what it sees, and the plain word for a
// configured manager that is not running.
import { describe, expect, it } from "vitest";
import { absentManagerProblem, chooseBackend, type HostFacts } from "../../src/backends/host-manager";

const host = (f: Partial<HostFacts>): HostFacts => ({
  bus: true,
  networkd: false,
  networkManager: false,
  dhclientLeases: [],
  ...f,
});

describe("chooseBackend", () => {
  it("takes networkd, then NetworkManager, then dhclient's leases, then the kernel", () => {
    expect(chooseBackend(host({ networkd: true, networkManager: true })).backend).toBe("systemd-networkd");
    expect(chooseBackend(host({ networkManager: true, dhclientLeases: ["eth0"] }))).toEqual({
      backend: "NetworkManager",
      reason: "NetworkManager owns org.freedesktop.NetworkManager",
    });
    expect(chooseBackend(host({ dhclientLeases: ["eth1", "eth0"] }))).toEqual({
      backend: "dhclient",
      reason: "dhclient holds a current lease for eth0, eth1",
    });
    expect(chooseBackend(host({})).backend).toBe("none");
    expect(chooseBackend(host({ bus: false })).reason).toMatch(/^the system bus does not answer/);
  });
});

describe("absentManagerProblem", () => {
  const where = "/etc/netevd/netevd.yaml line 7";
  it("names the manager that runs and the line to change", () => {
    expect(absentManagerProblem("systemd-networkd", host({ networkManager: true }), where)).toBe(
      "system.backend is systemd-networkd, but systemd-networkd is not running; NetworkManager does (NetworkManager owns org.freedesktop.NetworkManager): no systemd-networkd events will come. Set system.backend to auto (or NetworkManager) in /etc/netevd/netevd.yaml line 7",
    );
    expect(absentManagerProblem("NetworkManager", host({}), where)).toMatch(
      /^system.backend is NetworkManager, but NetworkManager is not running; no network manager runs: .* \(or none\) in/,
    );
    expect(absentManagerProblem("dhclient", host({ networkd: true }), where)).toMatch(
      /^system.backend is dhclient, but no dhclient lease is current; systemd-networkd does/,
    );
  });

  it("says nothing when the manager runs, for none, or when the bus cannot tell", () => {
    expect(absentManagerProblem("NetworkManager", host({ networkManager: true }), where)).toBeNull();
    expect(absentManagerProblem("none", host({ networkd: true }), where)).toBeNull();
    expect(absentManagerProblem("systemd-networkd", host({ bus: false }), where)).toBeNull();
  });
});
