// A private D-Bus daemon ("system" bus type, permissive policy) for tests, and
// a fake systemd-networkd on it that behaves like the real one: paths by the
// sd-bus label rule, ListLinks/GetAll/DescribeLink, PropertiesChanged carrying
// the new values, AdministrativeState in a signal of its own, NoSuchLink.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Message, type MessageBus, MessageType, sessionBus, Variant } from "dbus-next";
import { afterEach } from "vitest";
import { linkPath } from "../../src/backends/networkd/path-label";
import { waitFor } from "./proc";
import { tempDir } from "./tmp";

const buses: ChildProcess[] = [];
afterEach(() => {
  for (const b of buses.splice(0)) b.kill("SIGKILL");
});

/** A "system" bus with a permissive policy (the peers need no stock policy). */
export function busConfig(socket: string): string {
  return `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>system</type><listen>unix:path=${socket}</listen><auth>EXTERNAL</auth>
<policy context="default"><allow user="*"/><allow own="*"/><allow send_type="method_call"/><allow send_type="signal"/>
<allow send_requested_reply="true" send_type="method_return"/><allow send_requested_reply="true" send_type="error"/>
<allow receive_type="method_call"/><allow receive_type="method_return"/><allow receive_type="error"/><allow receive_type="signal"/>
<allow send_destination="*" eavesdrop="true"/></policy></busconfig>`;
}

export interface PrivateBus {
  address: string;
  stop: () => void;
  /** Kills the bus daemon and starts a new one on the same socket (every connection is lost). */
  restart: () => Promise<void>;
}

export async function startPrivateBus(): Promise<PrivateBus> {
  const dir = tempDir("netevd-bus-");
  const socket = join(dir, "system_bus_socket");
  const config = join(dir, "bus.conf");
  writeFileSync(config, busConfig(socket));
  let child: ChildProcess;
  const launch = async () => {
    rmSync(socket, { force: true });
    child = spawn("dbus-daemon", ["--config-file", config, "--nofork", "--nopidfile"], { stdio: "ignore" });
    buses.push(child);
    if (!(await waitFor(() => existsSync(socket), 5000)))
      throw new Error(`dbus-daemon did not make ${socket}`);
  };
  await launch();
  return {
    address: `unix:path=${socket}`,
    stop: () => child.kill("SIGKILL"),
    restart: async () => {
      const old = child;
      const gone = new Promise((r) => old.once("exit", r));
      old.kill("SIGKILL");
      await gone;
      await launch();
    },
  };
}

export interface FakeLink {
  ifindex: number;
  name: string;
  props: Record<string, string>;
  describe?: Record<string, unknown>;
}

const PROPS = "org.freedesktop.DBus.Properties";
// dbus-next's bundled typings miss these (the JavaScript has them).
// systemBus() ignores an address argument; sessionBus() takes one (any bus).
const open = sessionBus as unknown as (opts: { busAddress: string }) => MessageBus;
/**
 * A fake's connection. When a test restarts the bus, the connection is reset:
 * that is the test's event (the daemon's reconnection is what it checks), not
 * an uncaught error of the test process.
 */
export const connect = (opts: { busAddress: string }): MessageBus => {
  const bus = open(opts);
  (bus as unknown as NodeJS.EventEmitter).on("error", () => {});
  return bus;
};
export const newError = (m: Message, name: string, text: string): Message =>
  (Message as unknown as { newError(this: void, m: Message, name: string, text: string): Message }).newError(
    m,
    name,
    text,
  );
const MANAGER_PATH = "/org/freedesktop/network1";

export class FakeNetworkd {
  bus: MessageBus | undefined;
  readonly links = new Map<number, FakeLink>();
  manager: Record<string, string> = {
    OperationalState: "routable",
    CarrierState: "carrier",
    AddressState: "routable",
    OnlineState: "online",
  };
  readonly calls: string[] = [];
  /** SetLinkDNS/SetLinkDomains calls (the LinkBusy fallback): [member, ifindex, body]. */
  readonly linkSettings: [string, number, unknown][] = [];
  /** Called right after a reply to a GetAll of a link is sent (a change that follows it at once). */
  afterLinkGetAll: ((ifindex: number) => void) | undefined;

  constructor(private readonly address: string) {}

  async start(): Promise<void> {
    const bus = connect({ busAddress: this.address });
    this.bus = bus;
    bus.addMethodHandler((msg: Message) => this.handle(bus, msg));
    await bus.requestName("org.freedesktop.network1", 0);
  }

  /** networkd leaves the bus (as when it restarts). */
  stop(): void {
    this.bus?.disconnect();
    this.bus = undefined;
  }

  private handle(bus: MessageBus, msg: Message): boolean {
    if (msg.type !== MessageType.METHOD_CALL) return false;
    this.calls.push(msg.member ?? "");
    const reply = (sig: string, body: unknown[]) => bus.send(Message.newMethodReturn(msg, sig, body));
    const variants = (o: Record<string, string>) =>
      Object.fromEntries(Object.entries(o).map(([k, v]) => [k, new Variant("s", v)]));
    if (msg.member === "ListLinks") {
      reply("a(iso)", [[...this.links.values()].map((l) => [l.ifindex, l.name, linkPath(l.ifindex)])]);
    } else if (msg.member === "GetAll" && msg.interface === PROPS) {
      if (msg.path === MANAGER_PATH) reply("a{sv}", [variants(this.manager)]);
      else {
        const link = [...this.links.values()].find((l) => linkPath(l.ifindex) === msg.path);
        if (!link) bus.send(newError(msg, "org.freedesktop.DBus.Error.UnknownObject", "no such link"));
        else {
          reply("a{sv}", [variants(link.props)]);
          this.afterLinkGetAll?.(link.ifindex);
        }
      }
    } else if (msg.member === "DescribeLink") {
      const link = this.links.get((msg.body as [number])[0]);
      if (!link) bus.send(newError(msg, "org.freedesktop.resolve1.NoSuchLink", "Link not known"));
      else
        reply("s", [
          JSON.stringify({ Index: link.ifindex, Name: link.name, ...link.props, ...link.describe }),
        ]);
    } else if (msg.member === "SetLinkDNS" || msg.member === "SetLinkDomains") {
      const [ifindex, value] = msg.body as [number, unknown];
      if (!this.links.has(ifindex))
        bus.send(newError(msg, "org.freedesktop.network1.NoSuchLink", "Link not known"));
      else {
        this.linkSettings.push([msg.member, ifindex, value]);
        reply("", []);
      }
    } else {
      bus.send(newError(msg, "org.freedesktop.DBus.Error.UnknownMethod", "unknown"));
    }
    return true;
  }

  /** New property values: one PropertiesChanged with them, AdministrativeState in its own (as networkd does). */
  change(ifindex: number, props: Record<string, string>): void {
    const link = this.links.get(ifindex);
    if (!link || !this.bus) throw new Error("no such fake link or not on the bus");
    Object.assign(link.props, props);
    const { AdministrativeState, ...rest } = props;
    const send = (values: Record<string, string>) =>
      this.bus?.send(
        Message.newSignal(linkPath(ifindex), PROPS, "PropertiesChanged", "sa{sv}as", [
          "org.freedesktop.network1.Link",
          Object.fromEntries(Object.entries(values).map(([k, v]) => [k, new Variant("s", v)])),
          [],
        ]),
      );
    if (Object.keys(rest).length) send(rest);
    if (AdministrativeState !== undefined) send({ AdministrativeState });
  }

  changeManager(props: Record<string, string>): void {
    Object.assign(this.manager, props);
    this.bus?.send(
      Message.newSignal(MANAGER_PATH, PROPS, "PropertiesChanged", "sa{sv}as", [
        "org.freedesktop.network1.Manager",
        Object.fromEntries(Object.entries(props).map(([k, v]) => [k, new Variant("s", v)])),
        [],
      ]),
    );
  }
}
