// Fake systemd-resolved and systemd-hostnamed on a private bus, per
// As the real resolved and hostnamed: SetLinkDNS checks family and byte length (InvalidArgs),
// answers LinkBusy for links networkd manages and NoSuchLink for links it does
// not know (yet); SetHostname records the transient name.
import { Message, type MessageBus, MessageType } from "dbus-next";
import { formatIp } from "../../src/netlink/ip";
import { connect, newError } from "./dbus";

export class FakeResolved {
  bus: MessageBus | undefined;
  /** ifindex → what resolved holds for it. */
  readonly links = new Map<number, { dns: string[]; domains: [string, boolean][] }>();
  /** Links networkd manages: calls for them get LinkBusy. */
  readonly managed = new Set<number>();
  /** NoSuchLink this many more times for a link (it "appears" afterwards). */
  readonly unknownFor = new Map<number, number>();
  readonly calls: string[] = [];

  constructor(private readonly address: string) {}

  async start(): Promise<void> {
    const bus = connect({ busAddress: this.address });
    this.bus = bus;
    bus.addMethodHandler((msg: Message) => this.handle(bus, msg));
    await bus.requestName("org.freedesktop.resolve1", 0);
  }

  stop(): void {
    this.bus?.disconnect();
  }

  private handle(bus: MessageBus, msg: Message): boolean {
    if (msg.type !== MessageType.METHOD_CALL) return false;
    this.calls.push(msg.member ?? "");
    const fail = (name: string, text: string) => bus.send(newError(msg, name, text));
    const [ifindex, value] = msg.body as [number, unknown];
    const pending = this.unknownFor.get(ifindex) ?? 0;
    if (pending > 0) {
      this.unknownFor.set(ifindex, pending - 1);
      fail("org.freedesktop.resolve1.NoSuchLink", `Link ${ifindex} not known`);
      return true;
    }
    if (this.managed.has(ifindex)) {
      fail("org.freedesktop.resolve1.LinkBusy", `Link ${ifindex} is managed.`);
      return true;
    }
    const link = this.links.get(ifindex) ?? { dns: [], domains: [] };
    if (msg.member === "SetLinkDNS" && msg.signature === "ia(iay)") {
      const dns: string[] = [];
      for (const [family, bytes] of value as [number, Buffer][]) {
        if (!((family === 2 && bytes.length === 4) || (family === 10 && bytes.length === 16))) {
          fail("org.freedesktop.DBus.Error.InvalidArgs", "Invalid DNS server address");
          return true;
        }
        dns.push(formatIp(new Uint8Array(bytes)) ?? "?");
      }
      link.dns = dns;
    } else if (msg.member === "SetLinkDomains" && msg.signature === "ia(sb)") {
      link.domains = value as [string, boolean][];
    } else {
      fail("org.freedesktop.DBus.Error.UnknownMethod", `unknown method ${msg.member}`);
      return true;
    }
    this.links.set(ifindex, link);
    bus.send(Message.newMethodReturn(msg, "", []));
    return true;
  }
}

export class FakeHostnamed {
  bus: MessageBus | undefined;
  readonly transient: string[] = [];
  readonly staticWrites: string[] = [];

  constructor(private readonly address: string) {}

  async start(): Promise<void> {
    const bus = connect({ busAddress: this.address });
    this.bus = bus;
    bus.addMethodHandler((msg: Message) => {
      if (msg.type !== MessageType.METHOD_CALL) return false;
      const [name] = msg.body as [string, boolean];
      if (msg.member === "SetHostname" && msg.signature === "sb") this.transient.push(name);
      else if (msg.member === "SetStaticHostname") this.staticWrites.push(name);
      else {
        bus.send(newError(msg, "org.freedesktop.DBus.Error.UnknownMethod", "unknown"));
        return true;
      }
      bus.send(Message.newMethodReturn(msg, "", []));
      return true;
    });
    await bus.requestName("org.freedesktop.hostname1", 0);
  }

  stop(): void {
    this.bus?.disconnect();
  }
}
