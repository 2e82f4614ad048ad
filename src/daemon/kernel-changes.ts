// What a change in the kernel's tables means for the links: their states (a
// link, an address, a main-table default route) and `routes` events.
import { isReportedRoute, routeInfo } from "../events/from-kernel";
import type { KernelState } from "../kernel/state";
import type { KernelChange } from "../kernel/tables";
import type { LinkStates } from "../links/link-states";
import { RT_TABLE } from "../netlink/constants";
import type { EventDispatcher } from "./dispatch";

export interface KernelChangeDeps {
  kernel: KernelState;
  states: LinkStates;
  dispatcher: EventDispatcher;
  monitored: (name: string) => boolean;
}

export function routeKernelChange(change: KernelChange, d: KernelChangeDeps): void {
  switch (change.kind) {
    case "link":
      if (change.action === "remove") d.states.remove(change.link.index);
      else d.states.syncKernel(change.link);
      return;
    case "address": {
      const link = d.kernel.links.get(change.address.index);
      if (link) d.states.syncKernel(link);
      return;
    }
    case "route": {
      const link = change.route.oif === null ? undefined : d.kernel.links.get(change.route.oif);
      if (!link) return;
      if (change.route.dstLength === 0 && change.route.table === RT_TABLE.MAIN) d.states.syncKernel(link);
      if (change.action !== "change" && isReportedRoute(change.route) && d.monitored(link.name))
        d.dispatcher.route(link, routeInfo(change.action, change.route));
      return;
    }
    case "rule":
      return;
  }
}
