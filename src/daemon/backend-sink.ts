// Where a manager backend reports. The first of its event properties is the
// link's state (through LinkStates: its up state re-runs on new facts); each
// other one is an event per new value. The first enumeration is silent unless
// run_startup_triggers; re-enumerations after a restart report what changed.
import type { Backend, BackendSink } from "../backends/types";
import type { LinkProperties } from "../links/link-table";
import type { LinkStates } from "../links/link-states";
import type { EventDispatcher } from "./dispatch";

export interface SinkDeps {
  backend: () => Backend | undefined;
  states: LinkStates;
  dispatcher: EventDispatcher;
  /** Runs `job` with the link's name, once the kernel has announced the link (name-wait.ts). */
  named: (index: number, job: (name: string) => void) => void;
  monitored: (name: string) => boolean;
  /** Startup, before READY=1: the first enumeration's values are not events. */
  starting: () => boolean;
  runStartupTriggers: () => boolean;
}

export interface ManagerState {
  /** The manager's own values (networkd's OperationalState, NetworkManager's State). */
  props: LinkProperties;
}

export function backendSink(d: SinkDeps, manager: ManagerState): BackendSink {
  /** A link's new values from the manager, once its name is known. */
  const linkSignal = (ifindex: number, linkName: string, props: LinkProperties, initial: boolean): void => {
    const backend = d.backend();
    if (!backend) return;
    const before = d.states.setManager(ifindex, linkName, props);
    if (!d.monitored(linkName)) return;
    const startup = initial && d.starting();
    const [primary, ...others] = backend.eventProperties;
    const value = primary === undefined ? undefined : props[primary];
    if (value !== undefined)
      d.states.managerState(ifindex, linkName, value, startup && !d.runStartupTriggers());
    for (const key of others) {
      const v = props[key];
      if (v === undefined || v === before?.[key] || startup) continue;
      d.dispatcher.link(v, ifindex, linkName);
    }
  };
  return {
    // networkd's signals name the ifindex only: a link the kernel has not shown yet waits for its name.
    link: (ifindex, name, props, initial) => {
      const known = name ?? d.states.get(ifindex)?.name;
      if (known === undefined) d.named(ifindex, (n) => linkSignal(ifindex, n, props, initial));
      else linkSignal(ifindex, known, props, initial);
    },
    removed: (ifindex) => d.states.forgetManager(ifindex),
    event: (ifindex, event, props = {}, initial = false) => {
      if (ifindex === 0) {
        const prev = manager.props;
        manager.props = { ...prev, ...props };
        if (initial && d.starting()) return;
        const changed = Object.entries(props).some(([k, v]) => prev[k as keyof LinkProperties] !== v);
        if (initial || changed) d.dispatcher.link(event, 0, "");
        return;
      }
      if (d.starting()) return;
      const run = (name: string) => {
        if (d.monitored(name)) d.dispatcher.link(event, ifindex, name);
      };
      const known = d.states.get(ifindex)?.name;
      if (known === undefined) d.named(ifindex, run);
      else run(known);
    },
    manager: (props, initial) => {
      const prev = manager.props;
      manager.props = { ...prev, ...props };
      if (initial && d.starting()) return;
      if (props.OperationalState !== undefined && props.OperationalState !== prev.OperationalState)
        d.dispatcher.link("manager", 0, "");
    },
  };
}
