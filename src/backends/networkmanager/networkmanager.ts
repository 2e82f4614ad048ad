// NetworkManager over D-Bus (org.freedesktop.NetworkManager). Device paths carry NM's own
// counter, not the ifindex: a device is mapped to a link by its IpInterface
// (else Interface) name through the kernel's table. Events are the device
// state names taken from Device.StateChanged's own arguments; the manager's
// StateChanged is the `manager` event.
import type { Message } from "dbus-next";
import type { DhcpInfo } from "../../events/event";
import { ServiceWatch, type WatchConnection } from "../service-watch";
import type { LinkDetails } from "../../links/link-table";
import type { Backend, BackendSink } from "../types";

const NM = "org.freedesktop.NetworkManager";
const NM_PATH = "/org/freedesktop/NetworkManager";
const DEVICE = "org.freedesktop.NetworkManager.Device";
const PROPS = "org.freedesktop.DBus.Properties";

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

const MATCHES = [
  `type='signal',sender='${NM}',interface='${DEVICE}',member='StateChanged',path_namespace='${NM_PATH}/Devices'`,
  `type='signal',sender='${NM}',interface='${NM}',path='${NM_PATH}'`,
];

type Props = Record<string, { value: unknown }>;

/** A string property's value ("" when absent or not a string). */
const str = (p: Props, key: string, fallback = ""): string => {
  const v = p[key]?.value;
  return typeof v === "string" && v !== "" ? v : fallback;
};

export interface NetworkManagerOptions extends WatchConnection {
  sink: BackendSink;
  /** The kernel's ifindex for an interface name (undefined: not known yet). */
  ifindexOf: (name: string) => number | undefined;
}

interface Device {
  path: string;
  name: string;
  ifindex: number;
}

export class NetworkManagerBackend implements Backend {
  readonly eventProperties = ["DeviceState"] as const;
  private readonly watch: ServiceWatch;
  private readonly devices = new Map<string, Device>();
  private readonly adding = new Map<string, Promise<void>>();
  /** The newest state a signal gave for a device still being read. */
  private readonly newer = new Map<string, number>();

  constructor(private readonly opts: NetworkManagerOptions) {
    this.watch = new ServiceWatch({
      service: NM,
      label: "NetworkManager",
      matches: MATCHES,
      enumerate: () => this.enumerate(),
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
  }

  /** Reads a device's interface name and state; maps it to the kernel's link. */
  /** One read per device at a time; StateChanged signals meanwhile are kept in `newer`. */
  private addDevice(path: string, initial: boolean): Promise<void> {
    let p = this.adding.get(path);
    if (!p) {
      p = this.readDevice(path, initial).finally(() => this.adding.delete(path));
      this.adding.set(path, p);
    }
    return p;
  }

  private async readDevice(path: string, initial: boolean): Promise<void> {
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
    const state = this.newer.get(path) ?? Number(props.State?.value ?? 0);
    this.newer.delete(path);
    this.opts.sink.link(ifindex, name, { DeviceState: stateName(DEVICE_STATES, state) }, initial);
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

  private onSignal(msg: Message): void {
    if (msg.interface === DEVICE && msg.member === "StateChanged" && msg.path) {
      const [state] = msg.body as [number, number, number];
      if (this.adding.has(msg.path)) this.newer.set(msg.path, state);
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
    if (msg.interface !== NM || msg.path !== NM_PATH) return;
    if (msg.member === "StateChanged") {
      const [state] = msg.body as [number];
      this.opts.sink.manager({ OperationalState: stateName(MANAGER_STATES, state) }, false);
    } else if (msg.member === "DeviceAdded") {
      void this.addDevice((msg.body as [string])[0], false);
    } else if (msg.member === "DeviceRemoved") {
      const path = (msg.body as [string])[0];
      const device = this.devices.get(path);
      this.devices.delete(path);
      if (device) this.opts.sink.removed?.(device.ifindex);
    }
  }

  /** DNS servers and domains from the device's Ip4Config/Ip6Config; DHCP data from Dhcp4Config. */
  async details(ifindex: number): Promise<LinkDetails | null> {
    const device = [...this.devices.values()].find((d) => d.ifindex === ifindex);
    if (!device) return null;
    try {
      const props = await this.getAll(device.path, DEVICE);
      const dns: string[] = [];
      const domains: string[] = [];
      for (const [key, iface] of [
        ["Ip4Config", `${NM}.IP4Config`],
        ["Ip6Config", `${NM}.IP6Config`],
      ] as const) {
        const path = str(props, key, "/");
        if (path === "/") continue;
        const c = await this.getAll(path, iface);
        for (const entry of (c.NameserverData?.value ?? []) as Props[]) {
          const a = entry.address?.value;
          if (typeof a === "string") dns.push(a);
        }
        for (const d of [
          ...((c.Domains?.value ?? []) as string[]),
          ...((c.Searches?.value ?? []) as string[]),
        ])
          if (!domains.includes(d)) domains.push(d);
      }
      const dhcpPath = str(props, "Dhcp4Config", "/");
      const dhcp =
        dhcpPath === "/" ? null : dhcpFromOptions((await this.getAll(dhcpPath, `${NM}.DHCP4Config`)).Options);
      return { dns, domains, dhcp };
    } catch (err) {
      this.opts.log.debug(`reading ${device.name}'s IP configuration failed: ${(err as Error).message}`);
      return null;
    }
  }

  stop(): void {
    this.watch.stop();
  }
}

/** DHCP4Config Options (a{sv} of strings) in the event's terms. */
function dhcpFromOptions(options: { value: unknown } | undefined): DhcpInfo | null {
  const o = (options?.value ?? {}) as Record<string, { value: unknown }>;
  const get = (k: string): string | null => {
    const v = o[k]?.value;
    return typeof v === "string" ? v : null;
  };
  const address = get("ip_address");
  if (!address) return null;
  const list = (k: string) => (get(k) ?? "").split(/\s+/).filter(Boolean);
  const seconds = Number(get("dhcp_lease_time") ?? NaN);
  return {
    address,
    gateway: list("routers")[0] ?? null,
    dns: list("domain_name_servers"),
    domain: get("domain_name"),
    hostname: get("host_name"),
    lease_seconds: Number.isSafeInteger(seconds) ? seconds : null,
    server: get("dhcp_server_identifier"),
    lease_text: null,
  };
}
