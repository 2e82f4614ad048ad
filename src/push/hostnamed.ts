// The DHCP host name as the TRANSIENT host name, through systemd-hostnamed
// (org.freedesktop.hostname1). /etc/hostname (the static name) is never written: that
// would make a DHCP server's answer permanent. hostnamed is bus-activated.
import type { BusConnection } from "./bus-connection";

export class Hostnamed {
  constructor(private readonly bus: BusConnection) {}

  async setHostname(name: string): Promise<void> {
    await this.bus.call({
      destination: "org.freedesktop.hostname1",
      path: "/org/freedesktop/hostname1",
      interface: "org.freedesktop.hostname1",
      member: "SetHostname",
      signature: "sb",
      body: [name, false],
    });
  }
}
