// What a network-manager backend tells the daemon: new property values, taken
// from the manager's own signals.
import type { DhcpInfo } from "../events/event";

export type LinkProperty =
  | "OperationalState"
  | "AdministrativeState"
  | "CarrierState"
  | "AddressState"
  | "OnlineState"
  /** NetworkManager's device state name (activated, disconnected, …). */
  | "DeviceState";

export type LinkProperties = Partial<Record<LinkProperty, string>>;

export interface BackendSink {
  /** A link's properties: `initial` during (re-)enumeration, otherwise from a change signal. */
  link(ifindex: number, name: string | null, props: LinkProperties, initial: boolean): void;
  /** The link is gone from the manager (NetworkManager's DeviceRemoved). */
  removed?(ifindex: number): void;
  /** The manager's own state changed (the `manager` event). */
  manager(props: LinkProperties, initial: boolean): void;
}

export interface LinkDetails {
  dns: string[];
  domains: string[];
  dhcp?: DhcpInfo | null;
}

export interface Backend {
  /** The properties whose new values are events, the first one also the startup trigger. */
  readonly eventProperties: readonly LinkProperty[];
  start(): Promise<void>;
  /** DNS servers and domains the manager knows for a link (for the event), or null. */
  details(ifindex: number): Promise<LinkDetails | null>;
  stop(): void;
}
