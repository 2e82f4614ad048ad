// Watches which network managers run on this host: the owners of
// systemd-networkd's and NetworkManager's bus names (NameOwnerChanged, after
// a first NameHasOwner), and dhclient's lease files. Calls back with the new
// facts whenever one of them changes. A lost bus is reconnected with backoff;
// meanwhile the bus names count as unknown.
import type { Message, MessageBus } from "dbus-next";
import type { Logger } from "../log/logger";
import { DhclientLeases } from "./dhclient/dhclient";
import { Backoff, RetryTimer } from "../util/backoff";
import { callWithTimeout, onBusLost, whileConnected, systemBus } from "../util/dbus-call";
import { type HostFacts, NETWORKD_BUS_NAME, NM_BUS_NAME } from "./host-manager";

const DBUS = {
  destination: "org.freedesktop.DBus",
  path: "/org/freedesktop/DBus",
  interface: "org.freedesktop.DBus",
};
const NAMES = [NETWORKD_BUS_NAME, NM_BUS_NAME] as const;

export interface HostManagerWatchOptions {
  log: Logger;
  /** dhclient's lease files (backends.dhclient.lease_files; [] = the usual paths). */
  leaseFiles: string[];
  onChange: (facts: HostFacts) => void;
  /** A new bus connection (tests pass a private bus). */
  connect?: () => MessageBus;
  callTimeoutMs?: number;
}

export class HostManagerWatch {
  private bus: MessageBus | undefined;
  private readonly owned = new Map<string, boolean>();
  private busUp = false;
  private readonly leases: DhclientLeases;
  private readonly reconnect = new RetryTimer(new Backoff(250, 30_000), () => void this.connect());
  private stopped = false;
  /** start() has answered: from now on a change is reported. */
  private started = false;
  private last = "";

  constructor(private readonly opts: HostManagerWatchOptions) {
    this.leases = new DhclientLeases({
      leaseFiles: opts.leaseFiles,
      log: opts.log,
      onChange: () => this.changed(),
    });
  }

  /** The facts now: the bus asked once (or found unreachable), the lease files read. */
  async start(): Promise<HostFacts> {
    this.leases.start();
    await this.connect();
    this.last = JSON.stringify(this.facts());
    this.started = true;
    return this.facts();
  }

  facts(): HostFacts {
    return {
      bus: this.busUp,
      networkd: this.busUp && this.owned.get(NETWORKD_BUS_NAME) === true,
      networkManager: this.busUp && this.owned.get(NM_BUS_NAME) === true,
      dhclientLeases: this.leases.interfaces(),
    };
  }

  private changed(): void {
    if (this.stopped || !this.started) return;
    const now = JSON.stringify(this.facts());
    if (now === this.last) return;
    this.last = now;
    this.opts.onChange(this.facts());
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    let bus: MessageBus;
    try {
      bus = (this.opts.connect ?? systemBus)();
    } catch (err) {
      this.lost(undefined, (err as Error).message);
      return;
    }
    this.bus = bus;
    onBusLost(bus, (why) => this.lost(bus, why));
    bus.on("message", (msg: Message) => this.onMessage(msg));
    try {
      await whileConnected(
        bus,
        (async () => {
          for (const name of NAMES)
            await this.call(bus, "AddMatch", "s", [
              `type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='${name}'`,
            ]);
          for (const name of NAMES) {
            const [has] = await this.call(bus, "NameHasOwner", "s", [name]);
            this.owned.set(name, has === true);
          }
        })(),
      );
      this.busUp = true;
      this.reconnect.succeeded();
      this.changed();
    } catch (err) {
      this.lost(bus, (err as Error).message);
    }
  }

  private call(bus: MessageBus, member: string, signature: string, body: unknown[]): Promise<unknown[]> {
    return callWithTimeout(bus, { ...DBUS, member, signature, body }, this.opts.callTimeoutMs ?? 2000);
  }

  private onMessage(msg: Message): void {
    if (msg.interface !== "org.freedesktop.DBus" || msg.member !== "NameOwnerChanged") return;
    const [name, , owner] = msg.body as [string, string, string];
    if (!(NAMES as readonly string[]).includes(name)) return;
    this.owned.set(name, owner !== "");
    this.changed();
  }

  private lost(bus: MessageBus | undefined, why: string): void {
    if (this.stopped || this.bus !== bus) return;
    this.bus = undefined;
    try {
      bus?.disconnect();
    } catch {
      // already gone
    }
    // The backend's own watch says so at warning level; here it only changes what is known.
    this.opts.log.debug(
      `which managers run: system bus not reachable (${why}); asking again in ${this.reconnect.backoff.peek()} ms`,
    );
    this.busUp = false;
    this.owned.clear();
    this.changed();
    this.reconnect.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.reconnect.cancel();
    this.leases.close();
    this.bus?.disconnect();
    this.bus = undefined;
  }
}

/** The facts once, for a command (`netevd validate`, `netevd test`): the bus asked, the lease files read. */
export async function probeHost(leaseFiles: string[], log: Logger): Promise<HostFacts> {
  const w = new HostManagerWatch({ log, leaseFiles, onChange: () => undefined });
  try {
    return await w.start();
  } finally {
    w.stop();
  }
}
