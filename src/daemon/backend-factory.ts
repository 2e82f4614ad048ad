// A backend's adapter. `none` and `dhclient` have no D-Bus adapter: their
// link states come from the kernel (dhclient adds leases).
import type { Backend as BackendName } from "../events/names";
import type { Backend, BackendSink } from "../backends/types";
import { getLogger } from "../log/logger";
import { lazy } from "../util/lazy";

// An adapter's code (and the D-Bus library under it) loads with the backend
// that uses it: a host on `none` or `dhclient` never holds either.
const networkd = lazy(
  () => require("../backends/networkd/networkd") as typeof import("../backends/networkd/networkd"),
);
const networkManager = lazy(
  () =>
    require("../backends/networkmanager/networkmanager") as typeof import("../backends/networkmanager/networkmanager"),
);

/** What an adapter may ask of the kernel's tables. */
export interface KernelLinks {
  ifindexOf: (name: string) => number | undefined;
  /** The link that holds an address now. */
  holderOf: (address: string) => { index: number; name: string } | undefined;
}

export function createBackend(
  backend: BackendName,
  sink: BackendSink,
  kernel: KernelLinks,
  onError: (peer: string) => void,
): Backend | undefined {
  switch (backend) {
    case "systemd-networkd":
      return new (networkd().NetworkdBackend)({
        sink,
        log: getLogger("networkd"),
        onError: () => onError("systemd-networkd"),
      });
    case "NetworkManager":
      return new (networkManager().NetworkManagerBackend)({
        sink,
        ifindexOf: kernel.ifindexOf,
        holderOf: kernel.holderOf,
        log: getLogger("networkmanager"),
        onError: () => onError("NetworkManager"),
      });
    default:
      return undefined;
  }
}

/** The state whose facts (addresses, gateways, lease) make a new event when they change. */
export function upState(backend: string): string {
  return backend === "NetworkManager" ? "activated" : "routable";
}
