// netevd-migrate: network-broker → netevd. The tool itself is tracked in the
// project's issue "netevd-migrate"; until it lands this entry says so plainly
// and changes nothing.
export const MIGRATE_UNAVAILABLE =
  "netevd-migrate: migration from network-broker is not available in this version of netevd; nothing was read or written";

export function migrateMain(_argv: readonly string[]): number {
  process.stderr.write(`${MIGRATE_UNAVAILABLE}\n`);
  return 1;
}
