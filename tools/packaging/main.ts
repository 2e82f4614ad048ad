// `npm run package`: dist/netevd_<v>_amd64.deb, dist/netevd-<v>-1.x86_64.rpm,
// dist/netevd-<v>.tar.gz and dist/aur/. With nfpm on PATH, nfpm builds the
// .deb and .rpm from packaging/nfpm.yaml; otherwise the same file is built
// with dpkg-deb and rpmbuild.
//   node dist/tools/packaging/main.js               build everything
//   node dist/tools/packaging/main.js stage FMT DIR lay out FMT's files under DIR (PKGBUILD package())
import { execFileSync, spawnSync } from "node:child_process";
import { join } from "node:path";
import { buildAur } from "./aur";
import { buildDeb } from "./deb";
import { loadNfpm, NFPM_FILE, type Packager, resolveFor, ROOT } from "./nfpm-config";
import { buildRpm } from "./rpm";
import { stage } from "./stage";

const DIST = join(ROOT, "dist");

function hasNfpm(): boolean {
  return spawnSync("sh", ["-c", "command -v nfpm"], { stdio: "ignore" }).status === 0;
}

function main(argv: string[]): void {
  const config = loadNfpm();
  if (argv[0] === "stage") {
    const [, packager, dir] = argv;
    if (!packager || !dir) throw new Error("usage: main.js stage deb|rpm|archlinux DIR");
    stage(resolveFor(config, packager as Packager).contents, dir);
    return;
  }
  if (hasNfpm()) {
    for (const p of ["deb", "rpm"])
      execFileSync("nfpm", ["pkg", "-f", NFPM_FILE, "-p", p, "-t", DIST], { cwd: ROOT, stdio: "inherit" });
  } else {
    console.log(`built ${buildDeb(resolveFor(config, "deb"), DIST)}`);
    console.log(`built ${buildRpm(resolveFor(config, "rpm"), DIST)}`);
  }
  const tarball = join(DIST, `${config.name}-${config.version}.tar.gz`);
  execFileSync(
    "git",
    ["archive", "--format=tar.gz", `--prefix=${config.name}-${config.version}/`, "-o", tarball, "HEAD"],
    { cwd: ROOT },
  );
  buildAur(tarball, join(DIST, "aur"));
  console.log(`built ${tarball} and ${join(DIST, "aur")}/{PKGBUILD,.SRCINFO,netevd.install}`);
}

main(process.argv.slice(2));
