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
  const linkSignal = (
    ifindex: number,
    linkName: string,
    props: LinkProperties,
    initial: boolean,
    asked?: LinkProperties,
  ): void => {
    const backend = d.backend();
    if (!backend) return;
    const before = d.states.setManager(ifindex, linkName, props, asked);
    if (!d.monitored(linkName)) return;
    const startup = initial && d.starting();
    const [primary, ...others] = backend.eventProperties;
    // As networkd-dispatcher did: the other states of a signal (AdministrativeState) before its primary one.
    const changed = startup ? [] : others.filter((k) => props[k] !== undefined && props[k] !== before?.[k]);
    if (changed.length > 0) d.states.settle(ifindex);
    for (const key of changed) d.dispatcher.link(props[key] as string, ifindex, linkName);
    const value = primary === undefined ? undefined : props[primary];
    if (value !== undefined)
      d.states.managerState(ifindex, linkName, value, startup && !d.runStartupTriggers());
  };
  /**
   * A signal for a link the kernel already removed (networkd's last `off`, then
   * `linger`): each changed state runs, in the same order, with the link's name.
   */
  const departedSignal = (
    ifindex: number,
    gone: { name: string; manager: LinkProperties },
    props: LinkProperties,
  ): void => {
    const backend = d.backend();
    if (!backend || !d.monitored(gone.name)) return;
    const [primary, ...others] = backend.eventProperties;
    for (const key of [...others, ...(primary ? [primary] : [])]) {
      const v = props[key];
      if (v === undefined || v === gone.manager[key]) continue;
      gone.manager[key] = v;
      d.dispatcher.link(v, ifindex, gone.name);
    }
  };

  return {
    // networkd's signals name the ifindex only: a link the kernel has not shown yet waits for its name.
    link: (ifindex, name, props, initial, asked) => {
      const known = name ?? d.states.get(ifindex)?.name;
      const gone = known === undefined ? d.states.departedLink(ifindex) : undefined;
      if (gone) departedSignal(ifindex, gone, props);
      else if (known === undefined) d.named(ifindex, (n) => linkSignal(ifindex, n, props, initial, asked));
      else linkSignal(ifindex, known, props, initial, asked);
    },
    removed: (ifindex) => d.states.forgetManager(ifindex),
    event: (ifindex, event, props = {}, initial = false, dhcpChange) => {
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
        if (d.monitored(name)) d.dispatcher.link(event, ifindex, name, false, dhcpChange);
      };
      // A removed link's lease goes with it (networkd deletes its file): that runs with its last name.
      const known = d.states.get(ifindex)?.name ?? d.states.departedLink(ifindex)?.name;
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
