// A module a command loads when it runs, not at start: `netevd --version` or
// `netevd status` need neither the daemon nor the migration tool nor the
// configuration schema. `require` (not `import()`) so the single executable's
// file system serves it like any other module. knip.json lists these modules
// as entries: it does not follow such a require to the names used.
export function lazy<T>(load: () => T): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= load());
}
