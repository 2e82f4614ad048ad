// systemd-networkd over D-Bus: subscribe (match rule with sender) first, then
// enumerate (ListLinks + GetAll); take values from PropertiesChanged itself;
// survive networkd and the bus restarting (reconnect with backoff, re-enumerate,
// log once).
import { type MessageBus, Message, systemBus } from "dbus-next";
import type { Logger } from "../../log/logger";
import { callWithTimeout } from "../dbus-call";
import type { Backend, BackendSink, LinkDetails, LinkProperties } from "../types";
import { ifindexOfPath, linkPath } from "./path-label";

const NETWORK1 = "org.freedesktop.network1";
const MANAGER_PATH = "/org/freedesktop/network1";
const MANAGER = "org.freedesktop.network1.Manager";
const LINK = "org.freedesktop.network1.Link";
const PROPS = "org.freedesktop.DBus.Properties";
const MATCH = `type='signal',sender='${NETWORK1}',interface='${PROPS}',member='PropertiesChanged',path_namespace='${MANAGER_PATH}'`;
const OWNER_MATCH = `type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='${NETWORK1}'`;
const KEYS = [
  "OperationalState",
  "AdministrativeState",
  "CarrierState",
  "AddressState",
  "OnlineState",
] as const;

function pick(values: Record<string, { value: unknown }>): LinkProperties {
  const out: LinkProperties = {};
  for (const k of KEYS) {
    const v = values[k]?.value;
    if (typeof v === "string") out[k] = v;
  }
  return out;
}

export interface NetworkdOptions {
  sink: BackendSink;
  log: Logger;
  /** A new bus connection (tests pass a private bus). */
  connect?: () => MessageBus;
  callTimeoutMs?: number;
}

export class NetworkdBackend implements Backend {
  private bus: MessageBus | undefined;
  private stopped = false;
  private retryMs = 250;
  private retryTimer: NodeJS.Timeout | undefined;
  private lostLogged = false;

  constructor(private readonly opts: NetworkdOptions) {}

  async start(): Promise<void> {
    await this.connect();
  }

  private call(
    member: string,
    iface: string,
    path: string,
    signature?: string,
    body?: unknown[],
  ): Promise<unknown[]> {
    if (!this.bus) return Promise.reject(new Error("not connected to the system bus"));
    return callWithTimeout(
      this.bus,
      { destination: NETWORK1, path, interface: iface, member, ...(signature ? { signature, body } : {}) },
      this.opts.callTimeoutMs,
    );
  }

  private async connect(): Promise<void> {
    const bus = (this.opts.connect ?? systemBus)();
    this.bus = bus;
    bus.on("error", (err: Error) => this.lost(bus, err.message));
    bus.on("message", (msg: Message) => this.onMessage(msg));
    try {
      // Subscribe before enumerating: nothing between the two is missed.
      for (const rule of [MATCH, OWNER_MATCH]) {
        await callWithTimeout(
          bus,
          {
            destination: "org.freedesktop.DBus",
            path: "/org/freedesktop/DBus",
            interface: "org.freedesktop.DBus",
            member: "AddMatch",
            signature: "s",
            body: [rule],
          },
          this.opts.callTimeoutMs,
        );
      }
      await this.enumerate();
      if (this.lostLogged) this.opts.log.info("systemd-networkd is back: links re-read");
      this.lostLogged = false;
      this.retryMs = 250;
    } catch (err) {
      this.lost(bus, (err as Error).message);
    }
  }

  /** ListLinks + the properties of each; networkd not running is not an error (it may start later). */
  private async enumerate(): Promise<void> {
    let links: [number, string, string][];
    try {
      links = (await this.call("ListLinks", MANAGER, MANAGER_PATH))[0] as [number, string, string][];
    } catch (err) {
      if (/ServiceUnknown|NameHasNoOwner/.test(String((err as { type?: string }).type ?? err))) {
        if (!this.lostLogged) this.opts.log.warn("systemd-networkd is not running; waiting for it");
        this.lostLogged = true;
        return;
      }
      throw err;
    }
    const manager = (await this.call("GetAll", PROPS, MANAGER_PATH, "s", [MANAGER]))[0] as Record<
      string,
      { value: unknown }
    >;
    this.opts.sink.manager(pick(manager), true);
    for (const [ifindex, name, path] of links) {
      try {
        const props = (await this.call("GetAll", PROPS, path, "s", [LINK]))[0] as Record<
          string,
          { value: unknown }
        >;
        this.opts.sink.link(ifindex, name, pick(props), true);
      } catch (err) {
        // A link that went away between ListLinks and GetAll: its signals say the rest.
        this.opts.log.debug(`link ${name} vanished during enumeration: ${(err as Error).message}`);
      }
    }
  }

  private onMessage(msg: Message): void {
    if (msg.interface === "org.freedesktop.DBus" && msg.member === "NameOwnerChanged") {
      const [, , newOwner] = msg.body as [string, string, string];
      if (newOwner) {
        // networkd (re)started: its state may have changed while it was away.
        this.enumerate().catch((err: Error) =>
          this.opts.log.warn(`re-reading networkd's links failed: ${err.message}`),
        );
      } else if (!this.lostLogged) {
        this.opts.log.warn("systemd-networkd left the bus; waiting for it");
        this.lostLogged = true;
      }
      return;
    }
    if (msg.interface !== PROPS || msg.member !== "PropertiesChanged" || !msg.path?.startsWith(MANAGER_PATH))
      return;
    const [iface, changed] = msg.body as [string, Record<string, { value: unknown }>];
    const props = pick(changed);
    if (Object.keys(props).length === 0) return;
    if (msg.path === MANAGER_PATH && iface === MANAGER) {
      this.opts.sink.manager(props, false);
      return;
    }
    const ifindex = ifindexOfPath(msg.path);
    if (ifindex !== undefined && iface === LINK) this.opts.sink.link(ifindex, null, props, false);
  }

  /** The bus went away: reconnect with backoff (0.25 s doubling to 30 s), logging once. */
  private lost(bus: MessageBus, why: string): void {
    if (this.bus !== bus || this.stopped) return;
    this.bus = undefined;
    try {
      bus.disconnect();
    } catch {
      // already gone
    }
    if (!this.lostLogged) this.opts.log.warn(`lost the system bus (${why}); reconnecting`);
    this.lostLogged = true;
    this.retryTimer = setTimeout(() => void this.connect(), this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, 30_000);
  }

  async details(ifindex: number): Promise<LinkDetails | null> {
    try {
      const [json] = await this.call("DescribeLink", MANAGER, MANAGER_PATH, "i", [ifindex]);
      return parseDescribeLink(String(json));
    } catch (err) {
      this.opts.log.debug(`DescribeLink(${ifindex}) failed: ${(err as Error).message}`);
      return null;
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.bus?.disconnect();
    this.bus = undefined;
  }
}

/** DNS servers and domains out of networkd's DescribeLink JSON (entries may be strings or objects). */
export function parseDescribeLink(json: string): LinkDetails {
  let d: Record<string, unknown>;
  try {
    d = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return { dns: [], domains: [] };
  }
  const list = (v: unknown, key: string): string[] =>
    Array.isArray(v)
      ? v.flatMap((e) => {
          if (typeof e === "string") return [e];
          const s = (e as Record<string, unknown> | null)?.[key];
          return typeof s === "string" ? [s] : [];
        })
      : [];
  return { dns: list(d.DNS, "AddressString"), domains: list(d.SearchDomains, "Domain") };
}

export { linkPath };
