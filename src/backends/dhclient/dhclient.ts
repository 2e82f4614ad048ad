// The dhclient backend's lease side: link states come from the kernel (as with
// `none`); this adds what the lease files say, per interface. When the same
// interface has leases in several files, the file changed last wins.
import type { DhcpInfo } from "../../events/event";
import type { Logger } from "../../log/logger";
import { DEFAULT_LEASE_FILES, type FileLeases, LeaseFiles } from "./lease-files";
import { leaseActive, leaseFingerprint, leaseInfo } from "./lease-info";
import type { Lease } from "./lease-parser";

export interface DhclientOptions {
  leaseFiles: string[];
  log: Logger;
  /** An interface's current lease data changed (bound, renewed with new data, expired, removed). */
  onChange: (ifname: string) => void;
  now?: () => Date;
}

export interface LinkLease {
  /** The v4 lease's data, else the v6 lease's, with DNS servers of both. */
  info: DhcpInfo;
  fingerprint: string;
}

export class DhclientLeases {
  private readonly files = new Map<string, { seq: number; leases: FileLeases }>();
  private seq = 0;
  private readonly watcher: LeaseFiles;

  constructor(private readonly opts: DhclientOptions) {
    const patterns = opts.leaseFiles.length ? opts.leaseFiles : DEFAULT_LEASE_FILES;
    this.watcher = new LeaseFiles({ patterns, log: opts.log, onChange: (f, l) => this.update(f, l) });
  }

  start(): void {
    this.watcher.start();
  }

  close(): void {
    this.watcher.close();
  }

  private update(file: string, leases: FileLeases): void {
    const names = new Set<string>();
    for (const l of [...(this.files.get(file)?.leases.values() ?? []), ...leases.values()])
      names.add(l.interface);
    const before = new Map([...names].map((n) => [n, this.forLink(n)?.fingerprint ?? null]));
    this.files.set(file, { seq: ++this.seq, leases });
    for (const n of names) {
      if ((this.forLink(n)?.fingerprint ?? null) !== before.get(n)) {
        this.opts.log.debug(`lease for ${n} changed (${file})`);
        this.opts.onChange(n);
      }
    }
  }

  private latest(ifname: string, family: 4 | 6): Lease | null {
    let best: { seq: number; lease: Lease } | undefined;
    for (const { seq, leases } of this.files.values()) {
      const l = leases.get(`${ifname}/${family}`);
      if (l && (!best || seq > best.seq)) best = { seq, lease: l };
    }
    const now = (this.opts.now ?? (() => new Date()))();
    return best && leaseActive(best.lease, now) ? best.lease : null;
  }

  /** Interfaces with a current (unexpired) lease, sorted. */
  interfaces(): string[] {
    const names = new Set<string>();
    for (const { leases } of this.files.values()) for (const l of leases.values()) names.add(l.interface);
    return [...names].filter((n) => this.forLink(n) !== null).sort();
  }

  /** The interface's current lease data, or null when it has no active lease. */
  forLink(ifname: string): LinkLease | null {
    const v4 = this.latest(ifname, 4);
    const v6 = this.latest(ifname, 6);
    if (!v4 && !v6) return null;
    const i4 = v4 ? leaseInfo(v4) : null;
    const i6 = v6 ? leaseInfo(v6) : null;
    const base = (i4 ?? i6) as DhcpInfo;
    const info: DhcpInfo = {
      ...base,
      dns: [...(i4?.dns ?? []), ...(i6?.dns ?? [])],
      domain: base.domain ?? i6?.domain ?? null,
      lease_text: [v4?.text, v6?.text].filter(Boolean).join("\n"),
    };
    return { info, fingerprint: leaseFingerprint(info) };
  }
}
