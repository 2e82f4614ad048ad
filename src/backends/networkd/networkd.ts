// systemd-networkd over D-Bus: subscribe (match rule with sender) first, then
// enumerate (ListLinks + GetAll); take values from PropertiesChanged itself;
// survive networkd and the bus restarting (reconnect with backoff, re-enumerate,
// log once).
import type { Message } from "dbus-next";
import { ServiceWatch, type WatchConnection } from "../service-watch";
import type { LeaseData, LinkDetails, LinkProperties } from "../../links/link-table";
import type { Backend, BackendSink } from "../types";
import { type DescribeReply, parseDescribe, parseDescribeLink } from "./describe-link";
import { NetworkdLeases } from "./leases";
import { ifindexOfPath } from "./path-label";

const NETWORK1 = "org.freedesktop.network1";
const MANAGER_PATH = "/org/freedesktop/network1";
const MANAGER = "org.freedesktop.network1.Manager";
const LINK = "org.freedesktop.network1.Link";
const PROPS = "org.freedesktop.DBus.Properties";
const MATCH = `type='signal',sender='${NETWORK1}',interface='${PROPS}',member='PropertiesChanged',path_namespace='${MANAGER_PATH}'`;
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

export interface NetworkdOptions extends WatchConnection {
  sink: BackendSink;
  /** networkd's state directory, /run/systemd/netif (tests give their own). */
  stateDir?: string;
}

export class NetworkdBackend implements Backend {
  readonly eventProperties = ["OperationalState", "AdministrativeState"] as const;
  private readonly watch: ServiceWatch;
  /** Links networkd has told of (enumeration or a signal). */
  private readonly known = new Set<number>();
  /** A new link's signals, in order, while its values are asked for. */
  private readonly asking = new Map<number, Promise<void>>();
  /**
   * While the enumeration reads a link (an ifindex) or the manager (0), the
   * values its signals brought meanwhile: they win over the reply. A signal
   * sent before the reply shows what the reply shows anyway; dbus-next may
   * handle one sent after it, in the same read, before the reply's reader
   * resumes, and the reply's older values must not undo it.
   */
  private readonly signalled = new Map<number, LinkProperties>();
  private readonly leases: NetworkdLeases;

  constructor(private readonly opts: NetworkdOptions) {
    this.leases = new NetworkdLeases({
      log: opts.log,
      onChange: (ifindex, family, change) =>
        opts.sink.event?.(ifindex, `dhcp${family}-change`, undefined, false, change),
      describe: (ifindex) => this.describe(ifindex),
      ...(opts.stateDir ? { dir: opts.stateDir } : {}),
    });
    this.watch = new ServiceWatch({
      service: NETWORK1,
      label: "systemd-networkd",
      matches: [MATCH],
      enumerate: () => this.enumerate(),
      onSignal: (msg) => this.onSignal(msg),
      ...opts,
    });
  }

  start(): Promise<void> {
    // The bus connection first: the leases' first reading asks networkd (DescribeLink) for DHCPv6.
    const started = this.watch.start();
    this.leases.start();
    return started;
  }

  lease(ifindex: number, family?: 4 | 6): LeaseData | null {
    return this.leases.lease(ifindex, family);
  }

  addressAnnounced(ifindex: number): void {
    this.leases.addressAnnounced(ifindex);
  }

  /** The link's DescribeLink reply, parsed; null when networkd did not answer with one. */
  private async describe(ifindex: number): Promise<DescribeReply | null> {
    try {
      return parseDescribe(
        String((await this.call("DescribeLink", MANAGER, MANAGER_PATH, "i", [ifindex]))[0]),
      );
    } catch (err) {
      this.opts.log.debug(`DescribeLink(${ifindex}) failed: ${(err as Error).message}`);
      return null;
    }
  }

  private call(member: string, iface: string, path: string, signature?: string, body?: unknown[]) {
    return this.watch.call({ path, interface: iface, member, ...(signature ? { signature, body } : {}) });
  }

  /** ListLinks + the properties of each. */
  private async enumerate(): Promise<void> {
    const links = (await this.call("ListLinks", MANAGER, MANAGER_PATH))[0] as [number, string, string][];
    this.opts.sink.manager(await this.read(0, MANAGER_PATH, MANAGER), true);
    for (const [ifindex, name, path] of links) {
      this.known.add(ifindex);
      try {
        this.opts.sink.link(ifindex, name, await this.read(ifindex, path, LINK), true);
      } catch (err) {
        // A link that went away between ListLinks and GetAll: its signals say the rest.
        this.opts.log.debug(`link ${name} vanished during enumeration: ${(err as Error).message}`);
      }
    }
  }

  /** GetAll of the manager (key 0) or a link, with what its signals said meanwhile over it. */
  private async read(key: number, path: string, iface: string): Promise<LinkProperties> {
    this.signalled.set(key, {});
    try {
      const reply = await this.getAll(path, iface);
      return { ...reply, ...this.signalled.get(key) };
    } finally {
      this.signalled.delete(key);
    }
  }

  private async getAll(path: string, iface: string): Promise<LinkProperties> {
    return pick(
      (await this.call("GetAll", PROPS, path, "s", [iface]))[0] as Record<string, { value: unknown }>,
    );
  }

  private onSignal(msg: Message): void {
    if (msg.interface !== PROPS || msg.member !== "PropertiesChanged" || !msg.path?.startsWith(MANAGER_PATH))
      return;
    const [iface, changed] = msg.body as [string, Record<string, { value: unknown }>];
    const props = pick(changed);
    if (Object.keys(props).length === 0) return;
    if (msg.path === MANAGER_PATH && iface === MANAGER) {
      this.noteSignalled(0, props);
      this.opts.sink.manager(props, false);
      return;
    }
    const ifindex = ifindexOfPath(msg.path);
    if (ifindex === undefined || iface !== LINK) return;
    this.noteSignalled(ifindex, props);
    this.linkSignal(ifindex, msg.path, props);
  }

  private noteSignalled(key: number, props: LinkProperties): void {
    const during = this.signalled.get(key);
    if (during) Object.assign(during, props);
  }

  /**
   * A link's first signal says what changed, not the rest (a new link's first
   * `off` carries no AdministrativeState): its values are asked for once, its
   * later signals wait their turn. A lingering link is forgotten.
   */
  private linkSignal(ifindex: number, path: string, props: LinkProperties): void {
    const pending = this.asking.get(ifindex);
    if (this.known.has(ifindex) && !pending) this.deliver(ifindex, props);
    else {
      const first = !this.known.has(ifindex);
      this.known.add(ifindex);
      const next = (pending ?? Promise.resolve()).then(async () => {
        const asked = first ? await this.ask(path) : undefined;
        this.deliver(ifindex, props, asked);
      });
      this.asking.set(ifindex, next);
      void next.then(() => {
        if (this.asking.get(ifindex) === next) this.asking.delete(ifindex);
      });
    }
  }

  private deliver(ifindex: number, props: LinkProperties, asked?: LinkProperties): void {
    if (props.AdministrativeState === "linger") this.known.delete(ifindex);
    this.opts.sink.link(ifindex, null, props, false, asked);
  }

  private async ask(path: string): Promise<LinkProperties | undefined> {
    try {
      return await this.getAll(path, LINK);
    } catch (err) {
      this.opts.log.debug(`GetAll(${path}) failed: ${(err as Error).message}`);
      return undefined;
    }
  }

  async details(ifindex: number): Promise<LinkDetails | null> {
    const reply = await this.describe(ifindex);
    if (reply === null) return null;
    // networkd has written the link's files before it answers: the leases read now are the ones it holds.
    this.leases.refresh(ifindex);
    this.leases.described(ifindex, reply);
    return { ...parseDescribeLink(reply), dhcp: this.leases.lease(ifindex)?.info ?? null };
  }

  stop(): void {
    this.watch.stop();
    this.leases.close();
  }
}
