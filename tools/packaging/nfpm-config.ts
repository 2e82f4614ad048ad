// packaging/nfpm.yaml: read, validated against nfpm's own JSON Schema (v2.47),
// and resolved for one packager the way nfpm does (overrides replace the
// top-level fields they set; contents with `packager:` belong to that format only).
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import Ajv2020 from "ajv/dist/2020";
import { parse } from "yaml";

export type Packager = "deb" | "rpm" | "archlinux";

export interface Content {
  src?: string;
  dst: string;
  type?: string;
  packager?: string;
  file_info?: { mode?: number; owner?: string; group?: string };
}

interface Scripts {
  preinstall?: string;
  postinstall?: string;
  preremove?: string;
  postremove?: string;
}

interface Overridable {
  depends?: string[];
  recommends?: string[];
  contents?: Content[];
  scripts?: Scripts;
}

export interface NfpmConfig extends Overridable {
  name: string;
  arch: string;
  version: string;
  release?: number | string;
  section?: string;
  priority?: string;
  maintainer: string;
  vendor?: string;
  homepage?: string;
  license: string;
  description: string;
  overrides?: Partial<Record<Packager, Overridable>>;
  rpm?: { group?: string; summary?: string; compression?: string; packager?: string };
  deb?: { compression?: string };
}

export interface Resolved extends Required<Overridable> {
  config: NfpmConfig;
}

/** The repository root: the nearest directory up holding packaging/nfpm.yaml (from tools/ or dist/tools/). */
function findRoot(from: string): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, "packaging", "nfpm.yaml"))) return dir;
  }
  throw new Error(`packaging/nfpm.yaml not found above ${from}`);
}

export const ROOT = findRoot(__dirname);
export const NFPM_FILE = join(ROOT, "packaging", "nfpm.yaml");

export function validateNfpm(data: unknown): string[] {
  const schema = JSON.parse(
    readFileSync(join(ROOT, "packaging", "schema", "nfpm-2.47.schema.json"), "utf8"),
  ) as object;
  // Formats (date-time of mtime) are not checked; nfpm parses those itself.
  const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: false });
  const validate = ajv.compile(schema);
  if (validate(data)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? "invalid"}`);
}

export function loadNfpm(file = NFPM_FILE): NfpmConfig {
  // nfpm reads YAML as go-yaml does: 0644 is octal (YAML 1.1), as packagers write modes.
  const data = parse(readFileSync(file, "utf8"), { version: "1.1" }) as unknown;
  const problems = validateNfpm(data);
  if (problems.length) throw new Error(`${file} does not match nfpm's schema:\n  ${problems.join("\n  ")}`);
  return data as NfpmConfig;
}

export function resolveFor(config: NfpmConfig, packager: Packager): Resolved {
  const o = config.overrides?.[packager] ?? {};
  const contents = (o.contents ?? config.contents ?? []).filter(
    (c) => !c.packager || c.packager === packager,
  );
  return {
    config,
    depends: o.depends ?? config.depends ?? [],
    recommends: o.recommends ?? config.recommends ?? [],
    contents,
    scripts: o.scripts ?? config.scripts ?? {},
  };
}

/** "0.1.0-1" as dpkg and pacman spell it. */
export function fullVersion(c: NfpmConfig): string {
  return c.release === undefined ? c.version : `${c.version}-${c.release}`;
}

export const isConfig = (c: Content): boolean => (c.type ?? "").startsWith("config");
