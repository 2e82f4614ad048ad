// Finding network-broker's configuration the way it did: in
// /etc/network-broker/ (and /etc/network-event-broker/, which some docs name),
// base name network-broker, the first extension in viper's order that exists.
import { posix } from "node:path";
import type { ImageRoot } from "./image-root";
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

/** Anything there but a directory counts: a FIFO or a device is found, then refused when read. */
const exists = (image: ImageRoot, p: string) => {
  const st = image.stat(p);
  return st !== undefined && !st.isDirectory();
};

/** In one directory, viper's pick and the ones it shadowed; undefined when none exists. */
function findInDir(image: ImageRoot, dir: string): Found | undefined {
  const present = VIPER_EXTENSIONS.map((ext) => ({
    ext,
    file: posix.join(dir, `${BASE_NAME}.${ext}`),
  })).filter((c) => exists(image, c.file));
  const [first, ...rest] = present;
  if (!first) return undefined;
  return { file: first.file, dir, extension: first.ext, shadowed: rest.map((c) => c.file) };
}

export interface FindOptions {
  /** Image paths. */
  from?: string;
  config?: string;
}

export type FindResult = { found: Found; searched: string[] } | { found: undefined; searched: string[] };

export function findConfig(image: ImageRoot, o: FindOptions): FindResult {
  if (o.config) {
    const file = o.config;
    const ext = file.split(".").pop() ?? "";
    const dir = o.from ?? posix.dirname(file);
    return exists(image, file)
      ? { found: { file, dir, extension: ext, shadowed: [] }, searched: [file] }
      : { found: undefined, searched: [file] };
  }
  const dirs = o.from ? [o.from] : CONFIG_DIRS.map((d) => posix.join("/", d));
  for (const d of dirs) {
    const found = findInDir(image, d);
    if (found) return { found, searched: dirs };
  }
  return { found: undefined, searched: dirs };
}
