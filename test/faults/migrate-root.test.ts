// netevd-migrate --root never reads or writes outside the root, whatever the
// image's symlinks say: they are followed inside it (an absolute link starts
// again at the root, ".." stops there), as the booted image would see them.
// Without the fix, --apply wrote netevd.yaml through a symlinked /etc/netevd
// onto this system, read a configuration linked to a host file and echoed
// its lines, and the YAML's header named the root-prefixed path.
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { basename, join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import type { Report } from "../../migrate/report";
import { CLI } from "../helpers/cli";
import { tempDir } from "../helpers/tmp";

const migrate = (root: string, ...args: string[]) =>
  spawnSync(process.execPath, [CLI, "migrate", "--root", root, "--links", "eth0", ...args], {
    encoding: "utf8",
    timeout: 20_000,
    env: { PATH: process.env.PATH },
  });
const report = (r: { stdout: string }) => JSON.parse(r.stdout) as Report;

/** An image with network-broker's configuration and one script; `host` is a directory outside it. */
function image(): { root: string; broker: string; host: string } {
  const root = tempDir("netevd-image-");
  const host = tempDir("netevd-host-");
  const broker = join(root, "etc/network-broker");
  mkdirSync(join(broker, "routable.d"), { recursive: true });
  writeFileSync(join(broker, "network-broker.toml"), '[Network]\nLinks="eth0"\n');
  writeFileSync(join(broker, "routable.d", "10-hook"), "#!/bin/sh\ntrue\n");
  chmodSync(join(broker, "routable.d", "10-hook"), 0o755);
  return { root, broker, host };
}

describe("netevd-migrate --root stays inside the root", () => {
  for (const kind of ["absolute", "relative"] as const) {
    it(`--apply through an ${kind} symlinked /etc/netevd writes inside the image, never on this system`, () => {
      const { root, host } = image();
      // Both name the host directory when followed from this system.
      const target = kind === "absolute" ? host : relative(join(root, "etc"), host);
      symlinkSync(target, join(root, "etc/netevd"));
      const r = migrate(root, "--apply", "--format", "json");
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(readdirSync(host)).toEqual([]);
      // Where the image itself would find /etc/netevd: the link followed inside
      // the root, the ".." beyond it stopping at its /.
      const inside = kind === "absolute" ? join(root, host) : join(root, basename(host));
      expect(existsSync(join(inside, "netevd.yaml")), `nothing written in ${inside}`).toBe(true);
      expect(existsSync(join(inside, "routable.d", "10-hook"))).toBe(true);
      // The header names the image's own path.
      const yaml = readFileSync(join(inside, "netevd.yaml"), "utf8");
      expect(yaml.split("\n")[0]).toBe(
        "# netevd configuration written by netevd-migrate from /etc/network-broker/network-broker.toml",
      );
      expect(report(r).config?.path).toBe(join(root, "etc/netevd/netevd.yaml"));
      // This system's `ip rule` is not the image's: not read.
      expect(report(r).stale_rules_error).toMatch(/^not checked: with --root/);
    });
  }

  it("a configuration or script directory linked to a host file is read from the image, never from this system", () => {
    const { root, broker, host } = image();
    writeFileSync(join(host, "secret.toml"), '[Network]\nLinks="eth0"\nHOSTSECRET="do-not-read"\n');
    mkdirSync(join(host, "hooks"));
    writeFileSync(join(host, "hooks", "99-host-only"), "#!/bin/sh\n# host secret\n");
    chmodSync(join(host, "hooks", "99-host-only"), 0o755);
    const toml = join(broker, "network-broker.toml");
    // The config: an absolute link to a host file the image does not have.
    rmSync(toml);
    symlinkSync(join(host, "secret.toml"), toml);
    const missing = migrate(root, "--format", "json");
    expect(missing.status, missing.stdout + missing.stderr).toBe(78);
    expect(missing.stdout).not.toContain("HOSTSECRET");
    // Now the image has its own file at that path: that one is read.
    mkdirSync(join(root, host), { recursive: true });
    writeFileSync(join(root, host, "secret.toml"), '[Network]\nLinks="eth0"\nImageOnly=1\n');
    const r = migrate(root, "--format", "json");
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).not.toContain("HOSTSECRET");
    expect(r.stdout).toContain("ImageOnly");
    // A script directory linked out by ".." beyond the root: clamped at the root.
    symlinkSync(join("../".repeat(20), relative("/", host), "hooks"), join(broker, "carrier.d"));
    const d = report(migrate(root, "--format", "json"));
    expect(d.scripts.map((s) => s.source)).not.toContainEqual(expect.stringContaining("99-host-only"));
  });

  it("a script linked to an absolute path is judged by the image's file", () => {
    const { root, broker } = image();
    mkdirSync(join(root, "usr/local/bin"), { recursive: true });
    writeFileSync(join(root, "usr/local/bin/hook"), "#!/bin/sh\n");
    chmodSync(join(root, "usr/local/bin/hook"), 0o777);
    symlinkSync("/usr/local/bin/hook", join(broker, "routable.d", "20-linked"));
    const s = report(migrate(root, "--format", "json")).scripts.find((x) => x.source.endsWith("20-linked"));
    expect(s?.problem).toMatch(/writable by group or others/);
    expect(s?.fix).toBe(`chmod go-w ${join(root, "usr/local/bin/hook")}`);
  });

  it("a symlink loop in the image is an error naming the path, not a hang", () => {
    const { root } = image();
    symlinkSync("b", join(root, "etc/a"));
    symlinkSync("a", join(root, "etc/b"));
    const r = migrate(root, "--config", "/etc/a/network-broker.toml");
    expect(r.status, r.stdout + r.stderr).toBe(78);
    expect(r.stdout).toContain("too many levels of symbolic links");
  });
});
