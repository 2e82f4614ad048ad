// dist/repo/: signed apt, rpm and pacman repositories as static trees, made
// with each distribution's own tools (apt-ftparchive, rpmsign + createrepo_c,
// repo-add), ready to upload under one base URL.
import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { basename, join } from "node:path";
import { gzipSync } from "node:zlib";
import type { SigningKey } from "./signing-key";

export interface RepoInputs {
  deb: string;
  rpm: string;
  /** The Arch package built from the PKGBUILD. */
  arch: string;
  /** Where the trees will be served from (placeholders in the .repo and .sources files). */
  baseUrl: string;
}

const APT_SUITE = "bookworm";
const APT_KEYRING = "netevd-archive-keyring.gpg";
const RPM_KEY = "RPM-GPG-KEY-netevd";

const run = (cmd: string, args: string[], cwd?: string, env?: NodeJS.ProcessEnv): string =>
  execFileSync(cmd, args, { cwd, env, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });

export function buildRepos(key: SigningKey, inputs: RepoInputs, out: string): void {
  rmSync(out, { recursive: true, force: true });
  const armored = key.gpg(["--armor", "--export", key.fingerprint]);
  buildApt(key, inputs, join(out, "apt"));
  buildRpmRepo(key, inputs, join(out, "rpm"), armored);
  buildPacmanRepo(key, inputs, join(out, "arch"), armored);
}

/** Debian: pool/ + dists/bookworm with Packages, Release, InRelease and Release.gpg. */
function buildApt(key: SigningKey, inputs: RepoInputs, dir: string): void {
  const pool = join(dir, "pool", "main");
  const binary = join(dir, "dists", APT_SUITE, "main", "binary-amd64");
  mkdirSync(pool, { recursive: true });
  mkdirSync(binary, { recursive: true });
  copyFileSync(inputs.deb, join(pool, basename(inputs.deb)));
  const packages = run("apt-ftparchive", ["packages", "pool"], dir);
  writeFileSync(join(binary, "Packages"), packages);
  writeFileSync(join(binary, "Packages.gz"), gzipSync(packages, { level: 9 }));
  const field = (name: string, value: string) => ["-o", `APT::FTPArchive::Release::${name}=${value}`];
  const suite = join(dir, "dists", APT_SUITE);
  const release = run(
    "apt-ftparchive",
    [
      ...field("Origin", "netevd"),
      ...field("Label", "netevd"),
      ...field("Suite", APT_SUITE),
      ...field("Codename", APT_SUITE),
      ...field("Architectures", "amd64"),
      ...field("Components", "main"),
      ...field("Description", "netevd network event daemon"),
      "release",
      ".",
    ],
    suite,
  );
  writeFileSync(join(suite, "Release"), release);
  writeFileSync(join(suite, "InRelease"), key.gpg(["--clearsign", "--digest-algo", "SHA512"], release));
  writeFileSync(
    join(suite, "Release.gpg"),
    key.gpg(["--armor", "--detach-sign", "--digest-algo", "SHA512"], release),
  );
  // A binary keyring: what signed-by= takes from /usr/share/keyrings on every apt version.
  writeFileSync(join(dir, APT_KEYRING), key.gpg(["--export", key.fingerprint]));
  writeFileSync(
    join(dir, "netevd.sources"),
    [
      "Types: deb",
      `URIs: ${inputs.baseUrl}/apt`,
      `Suites: ${APT_SUITE}`,
      "Components: main",
      `Signed-By: /usr/share/keyrings/${APT_KEYRING}`,
      "",
    ].join("\n"),
  );
}

/** Fedora/RHEL: the package signed with rpmsign, createrepo_c metadata, repomd.xml signed, a .repo file. */
function buildRpmRepo(key: SigningKey, inputs: RepoInputs, dir: string, armored: Buffer): void {
  mkdirSync(dir, { recursive: true });
  const rpm = join(dir, basename(inputs.rpm));
  copyFileSync(inputs.rpm, rpm);
  run("rpmsign", [
    "--addsign",
    "--define",
    // rpm execs the path in %__gpg (gpg2 by default, which Debian lacks).
    `__gpg ${run("sh", ["-c", "command -v gpg"]).trim()}`,
    "--define",
    `_gpg_name ${key.fingerprint}`,
    "--define",
    `_gpg_path ${key.home}`,
    rpm,
  ]);
  run("createrepo_c", ["--quiet", "--simple-md-filenames", "--no-database", dir]);
  const repomd = join(dir, "repodata", "repomd.xml");
  writeFileSync(`${repomd}.asc`, key.gpg(["--armor", "--detach-sign"], readFileSync(repomd)));
  writeFileSync(join(dir, RPM_KEY), armored);
  writeFileSync(
    join(dir, "netevd.repo"),
    [
      "[netevd]",
      "name=netevd",
      `baseurl=${inputs.baseUrl}/rpm`,
      "enabled=1",
      "gpgcheck=1",
      "repo_gpgcheck=1",
      `gpgkey=${inputs.baseUrl}/rpm/${RPM_KEY}`,
      "",
    ].join("\n"),
  );
}

/** Arch: the package and its detached signature, and a signed database made by repo-add. */
function buildPacmanRepo(key: SigningKey, inputs: RepoInputs, dir: string, armored: Buffer): void {
  const arch = join(dir, "x86_64");
  mkdirSync(arch, { recursive: true });
  const pkg = join(arch, basename(inputs.arch));
  copyFileSync(inputs.arch, pkg);
  writeFileSync(`${pkg}.sig`, key.gpg(["--detach-sign"], readFileSync(pkg)));
  run("repo-add", ["--quiet", "--sign", "--key", key.fingerprint, "netevd.db.tar.gz", basename(pkg)], arch, {
    ...process.env,
    GNUPGHOME: key.home,
  });
  // repo-add links netevd.db to netevd.db.tar.gz; static hosting (an object
  // store, a copy) may not keep symlinks, so each becomes a file.
  for (const name of readdirSync(arch)) {
    const path = join(arch, name);
    if (!lstatSync(path).isSymbolicLink()) continue;
    const target = readFileSync(path);
    rmSync(path);
    writeFileSync(path, target);
  }
  writeFileSync(join(dir, "netevd.asc"), armored);
  writeFileSync(
    join(dir, "pacman.conf.d-netevd"),
    ["[netevd]", "SigLevel = Required DatabaseRequired", `Server = ${inputs.baseUrl}/arch/$arch`, ""].join(
      "\n",
    ),
  );
}
