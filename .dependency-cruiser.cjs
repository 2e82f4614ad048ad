// The layers of netevd (docs/architecture.md), lowest first. A module may
// import from its own layer and the ones below it, never from above; `npm test`
// runs this check and fails on a violation.
//
//   base        src/errors.ts, src/version.ts, src/util/, src/log/, src/native/
//   netlink     src/netlink/        the rtnetlink codec and request client
//   kernel      src/kernel/         tables kept equal to the kernel's
//   model       src/config/, src/events/   the configuration, the event and the
//                                   script rules, as data
//   links       src/links/          one record per link, its state, the event builder
//   privileged  src/privileged/     the privileged executor (root's side) and its
//                                   protocol; the daemon's scripts call it
//   adapters    src/backends/ src/scripts/ src/routing/ src/push/ src/api/
//               src/metrics/ src/audit/ src/filters/ src/system/ src/dashboard/
//   daemon      src/daemon/         wires the adapters to the link states
//   apps        src/cli/ src/demo/ migrate/ tools/
const LAYERS = {
  base: "^src/(errors|version)\\.ts$|^src/(util|log|native)/",
  netlink: "^src/netlink/",
  kernel: "^src/kernel/",
  model: "^src/(config|events)/",
  links: "^src/links/",
  privileged: "^src/privileged/",
  adapters: "^src/(backends|scripts|routing|push|api|metrics|audit|filters|system|dashboard)/",
  daemon: "^src/daemon/",
  apps: "^src/(cli|demo)/|^migrate/|^tools/",
};
const ORDER = Object.keys(LAYERS);

const upward = ORDER.slice(0, -1).map((layer, i) => ({
  name: `${layer}-does-not-import-upward`,
  comment: `${layer} may import only from ${ORDER.slice(0, i + 1).join(", ")}`,
  severity: "error",
  from: { path: LAYERS[layer] },
  to: {
    path: ORDER.slice(i + 1)
      .map((l) => `(${LAYERS[l]})`)
      .join("|"),
  },
}));

module.exports = {
  forbidden: [
    ...upward,
    {
      name: "migrate-stands-apart",
      comment:
        "netevd-migrate uses the model (with the script rules) and the base, no adapter, the daemon or another app",
      severity: "error",
      from: { path: "^migrate/" },
      to: { path: "^src/(?!(config|events|util|log|errors\\.ts|version\\.ts))" },
    },
    {
      name: "tools-build-the-product",
      comment: "the build tools read the model; the product never imports them",
      severity: "error",
      from: { path: "^(src|migrate)/" },
      to: { path: "^tools/" },
    },
    {
      name: "no-test-code-in-the-product",
      comment: "test doubles and helpers live in test/ and are never bundled",
      severity: "error",
      from: { path: "^(src|migrate|tools)/" },
      to: { path: "^test/" },
    },
    {
      name: "no-circular",
      severity: "error",
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
  },
};
