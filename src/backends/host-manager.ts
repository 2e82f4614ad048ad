// Which program manages this host's network, from what can be seen of it:
// the bus names systemd-networkd and NetworkManager own while they run, and
// dhclient's current leases (ifupdown). `backend: auto` follows this choice;
// a configured backend that disagrees with it is reported (netevd.yaml(5)).
import type { Backend } from "../events/names";

export const NETWORKD_BUS_NAME = "org.freedesktop.network1";
export const NM_BUS_NAME = "org.freedesktop.NetworkManager";

/** What netevd sees of the host's network managers now. */
export interface HostFacts {
  /** The system bus answered; false: the two bus names are unknown, not absent. */
  bus: boolean;
  networkd: boolean;
  networkManager: boolean;
  /** Interfaces with a current dhclient lease in the watched lease files. */
  dhclientLeases: readonly string[];
}

export interface HostChoice {
  backend: Backend;
  /** One clause saying why, for the log and `netevd status`. */
  reason: string;
}

/** In this order: a host where two run (rare) gets the first. */
export function chooseBackend(f: HostFacts): HostChoice {
  if (f.networkd)
    return { backend: "systemd-networkd", reason: `systemd-networkd owns ${NETWORKD_BUS_NAME}` };
  if (f.networkManager) return { backend: "NetworkManager", reason: `NetworkManager owns ${NM_BUS_NAME}` };
  if (f.dhclientLeases.length)
    return {
      backend: "dhclient",
      reason: `dhclient holds a current lease for ${[...f.dhclientLeases].sort().join(", ")}`,
    };
  return {
    backend: "none",
    reason: f.bus
      ? "neither systemd-networkd nor NetworkManager is on the system bus and no dhclient lease is current: link states come from the kernel"
      : "the system bus does not answer and no dhclient lease is current: link states come from the kernel",
  };
}

/** Whether a configured backend's manager is running, per the facts; undefined: cannot tell (no bus). */
function configuredPresent(backend: Backend, f: HostFacts): boolean | undefined {
  switch (backend) {
    case "systemd-networkd":
      return f.bus ? f.networkd : undefined;
    case "NetworkManager":
      return f.bus ? f.networkManager : undefined;
    case "dhclient":
      return f.dhclientLeases.length > 0;
    case "none":
      return true;
  }
}

/**
 * The plain word for a configured backend whose manager is not running, with
 * what does run and the line to change; null when nothing is wrong (or
 * cannot be told). `where`: "/etc/netevd/netevd.yaml line 7".
 */
export function absentManagerProblem(backend: Backend, f: HostFacts, where: string): string | null {
  if (configuredPresent(backend, f) !== false) return null;
  const actual = chooseBackend(f);
  const running =
    actual.backend === "none" ? "no network manager runs" : `${actual.backend} does (${actual.reason})`;
  const what =
    backend === "dhclient"
      ? "system.backend is dhclient, but no dhclient lease is current"
      : `system.backend is ${backend}, but ${backend} is not running`;
  return `${what}; ${running}: no ${backend} events will come. Set system.backend to auto (or ${actual.backend}) in ${where}`;
}
