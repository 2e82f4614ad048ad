// NetworkManager over D-Bus (org.freedesktop.NetworkManager). Device paths carry NM's own
// counter, not the ifindex: a device is mapped to a link by its IpInterface
// (else Interface) name through the kernel's table. Events are the device
// state names taken from Device.StateChanged's own arguments; the manager's
// StateChanged is the `manager` event.
import type { Message } from "dbus-next";
import { ServiceWatch, type WatchConnection } from "../service-watch";
import type { LinkDetails } from "../../links/link-table";
import type { Backend, BackendSink } from "../types";
import type { NmView } from "../../events/event";
import { deviceDetails } from "./details";
import { DEVICE, NM, NM_PATH, PROPS, type Props, str } from "./names";
import { VPN_CONNECTION, VpnConnections } from "./vpn";

const DEVICE_STATES: Record<number, string> = {
  0: "unknown",
  10: "unmanaged",
  20: "unavailable",
  30: "disconnected",
  40: "prepare",
  50: "config",
  60: "need-auth",
  70: "ip-config",
  80: "ip-check",
  90: "secondaries",
  100: "activated",
  110: "deactivating",
  120: "failed",
};

const MANAGER_STATES: Record<number, string> = {
  0: "unknown",
  10: "asleep",
  20: "disconnected",
  30: "disconnecting",
  40: "connecting",
  50: "connected-local",
  60: "connected-site",
  70: "connected-global",
};

const stateName = (table: Record<number, string>, n: number) => table[n] ?? `state-${n}`;

const SETTINGS_PATH = `${NM_PATH}/Settings`;
const DNS_PATH = `${NM_PATH}/DnsManager`;
const DNS_MANAGER = `${NM}.DnsManager`;

/** NMConnectivityState by number, as nm-dispatcher names them (CONNECTIVITY_STATE), lower case. */
const CONNECTIVITY: Record<number, string> = {
  0: "unknown",
  1: "none",
  2: "portal",
  3: "limited",
  4: "full",
};

/** PropertiesChanged of one interface (arg0), so other interfaces' changes (statistics …) never wake netevd. */
const changed = (iface: string, path: string, pathKey = "path") =>
  `type='signal',sender='${NM}',interface='${PROPS}',member='PropertiesChanged',arg0='${iface}',${pathKey}='${path}'`;

const MATCHES = [
  `type='signal',sender='${NM}',interface='${DEVICE}',member='StateChanged',path_namespace='${NM_PATH}/Devices'`,
  `type='signal',sender='${NM}',interface='${NM}',path='${NM_PATH}'`,
  `type='signal',sender='${NM}',interface='${VPN_CONNECTION}',member='VpnStateChanged',path_namespace='${NM_PATH}/ActiveConnection'`,
  // Connectivity, the host name, a device's DHCP configuration and its options (dhcp4-change …).
  changed(NM, NM_PATH),
  changed(`${NM}.Settings`, SETTINGS_PATH),
  changed(DNS_MANAGER, DNS_PATH),
  changed(DEVICE, `${NM_PATH}/Devices`, "path_namespace"),
  changed(`${NM}.DHCP4Config`, `${NM_PATH}/DHCP4Config`, "path_namespace"),
  changed(`${NM}.DHCP6Config`, `${NM_PATH}/DHCP6Config`, "path_namespace"),
];

/** DHCP configurations remembered until their device names them; older ones are forgotten. */
const MAX_UNOWNED = 16;
/** VPN events' views kept for their details, at most. */
const MAX_VPN_VIEWS = 64;

export interface NetworkManagerOptions extends WatchConnection {
  sink: BackendSink;
  /** The kernel's ifindex for an interface name (undefined: not known yet). */
  ifindexOf: (name: string) => number | undefined;
  /** The kernel's link that holds an address now. */
  holderOf: (address: string) => { index: number; name: string } | undefined;
}

interface Device {
  path: string;
  name: string;
  ifindex: number;
}

export class NetworkManagerBackend implements Backend {
  readonly eventProperties = ["DeviceState"] as const;
  readonly detailsAtChange = true;
  private readonly watch: ServiceWatch;
  private readonly devices = new Map<string, Device>();
  private readonly adding = new Map<string, Promise<void>>();
  /**
   * For a device still being read: the newest state a signal gave, and the
   * state the first such signal left (what the device was when netevd began
   * to read it).
   */
  private readonly newer = new Map<string, { state: number; before: number }>();
  /** DHCP4Config/DHCP6Config object → its device and family. */
  private readonly dhcpOwner = new Map<string, { device: string; family: 4 | 6 }>();
  /** DHCP configurations whose options changed before netevd knew their device (newest last). */
  private readonly unowned = new Set<string>();
  /** Events of a device still being read, sent once it is known. */
  private readonly pendingEvents = new Map<string, string[]>();
  /**
   * Manager events a signal already delivered since NetworkManager (re)appeared:
   * the startup ones the enumeration sends would repeat them (it may be retried
   * while NetworkManager exports its objects, and signals come meanwhile).
   */
  private readonly signalled = new Set<"hostname" | "connectivity-change" | "dns-change">();
  private readonly vpns: VpnConnections;
  /** The view of each link's latest vpn-up and vpn-down, for its details (newest last). */
  private readonly vpnViews = new Map<string, NmView>();

  constructor(private readonly opts: NetworkManagerOptions) {
    this.vpns = new VpnConnections({
      getAll: (path, iface) => this.getAll(path, iface),
      log: opts.log,
      device: (path) => this.devices.get(path),
      holder: opts.holderOf,
      send: (ifindex, event, view) => {
        const key = `${event} ${ifindex}`;
        this.vpnViews.delete(key);
        this.vpnViews.set(key, view);
        if (this.vpnViews.size > MAX_VPN_VIEWS) this.vpnViews.delete(this.vpnViews.keys().next().value!);
        opts.sink.event?.(ifindex, event);
      },
    });
    this.watch = new ServiceWatch({
      service: NM,
      label: "NetworkManager",
      matches: MATCHES,
      enumerate: () => this.enumerate(),
      onNewOwner: () => this.signalled.clear(),
      onSignal: (msg) => this.onSignal(msg),
      ...opts,
    });
  }

  start(): Promise<void> {
    return this.watch.start();
  }

  private async getAll(path: string, iface: string): Promise<Props> {
    return (
      await this.watch.call({ path, interface: PROPS, member: "GetAll", signature: "s", body: [iface] })
    )[0] as Props;
  }

  private async enumerate(): Promise<void> {
    const [paths] = (await this.watch.call({ path: NM_PATH, interface: NM, member: "GetDevices" })) as [
      string[],
    ];
    const manager = await this.getAll(NM_PATH, NM);
    this.opts.sink.manager(
      { OperationalState: stateName(MANAGER_STATES, Number(manager.State?.value ?? 0)) },
      true,
    );
    // NetworkManager dispatches both when it starts: here, when it (re)appears.
    const hostname = await this.hostname();
    if (!this.signalled.has("hostname")) this.opts.sink.event?.(0, "hostname", { Hostname: hostname }, true);
    if (!this.signalled.has("connectivity-change"))
      this.opts.sink.event?.(
        0,
        "connectivity-change",
        { OnlineState: connectivity(manager.Connectivity) },
        true,
      );
    const dns = await this.dnsManager();
    if (dns && !this.signalled.has("dns-change")) this.dnsChange(dns, true);
    const seen = new Set<string>();
    for (const path of paths) {
      seen.add(path);
      await this.addDevice(path, true);
    }
    // Devices removed while we were not watching.
    for (const [path, d] of this.devices) {
      if (seen.has(path)) continue;
      this.devices.delete(path);
      this.opts.sink.removed?.(d.ifindex);
    }
    await this.vpns.enumerate((manager.ActiveConnections?.value ?? []) as string[]);
  }

  /** Reads a device's interface name and state; maps it to the kernel's link. */
  /**
   * One read per device at a time; StateChanged signals meanwhile are kept in `newer`.
   * `added`: NetworkManager announced it (DeviceAdded): device-add comes first.
   */
  private addDevice(path: string, initial: boolean, added = false): Promise<void> {
    let p = this.adding.get(path);
    if (!p) {
      p = this.readDevice(path, initial, added).finally(() => this.adding.delete(path));
      this.adding.set(path, p);
    }
    return p;
  }

  private async readDevice(path: string, initial: boolean, added: boolean): Promise<void> {
    // A StateChanged from now on wins over the reply: one sent before the reply
    // carries the state the reply shows anyway (NM signals every change), and
    // dbus-next may handle signals that follow the reply in the same read
    // before this function resumes, so "handled before the reply" is no measure.
    this.newer.delete(path);
    let props: Props;
    try {
      props = await this.getAll(path, DEVICE);
    } catch (err) {
      this.opts.log.debug(`device ${path} vanished: ${(err as Error).message}`);
      return;
    }
    const name = str(props, "IpInterface") || str(props, "Interface");
    const ifindex = await this.resolve(name);
    if (ifindex === undefined) {
      this.opts.log.debug(`device ${path} (${name}) has no kernel link; ignored`);
      return;
    }
    this.devices.set(path, { path, name, ifindex });
    if (added) this.opts.sink.event?.(ifindex, "device-add");
    for (const family of [4, 6] as const) this.ownDhcp(path, family, str(props, `Dhcp${family}Config`, "/"));
    // DHCP data that came while the device was read comes before its state, as it did in NetworkManager.
    for (const event of this.pendingEvents.get(path) ?? []) this.opts.sink.event?.(ifindex, event);
    this.pendingEvents.delete(path);
    const signalled = this.newer.get(path);
    this.newer.delete(path);
    const state = (n: number) => ({ DeviceState: stateName(DEVICE_STATES, n) });
    if (!signalled) {
      this.opts.sink.link(ifindex, name, state(Number(props.State?.value ?? 0)), initial);
      return;
    }
    // A change signalled while it was read happened while netevd watched: an event, even
    // during an enumeration (the reply may show the state before it or after it).
    if (initial) this.opts.sink.link(ifindex, name, state(signalled.before), true);
    this.opts.sink.link(ifindex, name, state(signalled.state), false);
  }

  /** NM may announce a device a moment before the kernel's netlink message reaches us. */
  private async resolve(name: string): Promise<number | undefined> {
    for (let i = 0; name && i < 20; i++) {
      const ifindex = this.opts.ifindexOf(name);
      if (ifindex !== undefined) return ifindex;
      await new Promise((r) => setTimeout(r, 50));
    }
    return undefined;
  }

  /** The DNS manager's properties (absent before NetworkManager 1.12). */
  private async dnsManager(): Promise<Props | null> {
    try {
      return await this.getAll(DNS_PATH, DNS_MANAGER);
    } catch {
      return null;
    }
  }

  /**
   * A new DNS configuration (the DnsManager's Configuration): dns-change.
   * NetworkManager dispatches it itself since 1.44; netevd sees it on any version.
   */
  private dnsChange(props: Props, initial: boolean): void {
    if (!props.Configuration) return;
    const config = JSON.stringify(props.Configuration.value, (_k, v: unknown) =>
      typeof v === "bigint" ? String(v) : v,
    );
    this.opts.sink.event?.(0, "dns-change", { DnsConfiguration: config }, initial);
  }

  private async hostname(): Promise<string> {
    try {
      return str(await this.getAll(SETTINGS_PATH, `${NM}.Settings`), "Hostname");
    } catch {
      return "";
    }
  }

  /** Connectivity and the host name (manager events); a device's DHCP lease (dhcp4-change, dhcp6-change). */
  private onPropertiesChanged(path: string, iface: string, props: Props): void {
    const sink = this.opts.sink;
    if (path === NM_PATH && iface === NM && props.Connectivity) {
      this.signalled.add("connectivity-change");
      sink.event?.(0, "connectivity-change", { OnlineState: connectivity(props.Connectivity) });
    } else if (path === DNS_PATH && iface === DNS_MANAGER) {
      if (props.Configuration) this.signalled.add("dns-change");
      this.dnsChange(props, false);
    } else if (path === SETTINGS_PATH && props.Hostname) {
      this.signalled.add("hostname");
      sink.event?.(0, "hostname", { Hostname: str(props, "Hostname") });
    } else if (iface === DEVICE) {
      for (const family of [4, 6] as const) {
        const config = props[`Dhcp${family}Config`]?.value;
        if (typeof config === "string") this.ownDhcp(path, family, config);
      }
    } else if ((iface === `${NM}.DHCP4Config` || iface === `${NM}.DHCP6Config`) && props.Options) {
      // New DHCP data (a lease, a renewal with new options): NetworkManager's dhcpN-change.
      const owner = this.dhcpOwner.get(path);
      if (owner) this.dhcpChange(owner.device, owner.family);
      else {
        // A new configuration's options may come before the device names it
        // (its Dhcp4Config property, or netevd's first read of the device).
        this.unowned.delete(path);
        this.unowned.add(path);
        for (const old of this.unowned) {
          if (this.unowned.size <= MAX_UNOWNED) break;
          this.unowned.delete(old);
        }
      }
    }
  }

  private dhcpChange(devicePath: string, family: 4 | 6): void {
    const event = `dhcp${family}-change`;
    const device = this.devices.get(devicePath);
    if (device) this.opts.sink.event?.(device.ifindex, event);
    else if (this.adding.has(devicePath)) {
      const list = this.pendingEvents.get(devicePath) ?? [];
      if (list.length < 8) list.push(event);
      this.pendingEvents.set(devicePath, list);
    }
  }

  /** Which device a DHCP configuration object belongs to ("/": the device has none now). */
  private ownDhcp(device: string, family: 4 | 6, config: string): void {
    for (const [p, o] of this.dhcpOwner)
      if (o.device === device && o.family === family) this.dhcpOwner.delete(p);
    if (config === "/") return;
    this.dhcpOwner.set(config, { device, family });
    if (this.unowned.delete(config)) this.dhcpChange(device, family);
  }

  private onSignal(msg: Message): void {
    if (msg.interface === PROPS && msg.member === "PropertiesChanged" && msg.path) {
      const [iface, props] = msg.body as [string, Props];
      this.onPropertiesChanged(msg.path, iface, props);
      return;
    }
    if (msg.interface === DEVICE && msg.member === "StateChanged" && msg.path) {
      const [state, old] = msg.body as [number, number, number];
      if (this.adding.has(msg.path))
        this.newer.set(msg.path, { state, before: this.newer.get(msg.path)?.before ?? old });
      const device = this.devices.get(msg.path);
      if (device)
        this.opts.sink.link(
          device.ifindex,
          device.name,
          { DeviceState: stateName(DEVICE_STATES, state) },
          false,
        );
      else void this.addDevice(msg.path, false);
      return;
    }
    if (msg.interface === VPN_CONNECTION && msg.member === "VpnStateChanged" && msg.path) {
      this.vpns.stateChanged(msg.path, Number((msg.body as [number])[0]));
      return;
    }
    if (msg.interface !== NM || msg.path !== NM_PATH) return;
    if (msg.member === "StateChanged") {
      const [state] = msg.body as [number];
      this.opts.sink.manager({ OperationalState: stateName(MANAGER_STATES, state) }, false);
    } else if (msg.member === "DeviceAdded") {
      void this.addDevice((msg.body as [string])[0], false, true);
    } else if (msg.member === "DeviceRemoved") {
      const path = (msg.body as [string])[0];
      const device = this.devices.get(path);
      this.devices.delete(path);
      for (const family of [4, 6] as const) this.ownDhcp(path, family, "/");
      if (device) {
        this.opts.sink.event?.(device.ifindex, "device-delete");
        this.opts.sink.removed?.(device.ifindex);
      }
    }
  }

  /**
   * DNS servers and domains from the device's Ip4Config/Ip6Config; DHCP data
   * from Dhcp4Config; and the whole view nm-dispatcher style scripts get. For
   * vpn-up and vpn-down, the VPN's view read when NetworkManager signalled it.
   */
  async details(ifindex: number, event?: string): Promise<LinkDetails | null> {
    const vpn =
      event === "vpn-up" || event === "vpn-down" ? this.vpnViews.get(`${event} ${ifindex}`) : undefined;
    if (vpn) return { dns: [], domains: [], dhcp: null, nm: vpn };
    const device = [...this.devices.values()].find((d) => d.ifindex === ifindex);
    if (!device) return null;
    try {
      return await deviceDetails((path, iface) => this.getAll(path, iface), device);
    } catch (err) {
      this.opts.log.debug(`reading ${device.name}'s IP configuration failed: ${(err as Error).message}`);
      return null;
    }
  }

  stop(): void {
    this.watch.stop();
  }
}

const connectivity = (v: { value: unknown } | undefined): string =>
  CONNECTIVITY[Number(v?.value ?? 0)] ?? "unknown";
