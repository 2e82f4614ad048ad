// A fake NetworkManager on a private bus, like the real one: device paths
// by NM's own counter (not the ifindex), GetDevices/GetAll, Device.StateChanged
// (new, old, reason) with the values, DeviceAdded/DeviceRemoved and the
// manager's StateChanged, IP4Config with NameserverData and DHCP4Config Options.
import { Message, type MessageBus, MessageType, Variant } from "dbus-next";
import { connect, newError } from "./dbus";

const NM = "org.freedesktop.NetworkManager";
const NM_PATH = "/org/freedesktop/NetworkManager";
const PROPS = "org.freedesktop.DBus.Properties";

export interface FakeDevice {
  path: string;
  iface: string;
  state: number;
  ip4?: { dns: string[]; domains: string[] };
  dhcp4?: Record<string, string>;
}

export class FakeNetworkManager {
  bus: MessageBus | undefined;
  readonly devices = new Map<string, FakeDevice>();
  state = 70;
  /** False: it owns its name but has no objects yet, as NetworkManager right after it starts. */
  exported = true;
  /** Calls answered "no such object" while not exported. */
  unexportedAnswers = 0;
  /** The objects whose properties were asked for, in the order asked. */
  readonly asked: string[] = [];
  /** Called as a GetAll arrives, before it is answered (a change that races the reply). */
  onAsk: ((path: string) => void) | undefined;
  private counter = 7; // NM's counter: never the ifindex

  constructor(private readonly address: string) {}

  async start(): Promise<void> {
    const bus = connect({ busAddress: this.address });
    this.bus = bus;
    bus.addMethodHandler((msg: Message) => this.handle(bus, msg));
    await bus.requestName(NM, 0);
  }

  stop(): void {
    this.bus?.disconnect();
    this.bus = undefined;
  }

  /** A device (not announced; call announce() to send DeviceAdded). */
  add(iface: string, state: number, extra: Partial<FakeDevice> = {}): FakeDevice {
    const d: FakeDevice = { path: `${NM_PATH}/Devices/${this.counter++}`, iface, state, ...extra };
    this.devices.set(d.path, d);
    return d;
  }

  announce(d: FakeDevice): void {
    this.bus?.send(Message.newSignal(NM_PATH, NM, "DeviceAdded", "o", [d.path]));
  }

  remove(d: FakeDevice): void {
    this.devices.delete(d.path);
    this.bus?.send(Message.newSignal(NM_PATH, NM, "DeviceRemoved", "o", [d.path]));
  }

  setState(d: FakeDevice, state: number, reason = 0): void {
    const old = d.state;
    d.state = state;
    this.bus?.send(Message.newSignal(d.path, `${NM}.Device`, "StateChanged", "uuu", [state, old, reason]));
  }

  /**
   * A new DHCPv4 lease in a new configuration object: its Options change and
   * the device's Dhcp4Config names it, in either order (NetworkManager's own
   * order depends on timing).
   */
  lease(d: FakeDevice, options: Record<string, string>, optionsFirst: boolean): void {
    d.dhcp4 = options;
    const config = `${NM_PATH}/DHCP4Config/${d.path.split("/").pop()}`;
    const v = (sig: string, value: unknown) => new Variant(sig, value);
    const opts = Object.fromEntries(Object.entries(options).map(([k, x]) => [k, v("s", x)]));
    const signals = [
      Message.newSignal(config, PROPS, "PropertiesChanged", "sa{sv}as", [
        `${NM}.DHCP4Config`,
        { Options: v("a{sv}", opts) },
        [],
      ]),
      Message.newSignal(d.path, PROPS, "PropertiesChanged", "sa{sv}as", [
        `${NM}.Device`,
        { Dhcp4Config: v("o", config) },
        [],
      ]),
    ];
    for (const m of optionsFirst ? signals : signals.reverse()) this.bus?.send(m);
  }

  setManagerState(state: number): void {
    this.state = state;
    this.bus?.send(Message.newSignal(NM_PATH, NM, "StateChanged", "u", [state]));
  }

  private handle(bus: MessageBus, msg: Message): boolean {
    // A call read after stop(): its connection is closed, and a reply would throw out of dbus-next.
    if (this.bus !== bus) return true;
    if (msg.type !== MessageType.METHOD_CALL) return false;
    const reply = (sig: string, body: unknown[]) => bus.send(Message.newMethodReturn(msg, sig, body));
    const path = msg.path ?? "";
    if (!this.exported) {
      this.unexportedAnswers++;
      bus.send(
        newError(msg, "org.freedesktop.DBus.Error.UnknownObject", `Object does not exist at path ${path}`),
      );
      return true;
    }
    if (msg.member === "GetDevices" && path === NM_PATH) {
      reply("ao", [[...this.devices.keys()]]);
      return true;
    }
    if (msg.member !== "GetAll" || msg.interface !== PROPS) {
      bus.send(newError(msg, "org.freedesktop.DBus.Error.UnknownMethod", "unknown"));
      return true;
    }
    this.asked.push(path);
    this.onAsk?.(path);
    const s = (v: string) => new Variant("s", v);
    if (path === NM_PATH) {
      reply("a{sv}", [{ State: new Variant("u", this.state), Version: s("1.42.4-fake") }]);
      return true;
    }
    const device = this.devices.get(path);
    if (device) {
      reply("a{sv}", [
        {
          Interface: s(device.iface),
          IpInterface: s(device.state >= 70 ? device.iface : ""),
          State: new Variant("u", device.state),
          Ip4Config: new Variant("o", device.ip4 ? `${NM_PATH}/IP4Config/${path.split("/").pop()}` : "/"),
          Ip6Config: new Variant("o", "/"),
          Dhcp4Config: new Variant(
            "o",
            device.dhcp4 ? `${NM_PATH}/DHCP4Config/${path.split("/").pop()}` : "/",
          ),
        },
      ]);
      return true;
    }
    const owner = this.devices.get(`${NM_PATH}/Devices/${path.split("/").pop()}`);
    if (owner?.ip4 && path.includes("/IP4Config/")) {
      reply("a{sv}", [
        {
          NameserverData: new Variant(
            "aa{sv}",
            owner.ip4.dns.map((a) => ({ address: s(a) })),
          ),
          Domains: new Variant("as", owner.ip4.domains),
          Searches: new Variant("as", []),
        },
      ]);
      return true;
    }
    if (owner?.dhcp4 && path.includes("/DHCP4Config/")) {
      reply("a{sv}", [
        {
          Options: new Variant(
            "a{sv}",
            Object.fromEntries(Object.entries(owner.dhcp4).map(([k, v]) => [k, s(v)])),
          ),
        },
      ]);
      return true;
    }
    bus.send(newError(msg, "org.freedesktop.DBus.Error.UnknownObject", `no object ${path}`));
    return true;
  }
}
