// Which configuration file a command reads; apart from the loader, so that a
// command can know the path without loading the schema.
const DEFAULT_CONFIG_PATH = "/etc/netevd/netevd.yaml";

/** --config FILE, else $NETEVD_CONFIG, else the default path. */
export function resolveConfigPath(
  flag: string | undefined,
  env = process.env,
): { path: string; explicit: boolean } {
  if (flag) return { path: flag, explicit: true };
  if (env.NETEVD_CONFIG) return { path: env.NETEVD_CONFIG, explicit: true };
  return { path: DEFAULT_CONFIG_PATH, explicit: false };
}
