// The `networkctl status` reader behind networkd-dispatcher's `json`: run
// through the hooks' launcher, found on PATH, its output whole, and null when
// it fails or says more than the bound allows. A stand-in networkctl on PATH.
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { realBinding } from "../../src/native/real";
import { networkctlStatus } from "../../src/system/networkctl";
import { tempDir } from "../helpers/tmp";

const savedPath = process.env.PATH;
afterEach(() => {
  process.env.PATH = savedPath;
});

/** A networkctl that runs BODY, first on PATH. */
function standIn(body: string): string {
  const dir = tempDir();
  const file = join(dir, "networkctl");
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  process.env.PATH = `${dir}:${savedPath}`;
  return dir;
}

describe("networkctl status", () => {
  const status = networkctlStatus(realBinding());

  it("gives its whole output, for the link named, with the arguments networkd-dispatcher used", async () => {
    standIn(
      `echo "args: $*"; echo "colours: $SYSTEMD_COLORS locale: $LC_ALL"; head -c 70000 /dev/zero | tr '\\0' x; echo`,
    );
    const out = await status("eth0");
    expect(out?.split("\n").slice(0, 2)).toEqual([
      "args: status --no-pager --no-legend -- eth0",
      "colours: 0 locale: C.UTF-8",
    ]);
    expect(out).toHaveLength(44 + 27 + 70_001);
  });

  it("is null when networkctl fails, is missing, or says more than 256 KiB", async () => {
    standIn("echo partial; exit 1");
    expect(await status("eth0")).toBeNull();
    standIn("head -c 300000 /dev/zero");
    expect(await status("eth0")).toBeNull();
    process.env.PATH = tempDir();
    expect(await status("eth0")).toBeNull();
  });
});
