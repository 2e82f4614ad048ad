// `npm run build:assets`: what the packages ship besides the executable,
// generated from the sources: gzipped man pages, shell completions (from the
// command tree), Debian's copyright and changelog. Output in dist/assets/.
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";

const root = path.resolve(import.meta.dirname, "..");
const out = path.join(root, "dist", "assets");
const version = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")).version;
// Reproducible: dates come from SOURCE_DATE_EPOCH (makepkg sets it), else the
// last commit, else (a release tarball) package.json's modification time.
function sourceEpoch() {
  if (process.env.SOURCE_DATE_EPOCH) return Number(process.env.SOURCE_DATE_EPOCH);
  try {
    return Number(
      execFileSync("git", ["log", "-1", "--format=%ct"], {
        cwd: root,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      }).trim(),
    );
  } catch {
    return Math.floor(statSync(path.join(root, "package.json")).mtimeMs / 1000);
  }
}
const epoch = sourceEpoch();
const gz = (data) => {
  const z = gzipSync(data, { level: 9 });
  z.fill(0, 4, 8); // no timestamp in the header, like gzip -n
  return z;
};

for (const dir of ["man", "completions", "doc"]) mkdirSync(path.join(out, dir), { recursive: true });
// Every man page in man/ (NAME.SECTION); the .in templates are sources of generated pages.
for (const page of readdirSync(path.join(root, "man")).filter((f) => /\.\d$/.test(f))) {
  writeFileSync(path.join(out, "man", `${page}.gz`), gz(readFileSync(path.join(root, "man", page))));
}
const cli = path.join(root, "dist", "src", "cli", "main.js");
const completion = (shell) =>
  execFileSync(process.execPath, [cli, "completion", shell], { encoding: "utf8" });
writeFileSync(path.join(out, "completions", "netevd.bash"), completion("bash"));
writeFileSync(path.join(out, "completions", "_netevd"), completion("zsh"));
writeFileSync(path.join(out, "completions", "netevd.fish"), completion("fish"));

const maintainer = "netevd developers <netevd@lists.invalid>";
const date = new Date(epoch * 1000).toUTCString().replace(/GMT$/, "+0000");
writeFileSync(
  path.join(out, "doc", "changelog.Debian.gz"),
  gz(
    `netevd (${version}-1) unstable; urgency=medium\n\n  * Release ${version}.\n\n -- ${maintainer}  ${date}\n`,
  ),
);
writeFileSync(
  path.join(out, "doc", "copyright"),
  `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: netevd
Upstream-Contact: ${maintainer}

Files: *
Copyright: 2026 the netevd developers
License: Expat

License: Expat
${readFileSync(path.join(root, "LICENSE"), "utf8")
  .split("\n")
  .slice(4)
  .map((l) => (l.trim() === "" ? " ." : ` ${l}`))
  .join("\n")
  .replace(/(\n \.)+$/, "")}
`,
);
console.log(`wrote ${out}`);
