// ImageRoot never reaches outside its root: for random trees of directories
// and symlinks (absolute, relative, ".." far beyond the root, loops) and
// random paths, reads only ever see the image's files and writes only ever
// land inside it.
import { lstatSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ImageRoot } from "../../migrate/image-root";
import { tempDir } from "../helpers/tmp";

const names = ["a", "b", "c", "etc", "netevd"];
const component = fc.constantFrom(...names, "..", ".");
const relPath = fc.array(component, { minLength: 1, maxLength: 6 }).map((c) => c.join("/"));
/** Where an entry of the tree is made: shallow, so that paths often cross it. */
const place = fc.array(fc.constantFrom(...names), { minLength: 1, maxLength: 2 }).map((c) => c.join("/"));

/** Whether a directory on the way to root/parts… is a symlink (creating there would follow it). */
function underLink(root: string, parts: string[]): boolean {
  let p = root;
  for (const c of parts.slice(0, -1)) {
    p = join(p, c);
    try {
      if (lstatSync(p).isSymbolicLink()) return true;
    } catch {
      return false; // missing from here on: made as directories
    }
  }
  return false;
}

describe("ImageRoot", () => {
  it("reads and writes stay inside the root, whatever its symlinks say", { timeout: 120_000 }, () => {
    const outside = tempDir("netevd-outside-");
    writeFileSync(join(outside, "secret"), "OUTSIDE");
    for (const n of names) {
      mkdirSync(join(outside, n), { recursive: true });
      writeFileSync(join(outside, n, "secret"), "OUTSIDE");
    }
    const before = readdirSync(outside, { recursive: true }).sort();
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            at: place,
            kind: fc.constantFrom("dir", "file", "abs-out", "rel-out", "abs-in", "rel"),
            target: relPath,
          }),
          { maxLength: 12 },
        ),
        fc.array(relPath, { minLength: 1, maxLength: 8 }),
        (tree, paths) => {
          const root = tempDir("netevd-image-");
          // Built without following its own links: directories and files
          // first, links last, and nothing under a link.
          const order = (k: string) => (k === "dir" || k === "file" ? 0 : 1);
          for (const t of [...tree].sort((x, y) => order(x.kind) - order(y.kind))) {
            const parts = t.at.split("/").filter((c) => c !== "" && c !== "." && c !== "..");
            if (parts.length === 0) continue;
            const p = join(root, ...parts);
            if (underLink(root, parts)) continue;
            try {
              mkdirSync(join(p, ".."), { recursive: true });
              if (t.kind === "dir") mkdirSync(p, { recursive: true });
              else if (t.kind === "file") writeFileSync(p, "INSIDE");
              else if (t.kind === "abs-out") symlinkSync(join(outside, t.target), p);
              else if (t.kind === "rel-out")
                symlinkSync(`${"../".repeat(12)}${outside.slice(1)}/${t.target}`, p);
              else if (t.kind === "abs-in") symlinkSync(`/${t.target}`, p);
              else symlinkSync(t.target, p);
            } catch {
              // an earlier entry is in the way: the tree is just different
            }
          }
          const image = new ImageRoot(root);
          try {
            for (const path of paths) {
              for (const p of [path, `${path}/secret`]) {
                try {
                  expect(image.readFile(`/${p}`, 100).toString()).not.toBe("OUTSIDE");
                } catch (err) {
                  expect((err as Error).message).not.toContain("OUTSIDE");
                }
                try {
                  image.mkdirs(`/${p}`);
                  image.writeFile(`/${p}/written`, ".tmp", Buffer.from("x"), 0o644);
                } catch {
                  // not a directory, a loop: refused, and that is fine
                }
              }
            }
          } finally {
            image.close();
          }
          expect(readdirSync(outside, { recursive: true }).sort()).toEqual(before);
        },
      ),
      { numRuns: 200 },
    );
  });
});
