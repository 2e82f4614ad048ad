// --from-nm-dispatcher when pre-up.d or pre-down.d hold scripts: NetworkManager
// waits for those, and netevd cannot hold it, so NetworkManager-dispatcher
// keeps running for those two directories, and only for them. Every other
// script moves to netevd: those of /etc/NetworkManager/dispatcher.d are copied
// to /etc/netevd/nm-dispatcher.d (same names, modes and layout) and the
// originals hidden as dotfiles, which NetworkManager-dispatcher skips; a
// package's, in /usr/lib/NetworkManager/dispatcher.d, run in place under
// netevd and are masked for NetworkManager-dispatcher the way it documents,
// with /etc/NetworkManager/dispatcher.d/NAME -> /dev/null. A pre-up.d link to
// a moved script is pointed at its new place.
import { posix } from "node:path";
import { byteOrder, isIgnoredName } from "../src/config/script-rules";
import type { Write } from "./apply";
import type { ImageRoot } from "./image-root";

export const NM_ETC = "/etc/NetworkManager/dispatcher.d";
export const NM_MOVED_TO = "/etc/netevd/nm-dispatcher.d";
/** A package's scripts: NetworkManager-dispatcher reads them behind /etc's of the same name. */
const NM_LIB = "/usr/lib/NetworkManager/dispatcher.d";
const MAX_SCRIPT_BYTES = 1 << 20;
const HOLDING = ["pre-up.d", "pre-down.d"];

/** The name an original is hidden under (a dotfile: NetworkManager-dispatcher and netevd skip it). */
export const hiddenName = (name: string) => `.${name}.netevd-moved`;

export interface NmSplit {
  /** The scripts NetworkManager-dispatcher keeps (image paths). */
  held: string[];
  /** netevd's directory list, in the style's order. */
  path: string;
  /** Copies into NM_MOVED_TO, and pre-up.d links re-pointed: written before the configuration. */
  before: Write[];
  /** Originals hidden and package scripts masked: written after it. */
  after: Write[];
}

const rawEntries = (image: ImageRoot, dir: string): string[] => {
  try {
    return image.readdir(dir);
  } catch {
    return [];
  }
};

const entries = (image: ImageRoot, dir: string): string[] => {
  try {
    return image
      .readdir(dir)
      .filter((n) => !isIgnoredName(n))
      .sort(byteOrder);
  } catch {
    return [];
  }
};

/** A symlink to /dev/null: NetworkManager's way to mask a script of the same name. */
const masks = (image: ImageRoot, path: string) =>
  image.lstat(path)?.isSymbolicLink() === true && image.readlink(path) === "/dev/null";

/** Scripts in pre-up.d and pre-down.d of the dispatcher's directories (not masks, not subdirectories). */
function heldScripts(image: ImageRoot, dirs: string[]): string[] {
  return dirs.flatMap((d) =>
    HOLDING.flatMap((sub) =>
      entries(image, posix.join(d, sub))
        .map((n) => posix.join(d, sub, n))
        .filter((p) => !image.lstat(p)?.isDirectory() && !masks(image, p)),
    ),
  );
}

/** The split, or null when no script needs NetworkManager-dispatcher (everything moves to netevd). */
export function planNmSplit(image: ImageRoot, dirs: string[]): NmSplit | null {
  const held = heldScripts(image, dirs);
  if (!held.length) return null;
  const before: Write[] = [];
  const after: Write[] = [];
  const etc = dirs.includes(NM_ETC);
  const etcNames = new Set(etc ? entries(image, NM_ETC) : []);
  /** Scripts an earlier run moved: their originals are hidden. */
  const hidden = new Set(
    (etc ? rawEntries(image, NM_ETC) : []).flatMap((n) => /^\.(.+)\.netevd-moved$/.exec(n)?.[1] ?? []),
  );
  /** A run before this one made the new directory: masks it did not copy there are its own. */
  const again = image.stat(NM_MOVED_TO)?.isDirectory() === true;
  /** Where a link's target now is: a moved script's copy, else where it pointed. */
  const retarget = (from: string, target: string): string => {
    const abs = posix.resolve(posix.dirname(from), target);
    const name = posix.relative(NM_ETC, abs);
    return !name.includes("/") && (etcNames.has(name) || hidden.has(name))
      ? posix.join(NM_MOVED_TO, name)
      : abs;
  };
  if (etc) {
    for (const name of etcNames) {
      const path = posix.join(NM_ETC, name);
      const lst = image.lstat(path);
      if (!lst || lst.isDirectory()) continue;
      const to = posix.join(NM_MOVED_TO, name);
      // netevd's own mask of a package script, from an earlier run: not the administrator's.
      if (masks(image, path) && again && !image.lstat(to)) continue;
      if (lst.isSymbolicLink()) {
        const target = image.readlink(path);
        before.push({
          path: to,
          kind: "symlink",
          linkTarget: target === "/dev/null" ? target : retarget(path, target),
        });
      } else
        before.push({
          path: to,
          kind: "file",
          content: image.readFile(path, MAX_SCRIPT_BYTES),
          mode: lst.mode & 0o7777,
        });
      // A mask stays: it keeps hiding the package's script of that name from NetworkManager-dispatcher.
      if (!masks(image, path)) after.push({ path, kind: "hide", hiddenAs: hiddenName(name) });
    }
    // no-wait.d: its links name the scripts to start without waiting; kept beside the copies.
    for (const name of entries(image, posix.join(NM_ETC, "no-wait.d"))) {
      const path = posix.join(NM_ETC, "no-wait.d", name);
      if (!image.lstat(path)?.isSymbolicLink()) continue;
      before.push({
        path: posix.join(NM_MOVED_TO, "no-wait.d", name),
        kind: "symlink",
        linkTarget: retarget(path, image.readlink(path)),
      });
    }
    // A held script that is a link to a moved one follows it.
    for (const h of held) {
      if (!h.startsWith(`${NM_ETC}/`) || !image.lstat(h)?.isSymbolicLink()) continue;
      const target = image.readlink(h);
      const now = retarget(h, target);
      if (now !== posix.resolve(posix.dirname(h), target))
        before.push({ path: h, kind: "symlink", linkTarget: now, moving: true });
    }
  }
  // A package's scripts: run in place by netevd, masked for NetworkManager-dispatcher.
  for (const d of dirs.filter((x) => x === NM_LIB))
    for (const name of entries(image, d)) {
      const path = posix.join(d, name);
      if (image.lstat(path)?.isDirectory() || masks(image, posix.join(NM_ETC, name))) continue;
      after.push({
        path: posix.join(NM_ETC, name),
        kind: "symlink",
        linkTarget: "/dev/null",
        moving: true,
      });
    }
  const path = [...(etc ? [NM_MOVED_TO] : []), ...dirs.filter((x) => x !== NM_ETC)].join(":");
  return { held, path, before, after };
}
