// The .rpm without nfpm: a spec whose %install copies the staged tree and
// whose %files lists exactly the nfpm contents, then rpmbuild.
import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Content, type Resolved, ROOT } from "./nfpm-config";
import { stage } from "./stage";

const RPM_SCRIPTS = {
  preinstall: "%pre",
  postinstall: "%post",
  preremove: "%preun",
  postremove: "%postun",
} as const;
const RPM_ARCH: Record<string, string> = { amd64: "x86_64", arm64: "aarch64" };

function fileLine(c: Content): string {
  const mode = c.file_info?.mode;
  const attr =
    c.type === "symlink"
      ? ""
      : `%attr(${(mode ?? (c.type === "dir" ? 0o755 : 0o644)).toString(8).padStart(4, "0")},root,root) `;
  if (c.type === "dir") return `%dir ${attr}${c.dst}`;
  if (c.type === "config|noreplace") return `%config(noreplace) ${attr}${c.dst}`;
  if (c.type === "config") return `%config ${attr}${c.dst}`;
  if (c.type === "license") return `%license ${attr}${c.dst}`;
  return `${attr}${c.dst}`;
}

/** "Sun Nov 22 2026" from SOURCE_DATE_EPOCH or now. */
function changelogDate(): string {
  const d = new Date(
    process.env.SOURCE_DATE_EPOCH ? Number(process.env.SOURCE_DATE_EPOCH) * 1000 : Date.now(),
  );
  const [wd, mon, day, year] = d.toUTCString().replace(",", "").split(" ");
  return `${wd} ${day} ${mon} ${year}`.replace(
    /^(\w+) (\d+) (\w+)/,
    (_m, w: string, dd: string, mm: string) => `${w} ${mm} ${dd}`,
  );
}

function rpmSpec(r: Resolved, stagedRoot: string): string {
  const c = r.config;
  const [summary, ...rest] = c.description.trim().split("\n");
  const scripts = Object.entries(RPM_SCRIPTS)
    .map(([key, section]) => {
      const src = r.scripts[key as keyof typeof RPM_SCRIPTS];
      return src ? `${section}\n${readFileSync(join(ROOT, src), "utf8").trimEnd()}\n` : "";
    })
    .filter(Boolean);
  return [
    `Name: ${c.name}`,
    `Version: ${c.version}`,
    `Release: ${c.release ?? 1}`,
    `Summary: ${c.rpm?.summary ?? summary}`,
    `License: ${c.license}`,
    c.homepage ? `URL: ${c.homepage}` : "",
    c.rpm?.group ? `Group: ${c.rpm.group}` : "",
    c.rpm?.packager ? `Packager: ${c.rpm.packager}` : "",
    ...r.depends.map((d) => `Requires: ${d}`),
    ...r.recommends.map((d) => `Recommends: ${d}`),
    // A single executable application: stripping would cut off its payload; no debuginfo to split.
    "%global debug_package %{nil}",
    "%global __os_install_post %{nil}",
    "%global _build_id_links none",
    // xz at its default level, multi-threaded (T): level 9 took minutes on the 130 MB executable.
    `%define _binary_payload ${c.rpm?.compression === "xz" ? "w6T.xzdio" : "w9.gzdio"}`,
    "",
    "%description",
    rest.join("\n").trim() || summary,
    "",
    "%install",
    `cp -a ${stagedRoot}/. %{buildroot}/`,
    "",
    ...scripts,
    "%files",
    ...r.contents.map(fileLine),
    "",
    "%changelog",
    `* ${changelogDate()} ${c.rpm?.packager ?? c.maintainer} - ${c.version}-${c.release ?? 1}`,
    `- Release ${c.version}.`,
    "",
  ]
    .filter((l, i, all) => l !== "" || all[i - 1] !== "")
    .join("\n");
}

export function buildRpm(r: Resolved, outDir: string): string {
  const work = mkdtempSync(join(tmpdir(), "netevd-rpm-"));
  try {
    const staged = join(work, "staged");
    stage(r.contents, staged);
    const spec = join(work, `${r.config.name}.spec`);
    writeFileSync(spec, rpmSpec(r, staged));
    const arch = RPM_ARCH[r.config.arch] ?? r.config.arch;
    execFileSync(
      "rpmbuild",
      [
        "-bb",
        "--quiet",
        "--target",
        arch,
        "--define",
        `_topdir ${join(work, "top")}`,
        "--dbpath",
        join(work, "db"),
        spec,
      ],
      { stdio: ["ignore", "ignore", "inherit"] },
    );
    mkdirSync(outDir, { recursive: true });
    const dir = join(work, "top", "RPMS", arch);
    const [built] = readdirSync(dir);
    const out = join(outDir, built as string);
    copyFileSync(join(dir, built as string), out);
    return out;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
