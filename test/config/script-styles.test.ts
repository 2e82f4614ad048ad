// Script directory styles at `netevd validate`: a style its backend cannot
// feed is an error naming the line; scripts netevd will not run (NetworkManager's
// blocking pre-up.d/pre-down.d) are warnings naming each file.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { netevd } from "../helpers/cli";
import { tempDir, writeScript } from "../helpers/tmp";

function writeConfig(yaml: string): string {
  const file = join(tempDir(), "netevd.yaml");
  writeFileSync(file, yaml);
  return file;
}

function validate(yaml: string) {
  const file = join(tempDir(), "netevd.yaml");
  writeFileSync(file, yaml);
  const r = netevd(["validate", "--config", file, "--format", "json"]);
  return {
    file,
    status: r.status,
    out: JSON.parse(r.stdout || "{}") as Record<string, unknown>,
    stderr: r.stderr,
  };
}

describe("script directory styles at validate", () => {
  it("refuses networkd-dispatcher scripts under the NetworkManager backend, naming line and key", () => {
    const dir = tempDir();
    const file = join(tempDir(), "netevd.yaml");
    writeFileSync(
      file,
      `system:
  backend: NetworkManager
scripts:
  directories:
    - path: ${dir}
      style: networkd-dispatcher
`,
    );
    const r = netevd(["validate", "--config", file]);
    expect(r.status).toBe(78);
    expect(r.stderr).toContain(
      `${file}:6:7: scripts.directories[0].style: style networkd-dispatcher needs system.backend systemd-networkd (it is NetworkManager)`,
    );
  });

  it("refuses nm-dispatcher scripts under the dhclient backend", () => {
    const r = validate(`system: { backend: dhclient }\nscripts: { style: nm-dispatcher }\n`);
    expect(r.status).toBe(78);
    expect(JSON.stringify(r.out)).toContain(
      "style nm-dispatcher needs system.backend NetworkManager (it is dhclient)",
    );
  });

  it("names each pre-up.d and pre-down.d script netevd will not run, and passes", () => {
    const dir = tempDir();
    mkdirSync(join(dir, "pre-up.d"));
    writeScript(join(dir, "pre-up.d"), "10-mount-nfs", "true");
    writeScript(join(dir, "pre-down.d"), "10-umount-nfs", "true");
    writeScript(dir, "20-up-hook", "true");
    const r = validate(
      `system: { backend: NetworkManager }\nscripts: { directories: [{ path: ${dir}, style: nm-dispatcher }] }\n`,
    );
    expect(r.status).toBe(0);
    const warnings = (r.out.warnings as { message: string }[]).map((w) => w.message);
    expect(warnings).toEqual([
      `${dir}/pre-up.d/10-mount-nfs will not run: NetworkManager holds the connection until pre-up scripts end, and netevd observes NetworkManager, it cannot hold it`,
      `${dir}/pre-down.d/10-umount-nfs will not run: NetworkManager holds the connection until pre-down scripts end, and netevd observes NetworkManager, it cannot hold it`,
    ]);
  });

  it("takes several directories in one path, and refuses a relative one", () => {
    const ok = validate(
      `system: { backend: systemd-networkd }\nscripts: { directories: [{ path: "/etc/networkd-dispatcher:/usr/lib/networkd-dispatcher", style: networkd-dispatcher }] }\n`,
    );
    expect(ok.status).toBe(0);
    const bad = validate(`scripts: { directories: [{ path: "hooks", style: netevd-rust }] }\n`);
    expect(bad.status).toBe(78);
    expect(JSON.stringify(bad.out)).toContain('\\"hooks\\" is not a list of absolute paths');
  });

  it("a filter naming a script of another style's directory is not warned about; one naming nothing is", () => {
    const main = tempDir();
    const nd = tempDir();
    writeScript(join(nd, "routable.d"), "50-hook", "true");
    const filters = (name: string) =>
      `system: { backend: systemd-networkd }\nscripts: { dir: ${main}, directories: [{ path: ${nd}, style: networkd-dispatcher }] }\nfilters: [{ match_rule: { event_type: routable }, action: execute, scripts: [${name}] }]\n`;
    expect(validate(filters("50-hook")).out.warnings).toEqual([]);
    expect(JSON.stringify(validate(filters("50-nothing")).out.warnings)).toContain(
      '\\"50-nothing\\" names no script',
    );
  });

  it("names the styles there are when the name is wrong", () => {
    const r = validate(`scripts: { style: networkd_dispatcher }\n`);
    expect(r.status).toBe(78);
    expect(JSON.stringify(r.out)).toContain('did you mean \\"networkd-dispatcher\\"');
  });

  it("privileged: a name that marks nothing is warned about, with the line; a bad one is an error", () => {
    const main = tempDir();
    writeScript(join(main, "routable.d"), "40-firewall", "true");
    const marked = (names: string) =>
      `system: { backend: none }\nscripts:\n  dir: ${main}\n  privileged: { scripts: [${names}] }\n`;
    expect(validate(marked("routable.d/40-firewall")).out.warnings).toEqual([]);
    const typo = netevd(["validate", "--config", writeConfig(marked("40-firewall"))]);
    expect(typo.status).toBe(0);
    expect(typo.stderr).toMatch(
      /:4:\d+: .*scripts\.privileged\.scripts: 40-firewall is not in .*: no script by that name runs privileged \(netevd's scripts are named with their event directory/,
    );
    const bad = validate(marked("../../bin/sh"));
    expect(bad.status).toBe(78);
    expect(JSON.stringify(bad.out)).toContain("is not a script name");
    const caps = validate(`scripts: { privileged: { capabilities: [CAP_NET_ADMN] } }\n`);
    expect(caps.status).toBe(78);
    expect(JSON.stringify(caps.out)).toContain('did you mean \\"CAP_NET_ADMIN\\"');
    const word = validate(`scripts: { privileged: maybe }\n`);
    expect(JSON.stringify(word.out)).toContain('expected true, false or a mapping, got string \\"maybe\\"');
  });
});

describe("scripts.user at validate", () => {
  it("warns that ambient capabilities do not reach scripts run as another user, naming the directory", () => {
    const dir = tempDir();
    const r = validate(
      `system: { user: netevd }\nscripts:\n  dir: ${dir}\n  user: netevd-hook\n  ambient_capabilities: [CAP_NET_ADMIN]\n`,
    );
    expect(r.status).toBe(0);
    expect(JSON.stringify(r.out)).toContain(
      `the scripts of ${dir} run as netevd-hook, without these capabilities`,
    );
    // The daemon's own user named: the daemon runs them itself, with the capabilities.
    const own = validate(
      `system: { user: netevd }\nscripts:\n  dir: ${dir}\n  user: netevd\n  ambient_capabilities: [CAP_NET_ADMIN]\n`,
    );
    expect(JSON.stringify(own.out)).not.toContain("without these capabilities");
  });
});
