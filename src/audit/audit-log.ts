// The audit log (netevd.8, AUDIT LOG): one JSON line per change netevd makes to the
// system (a rule or route added or removed, DNS or a host name pushed, a
// script run with its exit status). Appended with O_APPEND; rotated by size
// (FILE → FILE.1 → … → FILE.<keep>). A write failure is logged once, never fatal.
import { appendFileSync, renameSync, rmSync, statSync } from "node:fs";
import type { Logger } from "../log/logger";

const AUDIT_SCHEMA = "netevd.audit.v1";

export interface AuditEntry {
  /** rule.add rule.delete route.add route.delete dns.set domains.set hostname.set script.run */
  action: string;
  link?: string | null;
  [key: string]: unknown;
}

export interface AuditOptions {
  path: string;
  log: Logger;
  maxBytes?: number;
  keep?: number;
  now?: () => Date;
}

export class AuditLog {
  private failed = false;

  constructor(private readonly opts: AuditOptions) {}

  get path(): string {
    return this.opts.path;
  }

  record(entry: AuditEntry): void {
    const line = `${JSON.stringify({ schema: AUDIT_SCHEMA, time: (this.opts.now?.() ?? new Date()).toISOString(), ...entry })}\n`;
    try {
      this.rotate(Buffer.byteLength(line));
      appendFileSync(this.opts.path, line, { mode: 0o640 });
      this.failed = false;
    } catch (err) {
      if (!this.failed) this.opts.log.warn(`audit log ${this.opts.path}: ${(err as Error).message}`);
      this.failed = true;
    }
  }

  private rotate(adding: number): void {
    const max = this.opts.maxBytes ?? 10 * 1024 * 1024;
    let size: number;
    try {
      size = statSync(this.opts.path).size;
    } catch {
      return;
    }
    if (size + adding <= max) return;
    const keep = this.opts.keep ?? 5;
    rmSync(`${this.opts.path}.${keep}`, { force: true });
    for (let i = keep - 1; i >= 1; i--) {
      try {
        renameSync(`${this.opts.path}.${i}`, `${this.opts.path}.${i + 1}`);
      } catch {
        // not there yet
      }
    }
    renameSync(this.opts.path, `${this.opts.path}.1`);
  }
}
