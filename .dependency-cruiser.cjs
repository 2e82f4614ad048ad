// The layers of netevd (docs/architecture.md), lowest first. A module may
// import from its own layer and the ones below it, never from above; `npm test`
// runs this check and fails on a violation.
//
//   base      src/errors.ts, src/version.ts, src/util/, src/log/, src/native/
//   netlink   src/netlink/        the rtnetlink codec and request client
//   kernel    src/kernel/         tables kept equal to the kernel's
//   model     src/config/, src/events/   the configuration and the event, as data
//   links     src/links/          one record per link, its state, the event builder
//   adapters  src/backends/ src/scripts/ src/routing/ src/push/ src/api/
//             src/metrics/ src/audit/ src/filters/ src/system/
//   daemon    src/daemon/         wires the adapters to the link states
//   apps      src/cli/ src/demo/ migrate/
const LAYERS = {
  base: "^src/(errors|version)\\.ts$|^src/(util|log|native)/",
  netlink: "^src/netlink/",
  kernel: "^src/kernel/",
  model: "^src/(config|events)/",
  links: "^src/links/",
  adapters: "^src/(backends|scripts|routing|push|api|metrics|audit|filters|system)/",
  daemon: "^src/daemon/",
  apps: "^src/(cli|demo)/|^migrate/",
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
      comment: "netevd-migrate uses the model and the script rules, not the CLI, the daemon or the demo",
      severity: "error",
      from: { path: "^migrate/" },
      to: { path: "^src/(cli|daemon|demo)/" },
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
