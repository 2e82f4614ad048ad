// What a lease's DNS servers, domains and host name become, per the use_*
// flags: pushed once per change, per link in order, and reset when the lease
// goes away. Values come from a DHCP server: they pass the same checks as
// the DHCP_* variables of scripts, so both see the same servers and domains.
import type { DhcpInfo } from "../events/event";
import { sanitizeDhcp } from "../events/sanitize";
import type { Logger } from "../log/logger";
import type { Hostnamed } from "./hostnamed";
import type { Resolved } from "./resolved";

export interface PushFlags {
  useDns: boolean;
  useDomain: boolean;
  useHostname: boolean;
  dryRun: boolean;
}

interface Pushed {
  dns: string[];
  domains: string[];
}

export class LeasePush {
  private readonly pushed = new Map<number, Pushed>();
  private readonly queues = new Map<number, Promise<void>>();
  private hostname: string | null = null;
  /** A push that failed (the D-Bus errors metric). */
  onFailed?: (peer: "systemd-resolved" | "systemd-hostnamed") => void;
  /** Each value pushed (the audit log). */
  onPushed?: (
    what: "dns.set" | "domains.set" | "hostname.set",
    link: string,
    values: string[],
    via: string,
  ) => void;

  constructor(
    private flags: PushFlags,
    private readonly resolved: Resolved,
    private readonly hostnamed: Hostnamed,
    private readonly log: Logger,
  ) {}

  update(flags: PushFlags): void {
    this.flags = flags;
  }

  /** The link's lease now (null: none). Resolves when the pushes for it are done. */
  apply(ifindex: number, ifname: string, info: DhcpInfo | null): Promise<void> {
    const prev = this.queues.get(ifindex) ?? Promise.resolve();
    const next = prev.then(() => this.push(ifindex, ifname, info));
    this.queues.set(ifindex, next);
    return next;
  }

  /** The link is gone: resolved forgets its settings by itself. */
  forget(ifindex: number): void {
    this.pushed.delete(ifindex);
  }

  private async push(ifindex: number, ifname: string, raw: DhcpInfo | null): Promise<void> {
    const log = this.log.child({ link: ifname });
    let info: DhcpInfo | null = null;
    if (raw) {
      const checked = sanitizeDhcp(raw);
      info = checked.dhcp;
      for (const d of checked.dropped) log.warn(`lease value not pushed: ${d.field} ${d.reason}`);
    }
    const want: Pushed = {
      dns: this.flags.useDns ? (info?.dns ?? []) : [],
      domains: this.flags.useDomain ? (info?.domain?.split(" ") ?? []) : [],
    };
    const had = this.pushed.get(ifindex) ?? { dns: [], domains: [] };
    const set = async (
      what: "dns.set" | "domains.set",
      label: string,
      values: string[],
      call: () => Promise<string>,
    ) => {
      if (this.flags.dryRun) {
        log.info(`dry run: would set ${label} [${values.join(" ")}]`);
        return;
      }
      const via = await call();
      log.info(`${label} [${values.join(" ")}] set through ${via}`);
      this.onPushed?.(what, ifname, values, via);
    };
    try {
      if (this.flags.useDns && want.dns.join() !== had.dns.join()) {
        await set("dns.set", "DNS servers", want.dns, () => this.resolved.setLinkDns(ifindex, want.dns));
        had.dns = want.dns;
      }
      if (this.flags.useDomain && want.domains.join() !== had.domains.join()) {
        await set("domains.set", "domains", want.domains, () =>
          this.resolved.setLinkDomains(ifindex, want.domains),
        );
        had.domains = want.domains;
      }
    } catch (err) {
      log.error(`pushing DNS settings to systemd-resolved failed: ${(err as Error).message}`);
      this.onFailed?.("systemd-resolved");
    }
    this.pushed.set(ifindex, had);
    const name = info?.hostname ?? null;
    if (!this.flags.useHostname || name === null || name === this.hostname) return;
    try {
      if (this.flags.dryRun) log.info(`dry run: would set the transient host name ${name}`);
      else {
        await this.hostnamed.setHostname(name);
        log.info(`transient host name set to ${name}`);
        this.onPushed?.("hostname.set", ifname, [name], "hostnamed");
      }
      this.hostname = name;
    } catch (err) {
      log.error(`setting the host name through systemd-hostnamed failed: ${(err as Error).message}`);
      this.onFailed?.("systemd-hostnamed");
    }
  }
}
