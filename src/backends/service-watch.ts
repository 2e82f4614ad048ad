// Following one D-Bus service over restarts of the service and of the bus:
// subscribe (match rules with sender) first, then enumerate, so nothing
// between the two is missed; re-enumerate when the service gets a new owner;
// reconnect to a lost bus with backoff (0.25 s doubling to 30 s); log a loss
// once and the return once.
import type { Message, MessageBus } from "dbus-next";
import type { Logger } from "../log/logger";
import { Backoff, RetryTimer, sleep } from "../util/backoff";
import {
  type CallSpec,
  callWithTimeout,
  dbusErrorName,
  onBusLost,
  whileConnected,
  systemBus,
} from "../util/dbus-call";

/** How a D-Bus backend connects: shared by every backend's options. */
export interface WatchConnection {
  log: Logger;
  /** A new bus connection (tests pass a private bus). */
  connect?: () => MessageBus;
  callTimeoutMs?: number;
  /** A failed call or a lost connection (the D-Bus errors metric). */
  onError?: () => void;
}

export interface ServiceWatchOptions extends WatchConnection {
  /** Well-known name, e.g. org.freedesktop.network1. */
  service: string;
  /** For log lines: "systemd-networkd". */
  label: string;
  /** Match rules for the service's signals (NameOwnerChanged is added). */
  matches: string[];
  /** Reads the service's current state; the service not running is handled here. */
  enumerate: () => Promise<void>;
  /** Before each enumeration of a fresh view: connected (again) to the bus, or the service has a new owner. */
  onNewOwner?: () => void;
  onSignal: (msg: Message) => void;
}

const DBUS = {
  destination: "org.freedesktop.DBus",
  path: "/org/freedesktop/DBus",
  interface: "org.freedesktop.DBus",
};

/**
 * The service is not on the bus: not there, or the bus could not start it
 * (systemd's "Unit dbus-org.freedesktop.network1.service not found." is
 * NoSuchUnit; a masked or failing unit, a failed spawn). Not a lost bus.
 */
const NOT_RUNNING =
  /ServiceUnknown|NameHasNoOwner|org\.freedesktop\.systemd1\.(NoSuchUnit|LoadFailed|UnitMasked|TransactionIsDestructive)|Error\.Spawn\./;

/** The service owns its name but has not exported its objects yet. */
const NOT_YET = /UnknownObject|UnknownMethod|UnknownInterface/;

export class ServiceWatch {
  private bus: MessageBus | undefined;
  private stopped = false;
  private readonly reconnect = new RetryTimer(new Backoff(250, 30_000), () => void this.connect());
  private lostLogged = false;
  /** Bumped per new owner: a retry for an older owner stops. */
  private ownerGeneration = 0;

  constructor(private readonly opts: ServiceWatchOptions) {}

  start(): Promise<void> {
    return this.connect();
  }

  /** A method call on the service (destination filled in). */
  call(spec: Omit<CallSpec, "destination">): Promise<unknown[]> {
    if (!this.bus) return Promise.reject(new Error("not connected to the system bus"));
    return callWithTimeout(this.bus, { destination: this.opts.service, ...spec }, this.opts.callTimeoutMs);
  }

  private async connect(): Promise<void> {
    const bus = (this.opts.connect ?? systemBus)();
    this.bus = bus;
    onBusLost(bus, (why) => this.lost(bus, why));
    bus.on("message", (msg: Message) => this.onMessage(msg));
    try {
      const owner = `type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='${this.opts.service}'`;
      await whileConnected(
        bus,
        (async () => {
          for (const rule of [...this.opts.matches, owner])
            await callWithTimeout(
              bus,
              { ...DBUS, member: "AddMatch", signature: "s", body: [rule] },
              this.opts.callTimeoutMs,
            );
        })(),
      );
      this.opts.onNewOwner?.();
      await this.refresh();
      this.reconnect.succeeded();
    } catch (err) {
      // Connected, and the service answered "not yet" (it owns its name before it exports its objects).
      if (this.bus === bus && NOT_YET.test(dbusErrorName(err) ?? "")) {
        this.reconnect.succeeded();
        void this.refreshNewOwner(++this.ownerGeneration);
      } else this.lost(bus, (err as Error).message);
    }
  }

  /** Enumerates; the service not being on the bus is waited for, not an error. */
  private async refresh(): Promise<void> {
    try {
      await this.opts.enumerate();
    } catch (err) {
      if (NOT_RUNNING.test(dbusErrorName(err) ?? "")) {
        this.gone(`${this.opts.label} is not running; waiting for it`);
        return;
      }
      throw err;
    }
    if (this.lostLogged) this.opts.log.info(`${this.opts.label} is back: state re-read`);
    this.lostLogged = false;
  }

  /**
   * A service takes its bus name before it exports its objects (NetworkManager
   * does): "no such object" then means "not yet", and the read is tried again,
   * 100 ms doubling to 5 s, until it succeeds or the owner changes again.
   */
  private async refreshNewOwner(generation: number): Promise<void> {
    const delays = new Backoff(100, 5_000);
    for (;;) {
      try {
        await this.refresh();
        return;
      } catch (err) {
        const notYet = NOT_YET.test(dbusErrorName(err) ?? "");
        if (!notYet || this.stopped) {
          this.opts.log.warn(`re-reading ${this.opts.label}'s state failed: ${(err as Error).message}`);
          return;
        }
      }
      await sleep(delays.next());
      if (this.stopped || generation !== this.ownerGeneration) return;
    }
  }

  private gone(message: string): void {
    this.opts.onError?.();
    if (!this.lostLogged) this.opts.log.warn(message);
    this.lostLogged = true;
  }

  private onMessage(msg: Message): void {
    if (msg.interface === "org.freedesktop.DBus" && msg.member === "NameOwnerChanged") {
      const [name, , newOwner] = msg.body as [string, string, string];
      if (name !== this.opts.service) return;
      // A new owner: the service (re)started and its state may have changed while it was away.
      if (newOwner) {
        this.opts.onNewOwner?.();
        void this.refreshNewOwner(++this.ownerGeneration);
      } else this.gone(`${this.opts.label} left the bus; waiting for it`);
      return;
    }
    this.opts.onSignal(msg);
  }

  private lost(bus: MessageBus, why: string): void {
    if (this.bus !== bus || this.stopped) return;
    this.bus = undefined;
    try {
      bus.disconnect();
    } catch {
      // already gone
    }
    this.gone(`lost the system bus (${why}); reconnecting`);
    this.reconnect.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.reconnect.cancel();
    this.bus?.disconnect();
    this.bus = undefined;
  }
}
