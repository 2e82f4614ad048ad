// One lazily opened system-bus connection for calls netevd makes (resolved,
// hostnamed). A broken connection is dropped and the next call opens a new
// one, so a restarted bus costs one failed call at most.
import type { MessageBus } from "dbus-next";
import { type CallSpec, callWithTimeout, onBusLost, systemBus } from "../util/dbus-call";

export class BusConnection {
  private bus: MessageBus | undefined;

  constructor(
    private readonly connect: () => MessageBus = systemBus,
    private readonly timeoutMs?: number,
  ) {}

  async call(spec: CallSpec): Promise<unknown[]> {
    if (!this.bus) {
      const bus = this.connect();
      onBusLost(bus, () => {
        if (this.bus === bus) this.bus = undefined;
        try {
          bus.disconnect();
        } catch {
          // already closed
        }
      });
      this.bus = bus;
    }
    return callWithTimeout(this.bus, spec, this.timeoutMs);
  }

  close(): void {
    this.bus?.disconnect();
    this.bus = undefined;
  }
}
