// Watches dhclient lease files (util/watched-files: appends, in-place
// truncation and rewrite, a new file renamed over the old one); only complete
// blocks count (lease-parser).
import type { Logger } from "../../log/logger";
import { WatchedFiles } from "../../util/watched-files";
import { currentLeases, type Lease } from "./lease-parser";

/** dhclient rewrites its lease files at start; a file this large is not one of them. */
const MAX_LEASE_FILE_BYTES = 16 << 20;

/** Where dhclient keeps leases on Debian (ifupdown per-interface files, plain) and RHEL/Fedora. */
export const DEFAULT_LEASE_FILES = [
  "/var/lib/dhcp/dhclient.leases",
  "/var/lib/dhcp/dhclient.*.leases",
  "/var/lib/dhcp/dhclient6.leases",
  "/var/lib/dhcp/dhclient6.*.leases",
  "/var/lib/dhclient/dhclient.leases",
  "/var/lib/dhclient/dhclient-*.leases",
  "/var/lib/dhclient/dhclient6.leases",
  "/var/lib/dhclient/dhclient6-*.leases",
];

/** Leases of one file: key `${interface}/${family}` → the last block. */
export type FileLeases = Map<string, Lease>;

export interface LeaseFilesOptions {
  /** Absolute paths; the last component may be a shell glob. */
  patterns: string[];
  onChange: (file: string, leases: FileLeases) => void;
  log: Logger;
  debounceMs?: number;
  pollMs?: number;
}

/** dhclient's lease files: only complete blocks count; a removed file has no leases. */
export class LeaseFiles extends WatchedFiles<FileLeases> {
  constructor(opts: LeaseFilesOptions) {
    super({
      ...opts,
      what: "lease file",
      maxBytes: MAX_LEASE_FILE_BYTES,
      parse: currentLeases,
      onChange: (file, leases) => opts.onChange(file, leases ?? (new Map() as FileLeases)),
    });
  }
}
