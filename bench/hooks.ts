// Hooks that record when they started, for the latency benchmarks.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../test/helpers/tmp";

/** A hook in DIR/EVENT.d that appends its start time (`date +%s.%N`) to `out`; returns its path. */
export function timeHook(dir: string, event: string, out: string): string {
  mkdirSync(join(dir, `${event}.d`), { recursive: true, mode: 0o755 });
  chmodSync(join(dir, `${event}.d`), 0o755);
  const p = join(dir, `${event}.d`, "50-time");
  writeFileSync(p, `#!/bin/sh\ndate +%s.%N >> ${out}\n`);
  chmodSync(p, 0o755);
  return p;
}

/** The start times a time hook wrote, in milliseconds. */
export const times = (file: string): number[] =>
  existsSync(file)
    ? readFileSync(file, "utf8")
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((l) => Number(l) * 1000)
    : [];

/** A directory every hook's user may write to. */
export function outDir(): string {
  const d = join(tempDir(), "out");
  mkdirSync(d, { mode: 0o777 });
  chmodSync(d, 0o777);
  return d;
}
