// Per-link DNS servers and domains to systemd-resolved (org.freedesktop.resolve1).
// resolved answers LinkBusy for links systemd-networkd manages; then the same
// call goes to networkd (as resolvectl does). A link resolved does not know
// yet (NoSuchLink) is retried with backoff.
import { dbusErrorName } from "../util/dbus-call";
import { TransientError } from "../errors";
import { familyOf, ipBytes } from "../netlink/ip";
import type { BusConnection } from "./bus-connection";
import { Backoff, sleep } from "../util/backoff";

const RESOLVE1 = {
  destination: "org.freedesktop.resolve1",
  path: "/org/freedesktop/resolve1",
  interface: "org.freedesktop.resolve1.Manager",
};
const NETWORK1 = {
  destination: "org.freedesktop.network1",
  path: "/org/freedesktop/network1",
  interface: "org.freedesktop.network1.Manager",
};

/** SetLinkDNS's a(iay): family and the address in network byte order. */
export function dnsServersArg(servers: string[]): [number, Buffer][] {
  return servers.map((s) => [familyOf(s), ipBytes(s)]);
}

/** SetLinkDomains's a(sb): search domains (routing-only false), without a trailing dot. */
function domainsArg(domains: string[]): [string, boolean][] {
  return domains.map((d) => [d.replace(/\.$/, ""), false]);
}

export interface RetryOptions {
  attempts: number;
  firstDelayMs: number;
}

const DEFAULT_RETRY: RetryOptions = { attempts: 6, firstDelayMs: 200 };

export class Resolved {
  constructor(
    private readonly bus: BusConnection,
    private readonly retry: RetryOptions = DEFAULT_RETRY,
  ) {}

  /** Returns who took the call: resolved, or networkd after LinkBusy. */
  setLinkDns(ifindex: number, servers: string[]): Promise<"resolved" | "networkd"> {
    return this.callLink("SetLinkDNS", "ia(iay)", [ifindex, dnsServersArg(servers)]);
  }

  setLinkDomains(ifindex: number, domains: string[]): Promise<"resolved" | "networkd"> {
    return this.callLink("SetLinkDomains", "ia(sb)", [ifindex, domainsArg(domains)]);
  }

  private async callLink(
    member: string,
    signature: string,
    body: unknown[],
  ): Promise<"resolved" | "networkd"> {
    const delays = new Backoff(this.retry.firstDelayMs, Number.MAX_SAFE_INTEGER);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.callOnce(member, signature, body);
      } catch (err) {
        if (!(err instanceof TransientError)) throw err;
        if (attempt >= this.retry.attempts) throw err.cause;
        await sleep(delays.next());
      }
    }
  }

  /** One try: LinkBusy goes to networkd; NoSuchLink (resolved does not know the link yet) is transient. */
  private async callOnce(
    member: string,
    signature: string,
    body: unknown[],
  ): Promise<"resolved" | "networkd"> {
    try {
      await this.bus.call({ ...RESOLVE1, member, signature, body });
      return "resolved";
    } catch (err) {
      const name = dbusErrorName(err) ?? "";
      if (name.endsWith(".LinkBusy")) {
        await this.bus.call({ ...NETWORK1, member, signature, body });
        return "networkd";
      }
      if (name.endsWith(".NoSuchLink")) throw new TransientError(`${member}: ${name}`, name, err);
      throw err;
    }
  }
}
