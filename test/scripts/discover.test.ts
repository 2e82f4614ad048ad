// Discovery against real files with real owners and modes.
import { chmodSync, chownSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isIgnoredName } from "../../src/config/script-rules";
import { discoverScripts } from "../../src/scripts/discover";
import { isRoot, tempDir, writeScript } from "../helpers/tmp";

describe.runIf(isRoot)("script discovery", () => {
  it("runs only root-owned, owner-executable files not writable by others, in byte order", () => {
    const dir = join(tempDir(), "routable.d");
    writeScript(dir, "50-ok", "true");
    writeScript(dir, "10-ok", "true");
    writeScript(dir, "Z-upper-first", "true");
    writeScript(dir, "20-world-writable", "true", 0o757);
    writeScript(dir, "21-group-writable", "true", 0o775);
    writeScript(dir, "22-setuid", "true", 0o4755);
    writeScript(dir, "23-setgid", "true", 0o2755);
    writeScript(dir, "24-not-executable", "true", 0o644);
    writeScript(dir, "25-other-owner", "true", 0o755, 65534);
    mkdirSync(join(dir, "26-a-directory"));
    const found = discoverScripts(dir);
    expect(found.scripts.map((s) => s.name)).toEqual(["10-ok", "50-ok", "Z-upper-first"]);
    expect(found.skipped.map((s) => [s.name, s.rule])).toEqual([
      ["20-world-writable", "group-or-other-writable"],
      ["21-group-writable", "group-or-other-writable"],
      ["22-setuid", "setuid-or-setgid"],
      ["23-setgid", "setuid-or-setgid"],
      ["24-not-executable", "not-executable"],
      ["25-other-owner", "not-owned-by-root"],
      ["26-a-directory", "not-a-regular-file"],
    ]);
    expect(found.skipped[0]?.detail).toBe("mode 0757 is writable by group or others");
  });

  it("judges a symlink by its target", () => {
    const base = tempDir();
    const dir = join(base, "carrier.d");
    const good = writeScript(base, "good-target", "true");
    const bad = writeScript(base, "bad-target", "true", 0o777);
    mkdirSync(dir);
    symlinkSync(good, join(dir, "10-good-link"));
    symlinkSync(bad, join(dir, "20-bad-link"));
    symlinkSync(join(base, "missing"), join(dir, "30-broken-link"));
    const found = discoverScripts(dir);
    expect(found.scripts.map((s) => s.name)).toEqual(["10-good-link"]);
    expect(found.skipped.map((s) => [s.name, s.rule])).toEqual([
      ["20-bad-link", "group-or-other-writable"],
      ["30-broken-link", "broken-symlink"],
    ]);
    expect(found.skipped[0]?.detail).toContain(`symlink to ${bad}`);
  });

  it("ignores hidden, backup and package-manager files", () => {
    const dir = join(tempDir(), "routable.d");
    for (const name of [
      ".hidden",
      "a~",
      "a.rpmsave",
      "a.rpmorig",
      "a.rpmnew",
      "a.swp",
      "a.bak",
      "a.dpkg-old",
      "a.dpkg-dist",
      "run-me",
    ]) {
      writeScript(dir, name, "true");
    }
    const found = discoverScripts(dir);
    expect(found.scripts.map((s) => s.name)).toEqual(["run-me"]);
    expect(found.ignored).toHaveLength(9);
    expect(isIgnoredName("x.dpkg-new")).toBe(true);
  });

  it("refuses every script of a directory others can write to", () => {
    const dir = join(tempDir(), "routable.d");
    writeScript(dir, "10-ok", "true");
    chmodSync(dir, 0o777);
    let found = discoverScripts(dir);
    expect(found.scripts).toEqual([]);
    expect(found.skipped[0]?.rule).toBe("unsafe-directory");
    chmodSync(dir, 0o755);
    chownSync(dir, 65534, 0);
    found = discoverScripts(dir);
    expect(found.skipped[0]?.rule).toBe("unsafe-directory");
  });

  it("treats a missing directory as having no scripts", () => {
    expect(discoverScripts("/nonexistent/routable.d")).toEqual({ scripts: [], skipped: [], ignored: [] });
    const file = join(tempDir(), "routable.d");
    writeFileSync(file, "");
    expect(discoverScripts(file).scripts).toEqual([]);
  });
});
