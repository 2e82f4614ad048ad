// sd_notify(3): READY=1, STATUS=, WATCHDOG=1, STOPPING=1 as datagrams to
// $NOTIFY_SOCKET. Without the variable (not under systemd) every call is a no-op.
import type { Logger } from "../log/logger";
import type { NativeBinding } from "../native/binding";

export class Notifier {
  private readonly socket: string | undefined;
  private watchdogTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly binding: NativeBinding,
    private readonly log: Logger,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.socket = env.NOTIFY_SOCKET || undefined;
  }

  get enabled(): boolean {
    return this.socket !== undefined;
  }

  /** Sends "KEY=value" lines; false when not under systemd or the send failed (logged once per kind). */
  send(fields: Record<string, string>): boolean {
    if (!this.socket) return false;
    const text = Object.entries(fields)
      .map(([k, v]) => `${k}=${v.replace(/\n/g, " ")}`)
      .join("\n");
    try {
      this.binding.notify(this.socket, text);
      return true;
    } catch (err) {
      this.log.warn(`sd_notify to ${this.socket} failed: ${(err as Error).message}`);
      return false;
    }
  }

  ready(status: string): boolean {
    return this.send({ READY: "1", STATUS: status });
  }
  status(text: string): boolean {
    return this.send({ STATUS: text });
  }
  stopping(): boolean {
    return this.send({ STOPPING: "1" });
  }

  /** WATCHDOG_USEC (for this pid): the interval in ms at which to send WATCHDOG=1, half the timeout. */
  watchdogIntervalMs(): number | undefined {
    const usec = Number(this.env.WATCHDOG_USEC);
    const pid = this.env.WATCHDOG_PID;
    if (!Number.isFinite(usec) || usec <= 0 || (pid && Number(pid) !== process.pid)) return undefined;
    return Math.max(1, Math.floor(usec / 2000));
  }

  /** Starts WATCHDOG=1 pings when systemd asked for them; `healthy` can veto a ping. */
  startWatchdog(healthy: () => boolean = () => true): void {
    const every = this.watchdogIntervalMs();
    if (every === undefined || this.watchdogTimer) return;
    this.watchdogTimer = setInterval(() => {
      if (healthy()) this.send({ WATCHDOG: "1" });
    }, every);
    this.watchdogTimer.unref();
  }

  stopWatchdog(): void {
    clearInterval(this.watchdogTimer);
    this.watchdogTimer = undefined;
  }
}
