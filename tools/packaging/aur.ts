// The AUR files for a release: PKGBUILD with the tarball's checksum, .SRCINFO
// from makepkg itself, and the install script.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./nfpm-config";

const AUR_DIR = join(ROOT, "packaging", "aur");

/** `makepkg --printsrcinfo` for a PKGBUILD directory (makepkg refuses root: run as nobody). */
export function printSrcinfo(dir: string): string {
  const asNobody =
    process.getuid?.() === 0 ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : [];
  const [cmd, ...args] = [...asNobody, "makepkg", "--printsrcinfo"];
  return execFileSync(cmd, args, {
    cwd: dir,
    encoding: "utf8",
    env: {
      ...process.env,
      HOME: "/tmp",
      BUILDDIR: "/tmp",
      PKGDEST: "/tmp",
      SRCDEST: "/tmp",
      SRCPKGDEST: "/tmp",
      LOGDEST: "/tmp",
    },
  });
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
