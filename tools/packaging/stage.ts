// Lays out a package's files under a root directory, from the resolved nfpm
// contents: the one place that turns the file list into files on disk (used by
// the .deb, the .rpm buildroot and the PKGBUILD's package()).
import { chmodSync, copyFileSync, mkdirSync, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { type Content, ROOT } from "./nfpm-config";

export function stage(contents: readonly Content[], root: string): void {
  mkdirSync(root, { recursive: true });
  chmodSync(root, 0o755);
  for (const c of contents) {
    const target = join(root, c.dst);
    mkdirParents(root, dirname(target));
    const mode = c.file_info?.mode;
    if (c.type === "dir") {
      mkdirSync(target, { recursive: true });
      chmodSync(target, mode ?? 0o755);
    } else if (c.type === "symlink") {
      symlinkSync(c.src as string, target);
    } else {
      if (!c.src) throw new Error(`content ${c.dst} has no src`);
      copyFileSync(join(ROOT, c.src), target);
      chmodSync(target, mode ?? 0o644);
    }
  }
}

/** Parent directories as packages expect them: 0755. */
function mkdirParents(root: string, dir: string): void {
  if (dir.length <= root.length) return;
  mkdirParents(root, dirname(dir));
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
}
