// The DHCP leases systemd-networkd holds. DHCPv4: the files it writes under
// /run/systemd/netif/leases (one per ifindex, renamed into place, removed when
// the lease is gone). DHCPv6 has no lease file: when networkd rewrites the
// state file of a link with a DHCPv6 client (/run/systemd/netif/links), its
// DescribeLink says what the lease configured (dhcp6.ts). A change of a
// lease's data is an event (dhcp4-change, dhcp6-change): acquired, changed at
// a renewal, or lost. A renewal that brings nothing new changes nothing.
import { basename, join } from "node:path";
import type { DhcpChange } from "../../events/event";
import type { LeaseData } from "../../links/link-table";
import type { Logger } from "../../log/logger";
import { readRegularFile } from "../../util/read-regular";
import { WatchedFiles } from "../../util/watched-files";
import type { DescribeReply } from "./describe-link";
import { dhcp6Lease } from "./dhcp6";
import { parseNetworkdLease } from "./lease-file";

const NETWORKD_STATE_DIR = "/run/systemd/netif";

/** How often, and how long apart, a DHCPv6 lease still being set up is asked for again. */
const PENDING_TRIES = 20;
const PENDING_MS = 100;

/** networkd's lease and link state files are a few hundred bytes. */
const MAX_STATE_BYTES = 64 * 1024;

export interface NetworkdLeasesOptions {
  log: Logger;
  /** A link's lease data changed, after netevd's first reading. */
  onChange: (ifindex: number, family: 4 | 6, change: DhcpChange) => void;
  /** The link's DescribeLink reply, or null when networkd did not answer. */
  describe: (ifindex: number) => Promise<DescribeReply | null>;
  /** networkd's state directory (tests give their own). */
  dir?: string;
}

/** One link's DHCPv4 lease now, read once (netevd test). */
export function readNetworkdLease(ifindex: number, dir = NETWORKD_STATE_DIR): LeaseData | null {
  try {
    const text = readRegularFile(join(dir, "leases", String(ifindex)), MAX_STATE_BYTES).toString("utf8");
    return parseNetworkdLease(text);
  } catch {
    return null;
  }
}

/** The ifindex a state file is named by (its own names; `.#…` temporaries are not). */
function ifindexOf(file: string): number | undefined {
  const name = basename(file);
  return /^[1-9][0-9]{0,9}$/.test(name) ? Number(name) : undefined;
}

export class NetworkdLeases {
  private readonly v4 = new Map<number, LeaseData>();
  private readonly v6 = new Map<number, LeaseData>();
  private readonly leaseFiles: WatchedFiles<LeaseData | null>;
  private readonly linkFiles: WatchedFiles<boolean>;
  private readonly dir: string;
  /** DescribeLink calls under way, and whether the link's file changed again meanwhile. */
  private readonly asking = new Map<number, { again: boolean }>();
  /** Links whose DHCPv6 lease is being read for the first time: a fact, not an event. */
  private readonly quiet = new Set<number>();
  /** Links whose state file names a DHCPv6 client. */
  private readonly dhcp6Clients = new Set<number>();
  private reading = false;
  private closed = false;

  constructor(private readonly opts: NetworkdLeasesOptions) {
    this.dir = opts.dir ?? NETWORKD_STATE_DIR;
    const common = { maxBytes: MAX_STATE_BYTES, log: opts.log, debounceMs: 0 };
    this.leaseFiles = new WatchedFiles({
      ...common,
      patterns: [join(this.dir, "leases", "[1-9]*")],
      what: "networkd lease file",
      parse: (text) => parseNetworkdLease(text),
      onChange: (file, lease) => this.update4(file, lease ?? null),
    });
    this.linkFiles = new WatchedFiles({
      ...common,
      patterns: [join(this.dir, "links", "[1-9]*")],
      what: "networkd link state file",
      parse: (text) => /^DHCP6_CLIENT_/m.test(text),
      onChange: (file, dhcp6) => this.linkFileChanged(file, dhcp6),
    });
  }

  /** Reads the leases there are (facts, not events) and follows them. */
  start(): void {
    this.reading = true;
    try {
      this.leaseFiles.start();
      this.linkFiles.start();
    } finally {
      this.reading = false;
    }
  }

  /** Reads the link's lease file now, not waiting for the watch (a change found is an event as usual). */
  refresh(ifindex: number): void {
    this.leaseFiles.read(join(this.dir, "leases", String(ifindex)));
  }

  /**
   * The lease a link's event carries: the family's, or for other events the
   * DHCPv4 lease (else the DHCPv6 one) with the DNS servers of both.
   */
  lease(ifindex: number, family?: 4 | 6): LeaseData | null {
    const v4 = this.v4.get(ifindex);
    const v6 = this.v6.get(ifindex);
    if (family) return (family === 4 ? v4 : v6) ?? null;
    if (!v4 || !v6) return v4 ?? v6 ?? null;
    return { ...v4, info: { ...v4.info, dns: [...v4.info.dns, ...v6.info.dns] } };
  }

  /**
   * A DescribeLink reply (also one read for an event's details): its DHCPv6
   * lease counts. False while the lease is still being set up.
   */
  described(ifindex: number, reply: DescribeReply): boolean {
    // Only a link with a DHCPv6 client (or a lease of one) can have a DHCPv6 lease.
    if (!this.dhcp6Clients.has(ifindex) && !this.v6.has(ifindex)) return true;
    const lease = dhcp6Lease(reply);
    if (lease === "pending") return false;
    const silent = this.quiet.delete(ifindex);
    this.set(this.v6, ifindex, 6, lease, silent);
    return true;
  }

  private update4(file: string, lease: LeaseData | null): void {
    const ifindex = ifindexOf(file);
    if (ifindex !== undefined) this.set(this.v4, ifindex, 4, lease, this.reading);
  }

  private linkFileChanged(file: string, dhcp6: boolean | null): void {
    const ifindex = ifindexOf(file);
    if (ifindex === undefined) return;
    if (dhcp6) this.dhcp6Clients.add(ifindex);
    else this.dhcp6Clients.delete(ifindex);
    // The link is gone (networkd removed its file): so is its lease.
    if (dhcp6 === null) this.set(this.v6, ifindex, 6, null, false);
    else if (dhcp6 || this.v6.has(ifindex)) {
      if (this.reading) this.quiet.add(ifindex);
      this.ask(ifindex);
    }
  }

  /**
   * An IPv6 address of the link came or was renewed. A DHCPv6 renewal renews
   * its address's lifetimes; networkd 252 does not rewrite the link's state
   * file for it, even when the renewal brought new DNS servers.
   */
  addressAnnounced(ifindex: number): void {
    if (this.dhcp6Clients.has(ifindex) || this.v6.has(ifindex)) this.ask(ifindex);
  }

  /**
   * One DescribeLink per link at a time; a change meanwhile asks once more. A
   * lease still being set up is asked for again shortly: networkd need not
   * write the link's state file once its address is ready.
   */
  private ask(ifindex: number, tries = PENDING_TRIES): void {
    const pending = this.asking.get(ifindex);
    if (pending) {
      pending.again = true;
      return;
    }
    const state = { again: false, retry: false };
    this.asking.set(ifindex, state);
    void this.opts
      .describe(ifindex)
      .then((reply) => {
        // No answer (networkd not there yet): the first lease read later is still a fact, not an event.
        if (reply !== null) state.retry = !this.described(ifindex, reply);
      })
      .finally(() => {
        this.asking.delete(ifindex);
        if (this.closed) return;
        if (state.again) this.ask(ifindex);
        else if (state.retry && tries > 1) setTimeout(() => this.ask(ifindex, tries - 1), PENDING_MS).unref();
      });
  }

  private set(
    map: Map<number, LeaseData>,
    ifindex: number,
    family: 4 | 6,
    lease: LeaseData | null,
    silent: boolean,
  ): void {
    const before = map.get(ifindex);
    if (lease) map.set(ifindex, lease);
    else map.delete(ifindex);
    if ((before?.fingerprint ?? null) === (lease?.fingerprint ?? null) || silent) return;
    const change: DhcpChange = !lease ? "lost" : before ? "changed" : "acquired";
    this.opts.log.debug(`DHCPv${family} lease of link ${ifindex} ${change}`);
    this.opts.onChange(ifindex, family, change);
  }

  close(): void {
    this.closed = true;
    this.leaseFiles.close();
    this.linkFiles.close();
  }
}
