// The AUR files for a release: PKGBUILD with the tarball's checksum, .SRCINFO
// from makepkg itself, and the install script; and the Arch package that
// makepkg builds from them (for the pacman repository).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chownSync,
  copyFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { ROOT } from "./nfpm-config";

const AUR_DIR = join(ROOT, "packaging", "aur");
const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;

/** makepkg refuses root: run it as nobody, without npm's variables (they would point its npm at root's cache). */
function makepkg(args: string[], dir: string, scratch: string, inherit: boolean): string {
  const asNobody = isRoot ? ["setpriv", `--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups"] : [];
  const [cmd = "makepkg", ...rest] = [...asNobody, "makepkg", ...args];
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  return execFileSync(cmd, rest, {
    cwd: dir,
    encoding: "utf8",
    maxBuffer: 64 << 20,
    stdio: ["ignore", inherit ? "inherit" : "pipe", "inherit"],
    env: {
      ...env,
      HOME: scratch,
      BUILDDIR: scratch,
      PKGDEST: scratch,
      SRCDEST: scratch,
      SRCPKGDEST: scratch,
      LOGDEST: scratch,
    },
  });
}

/** `makepkg --printsrcinfo` for a PKGBUILD directory. */
export function printSrcinfo(dir: string): string {
  return makepkg(["--printsrcinfo"], dir, "/tmp", false);
}

/**
 * The Arch package, built by makepkg from the AUR files and the release
 * tarball as a normal user (npm ci and the whole build run inside), copied to
 * outDir.
 */
export function buildArchPackage(aurDir: string, tarball: string, outDir: string): string {
  const work = mkdtempSync(join(tmpdir(), "netevd-makepkg-"));
  try {
    cpSync(aurDir, work, { recursive: true });
    copyFileSync(tarball, join(work, basename(tarball)));
    if (isRoot) execFileSync("chown", ["-R", `${NOBODY}:${NOBODY}`, work]);
    if (isRoot) chownSync(work, NOBODY, NOBODY);
    makepkg(["-f", "--nodeps", "--noconfirm", "--nocolor"], work, work, true);
    const pkg = readdirSync(work).find((f) => /^netevd-.*\.pkg\.tar\.[a-z]+$/.test(f));
    if (!pkg) throw new Error("makepkg built no package");
    mkdirSync(outDir, { recursive: true });
    copyFileSync(join(work, pkg), join(outDir, pkg));
    return join(outDir, pkg);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export function buildAur(tarball: string, outDir: string): void {
  mkdirSync(outDir, { recursive: true });
  const sum = createHash("sha256").update(readFileSync(tarball)).digest("hex");
  const pkgbuild = readFileSync(join(AUR_DIR, "PKGBUILD"), "utf8").replace(
    "sha256sums=('SKIP')",
    `sha256sums=('${sum}')`,
  );
  writeFileSync(join(outDir, "PKGBUILD"), pkgbuild);
  copyFileSync(join(AUR_DIR, "netevd.install"), join(outDir, "netevd.install"));
  writeFileSync(join(outDir, ".SRCINFO"), printSrcinfo(outDir));
}
