import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";

const made: string[] = [];

/** A fresh directory under /tmp, removed after the test even when it fails. */
export function tempDir(prefix = "netevd-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  made.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export const isRoot = process.getuid?.() === 0;

/**
 * A fresh directory under /run (root's, mode 0755 all the way up), for files
 * that must be root's alone: privileged hooks, their configuration. /tmp is
 * writable by all, so nothing under it passes that check.
 */
export function rootOnlyDir(prefix = "netevd-test-"): string {
  const dir = mkdtempSync(join("/run", prefix));
  chmodSync(dir, 0o755);
  made.push(dir);
  return dir;
}

/** Writes an executable script (mode and owner as given) and returns its path. */
export function writeScript(dir: string, name: string, body: string, mode = 0o755, uid = 0): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, body.startsWith("#!") ? body : `#!/bin/sh\n${body}\n`);
  // chown first: it clears setuid/setgid bits set before it.
  if (isRoot) chownSync(path, uid, 0);
  chmodSync(path, mode);
  return path;
}

/** A file's non-empty lines (none while it does not exist yet): what a recording hook appended. */
export function fileLines(file: string): string[] {
  try {
    return readFileSync(file, "utf8").split("\n").filter(Boolean);
  } catch {
    return [];
  }
}
