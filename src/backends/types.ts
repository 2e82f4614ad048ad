// What a network-manager backend tells the daemon: new property values, taken
// from the manager's own signals.
export type LinkProperties = Partial<
  Record<"OperationalState" | "AdministrativeState" | "CarrierState" | "AddressState" | "OnlineState", string>
>;

export interface BackendSink {
  /** A link's properties: `initial` during (re-)enumeration, otherwise from a change signal. */
  link(ifindex: number, name: string | null, props: LinkProperties, initial: boolean): void;
  /** The manager's own state changed (the `manager` event). */
  manager(props: LinkProperties, initial: boolean): void;
}

export interface LinkDetails {
  dns: string[];
  domains: string[];
}

export interface Backend {
  start(): Promise<void>;
  /** DNS servers and domains the manager knows for a link (for the event), or null. */
  details(ifindex: number): Promise<LinkDetails | null>;
  stop(): void;
}
