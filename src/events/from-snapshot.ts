import type { LinkSnapshot } from "../system/link-snapshot";
import { emptyStates, type NetworkEvent } from "./event";
import { type Backend, NETWORKD_ADMINISTRATIVE, NETWORKD_OPERATIONAL } from "./names";

/** The event a backend would emit for this link if it entered state `event` now. */
export function eventFromSnapshot(event: string, backend: Backend, snap: LinkSnapshot): NetworkEvent {
  const state = emptyStates();
  if ((NETWORKD_OPERATIONAL as readonly string[]).includes(event)) state.operational = event;
  if ((NETWORKD_ADMINISTRATIVE as readonly string[]).includes(event)) state.administrative = event;
  if (snap.link.carrier !== null) state.carrier = snap.link.carrier ? "carrier" : "no-carrier";
  return {
    event,
    time: new Date(),
    backend,
    link: snap.link,
    state,
    addresses: snap.addresses,
    gateway: snap.gateway,
    gateway6: snap.gateway6,
    dns: [],
    domains: [],
    dhcp: null,
    route: null,
  };
}
