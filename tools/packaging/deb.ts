// The .deb without nfpm: DEBIAN/control, conffiles, maintainer scripts and
// md5sums around the staged tree, then dpkg-deb.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fullVersion, isConfig, type Resolved, ROOT } from "./nfpm-config";
import { stage } from "./stage";

const DEB_SCRIPTS = {
  preinstall: "preinst",
  postinstall: "postinst",
  preremove: "prerm",
  postremove: "postrm",
} as const;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return files(p);
    return e.isFile() ? [p] : [];
  });
}

/** DEBIAN/control: the summary is the description's first line, the rest its extended text. */
function debControl(r: Resolved, installedKiB: number): string {
  const c = r.config;
  const [summary, ...rest] = c.description.trim().split("\n");
  const extended = rest.map((l) => (l.trim() === "" ? " ." : ` ${l.trim()}`)).join("\n");
  const lines = [
    `Package: ${c.name}`,
    `Version: ${fullVersion(c)}`,
    `Architecture: ${c.arch}`,
    `Maintainer: ${c.maintainer}`,
    `Installed-Size: ${installedKiB}`,
    r.depends.length ? `Depends: ${r.depends.join(", ")}` : "",
    r.recommends.length ? `Recommends: ${r.recommends.join(", ")}` : "",
    c.section ? `Section: ${c.section}` : "",
    c.priority ? `Priority: ${c.priority}` : "",
    c.homepage ? `Homepage: ${c.homepage}` : "",
    `Description: ${summary}`,
    extended,
  ];
  return `${lines.filter(Boolean).join("\n")}\n`;
}

export function buildDeb(r: Resolved, outDir: string): string {
  const work = mkdtempSync(join(tmpdir(), "netevd-deb-"));
  try {
    const root = join(work, "root");
    stage(r.contents, root);
    const payload = files(root);
    const kib = Math.ceil(payload.reduce((n, f) => n + statSync(f).size, 0) / 1024);
    mkdirSync(join(root, "DEBIAN"), { mode: 0o755 });
    writeFileSync(join(root, "DEBIAN", "control"), debControl(r, kib));
    const conffiles = r.contents.filter(isConfig).map((c) => c.dst);
    if (conffiles.length) writeFileSync(join(root, "DEBIAN", "conffiles"), `${conffiles.join("\n")}\n`);
    writeFileSync(
      join(root, "DEBIAN", "md5sums"),
      payload
        .map((f) => `${createHash("md5").update(readFileSync(f)).digest("hex")}  ${relative(root, f)}\n`)
        .sort()
        .join(""),
    );
    for (const [key, name] of Object.entries(DEB_SCRIPTS)) {
      const src = r.scripts[key as keyof typeof DEB_SCRIPTS];
      if (!src) continue;
      copyFileSync(join(ROOT, src), join(root, "DEBIAN", name));
      chmodSync(join(root, "DEBIAN", name), 0o755);
    }
    mkdirSync(outDir, { recursive: true });
    const out = join(outDir, `${r.config.name}_${fullVersion(r.config)}_${r.config.arch}.deb`);
    execFileSync(
      "dpkg-deb",
      ["--root-owner-group", `-Z${r.config.deb?.compression ?? "xz"}`, "--build", root, out],
      {
        stdio: ["ignore", "ignore", "inherit"],
      },
    );
    return out;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
