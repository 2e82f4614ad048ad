// Finding network-broker's configuration the way it did: in
// /etc/network-broker/ (and /etc/network-event-broker/, which some docs name),
// base name network-broker, the first extension in viper's order that exists.
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { BASE_NAME, CONFIG_DIRS, VIPER_EXTENSIONS } from "./model";

interface Found {
  /** The file network-broker would have read. */
  file: string;
  /** Its directory (the script directories live there). */
  dir: string;
  extension: string;
  /** Other candidates that exist and lost to it. */
  shadowed: string[];
}

const isFile = (p: string) => existsSync(p) && statSync(p).isFile();

/** In one directory, viper's pick and the ones it shadowed; undefined when none exists. */
function findInDir(dir: string): Found | undefined {
  const present = VIPER_EXTENSIONS.map((ext) => ({ ext, file: join(dir, `${BASE_NAME}.${ext}`) })).filter(
    (c) => isFile(c.file),
  );
  const [first, ...rest] = present;
  if (!first) return undefined;
  return { file: first.file, dir, extension: first.ext, shadowed: rest.map((c) => c.file) };
}

export interface FindOptions {
  root: string;
  from?: string;
  config?: string;
}

export type FindResult = { found: Found; searched: string[] } | { found: undefined; searched: string[] };

export function findConfig(o: FindOptions): FindResult {
  if (o.config) {
    const file = o.config;
    const ext = file.split(".").pop() ?? "";
    const dir = o.from ?? file.slice(0, Math.max(0, file.lastIndexOf("/"))) ?? ".";
    return isFile(file)
      ? { found: { file, dir, extension: ext, shadowed: [] }, searched: [file] }
      : { found: undefined, searched: [file] };
  }
  const dirs = o.from ? [o.from] : CONFIG_DIRS.map((d) => join(o.root, d));
  for (const d of dirs) {
    const found = findInDir(d);
    if (found) return { found, searched: dirs };
  }
  return { found: undefined, searched: dirs };
}
