// A module a command loads when it runs, not at start: `netevd --version` or
// `netevd status` need neither the daemon nor the migration tool nor the
// configuration schema. `require` (not `import()`): the executable's bundler
// includes the module and runs its body on that first require only (and a
// SEA code cache does not serve import()). knip.json lists these modules as
// entries: it does not follow such a require to the names used.
export function lazy<T>(load: () => T): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= load());
}
