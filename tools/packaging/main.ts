// `npm run package`: dist/netevd_<v>_amd64.deb, dist/netevd-<v>-1.x86_64.rpm,
// dist/netevd-<v>.tar.gz, dist/aur/ (and the Arch package makepkg builds from
// it), and the signed repositories in dist/repo/. With nfpm on PATH, nfpm
// builds the .deb and .rpm from packaging/nfpm.yaml; otherwise the same file
// is built with dpkg-deb and rpmbuild.
//   node dist/tools/packaging/main.js               build everything
//   node dist/tools/packaging/main.js stage FMT DIR lay out FMT's files under DIR (PKGBUILD package())
import { execFileSync, spawnSync } from "node:child_process";
import { join } from "node:path";
import { buildArchPackage, buildAur } from "./aur";
import { buildDeb } from "./deb";
import { fullVersion, loadNfpm, NFPM_FILE, type Packager, resolveFor, ROOT } from "./nfpm-config";
import { buildRepos } from "./repo";
import { buildRpm } from "./rpm";
import { signingKey } from "./signing-key";
import { stage } from "./stage";

const DIST = join(ROOT, "dist");
/** Where the repositories are published; NETEVD_REPO_URL overrides it in the .repo, .sources and pacman files. */
const REPO_URL = "https://netevd.invalid/repo";

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
  let deb = join(DIST, `${config.name}_${fullVersion(config)}_${config.arch}.deb`);
  let rpm: string;
  if (hasNfpm()) {
    for (const p of ["deb", "rpm"])
      execFileSync("nfpm", ["pkg", "-f", NFPM_FILE, "-p", p, "-t", DIST], { cwd: ROOT, stdio: "inherit" });
    rpm = join(DIST, `${config.name}-${fullVersion(config)}.x86_64.rpm`);
  } else {
    deb = buildDeb(resolveFor(config, "deb"), DIST);
    rpm = buildRpm(resolveFor(config, "rpm"), DIST);
    console.log(`built ${deb} and ${rpm}`);
  }
  const tarball = join(DIST, `${config.name}-${config.version}.tar.gz`);
  execFileSync(
    "git",
    ["archive", "--format=tar.gz", `--prefix=${config.name}-${config.version}/`, "-o", tarball, "HEAD"],
    { cwd: ROOT },
  );
  buildAur(tarball, join(DIST, "aur"));
  console.log(`built ${tarball} and ${join(DIST, "aur")}/{PKGBUILD,.SRCINFO,netevd.install}`);
  const arch = buildArchPackage(join(DIST, "aur"), tarball, join(DIST, "arch"));
  console.log(`built ${arch}`);
  const key = signingKey();
  try {
    const baseUrl = process.env.NETEVD_REPO_URL ?? REPO_URL;
    buildRepos(key, { deb, rpm, arch, baseUrl }, join(DIST, "repo"));
  } finally {
    key.close();
  }
  console.log(`built ${join(DIST, "repo")}/{apt,rpm,arch}, signed by ${key.fingerprint}`);
}

main(process.argv.slice(2));
