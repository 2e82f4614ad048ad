// netevd-migrate --from-networkd-dispatcher and --from-nm-dispatcher: the
// scripts stay where they are and run in their dispatcher's style; netevd.yaml
// gains the directory (an existing one keeps its other keys and comments);
// what netevd cannot reproduce is named script by script and line by line.
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Report } from "../../migrate/report";
import { loadConfigFile } from "../../src/config/load";
import { netevd } from "../helpers/cli";
import { tempDir } from "../helpers/tmp";

const cli = (root: string, ...args: string[]) =>
  netevd(["migrate", "--root", root, "--format", "json", ...args]);
const parse = (out: string) => JSON.parse(out) as Report;
const statMode = (path: string) => statSync(path).mode & 0o7777;

function script(path: string, body: string, mode = 0o755): void {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, body);
  chmodSync(path, mode);
}

describe("netevd-migrate --from-networkd-dispatcher", () => {
  it("runs the hooks in place in style networkd-dispatcher: netevd.yaml gains both of its directories", () => {
    const root = tempDir("netevd-migrate-");
    const nd = join(root, "etc/networkd-dispatcher");
    script(
      join(nd, "routable.d/50-up"),
      '#!/bin/sh\nlogger "$IFACE is $STATE with $IP_ADDRS on $ESSID"\necho "$json" | jq .\n',
    );
    script(join(nd, "off.d/10-group-writable"), "#!/bin/sh\ntrue\n", 0o775);
    script(join(nd, "off.d/20-world-writable"), "#!/bin/sh\ntrue\n", 0o777);
    script(join(root, "usr/lib/networkd-dispatcher/routable.d/10-pkg"), "#!/bin/sh\ntrue\n");
    // A compiled hook cannot be scanned: the report says so.
    script(join(nd, "routable.d/60-binary"), "\x7fELF\x00\x01");
    // An existing netevd.yaml keeps its keys and comments.
    mkdirSync(join(root, "etc/netevd"), { recursive: true });
    writeFileSync(join(root, "etc/netevd/netevd.yaml"), "# mine\nrouting:\n  policy_rules: [eth0] # keep\n");

    const dry = netevd(["migrate", "--root", root, "--from-networkd-dispatcher"]).stdout;
    expect(dry).toContain(`networkd-dispatcher scripts: ${nd}:${root}/usr/lib/networkd-dispatcher\n`);
    expect(dry).toContain(`- ${nd}/routable.d/50-up [runs in place]`);
    expect(dry).toContain(`- ${nd}/off.d/10-group-writable [runs in place]`);
    expect(dry).toContain(
      `- ${nd}/off.d/20-world-writable [not run]\n    netevd will not run it: mode 0777 is writable by others; fix: chmod go-w`,
    );
    expect(dry).toContain(`${nd}/routable.d/60-binary: not scanned (a binary file)`);
    expect(dry).not.toContain("network-broker policy rules");

    const r = cli(root, "--from-networkd-dispatcher", "--apply", "--force");
    expect(r.status, r.stderr).toBe(0);
    const report = parse(r.stdout);
    expect(report.source?.format).toBe("networkd-dispatcher");
    // Nothing to edit: only what netevd does not give the same way is found.
    expect(report.findings.map((f) => `${f.line} ${f.variable}`)).toEqual(["2 ESSID"]);
    const yaml = readFileSync(join(root, "etc/netevd/netevd.yaml"), "utf8");
    expect(yaml).toContain("policy_rules: [ eth0 ] # keep");
    expect(yaml).toContain("# mine");
    const loaded = loadConfigFile(join(root, "etc/netevd/netevd.yaml"));
    expect(loaded.config?.scripts.directories).toEqual([
      {
        path: "/etc/networkd-dispatcher:/usr/lib/networkd-dispatcher",
        style: "networkd-dispatcher",
        // No installed networkd-dispatcher in the image: taken as 2.2 or later.
        ignore_states: [],
        privileged: true,
      },
    ]);
    // They ran as root and stay root; the report says so.
    expect(yaml).toMatch(/style: networkd-dispatcher\n\s+ignore_states: \[\]\n\s+privileged: true/);
    expect(report.notes.join("\n")).toContain(
      "networkd-dispatcher ran its scripts as root, and they stay root",
    );
    expect(existsSync(join(root, "etc/netevd/routable.d"))).toBe(false); // nothing copied
    expect(parse(cli(root, "--from-networkd-dispatcher", "--apply").stdout).result).toBe("already-migrated");
  });

  it("reads the installed version and service arguments: an old one's ignore list, Debian's startup triggers", () => {
    const root = tempDir("netevd-migrate-");
    const nd = join(root, "etc/networkd-dispatcher");
    script(join(nd, "carrier.d/10-ethtool"), '#!/bin/sh\nethtool -K "$IFACE" gro off\n');
    script(
      join(nd, "routable.d/50-fw"),
      '#!/bin/sh\n# $ESSID is not read here\niptables -A INPUT -i "$IFACE" -j ACCEPT\nsystemctl restart dnsmasq\necho "$AdministrativeState"\n',
    );
    script(join(nd, "bogus.d/10-x"), "#!/bin/sh\ntrue\n");
    // Debian's unit and its default file, and a drop-in adding -v.
    mkdirSync(join(root, "lib/systemd/system/networkd-dispatcher.service.d"), { recursive: true });
    writeFileSync(
      join(root, "lib/systemd/system/networkd-dispatcher.service"),
      "[Service]\nType=notify\nExecStart=/usr/bin/networkd-dispatcher $networkd_dispatcher_args\nEnvironmentFile=-/etc/default/%p\n",
    );
    mkdirSync(join(root, "etc/systemd/system/networkd-dispatcher.service.d"), { recursive: true });
    writeFileSync(
      join(root, "etc/systemd/system/networkd-dispatcher.service.d/verbose.conf"),
      "[Service]\nExecStart=\nExecStart=/usr/bin/networkd-dispatcher -v $networkd_dispatcher_args\n",
    );
    mkdirSync(join(root, "etc/default"), { recursive: true });
    writeFileSync(
      join(root, "etc/default/networkd-dispatcher"),
      'networkd_dispatcher_args="--run-startup-triggers"\n',
    );
    const status = (version: string) =>
      `Package: bash\nStatus: install ok installed\nVersion: 5.2\nArchitecture: amd64\nMaintainer: m\nDescription: d\n\nPackage: networkd-dispatcher\nStatus: install ok installed\nVersion: ${version}\nArchitecture: all\nMaintainer: m\nDescription: d\n`;
    mkdirSync(join(root, "var/lib/dpkg"), { recursive: true });

    writeFileSync(join(root, "var/lib/dpkg/status"), status("2.1-2"));
    const old = parse(cli(root, "--from-networkd-dispatcher").stdout);
    expect(old.errors).toEqual([]);
    expect(old.notes).toContain(
      `networkd-dispatcher 2.1-2 (dpkg-query --root ${root}) never ran carrier.d and degraded.d: ignore_states: [carrier, degraded] keeps that`,
    );
    expect(old.config?.yaml).toMatch(/ignore_states:\n\s+- carrier\n\s+- degraded/);
    expect(old.config?.yaml).toContain("run_startup_triggers: true");
    expect(old.notes).toContain(
      `networkd-dispatcher was started with -v --run-startup-triggers (${root}/etc/systemd/system/networkd-dispatcher.service.d/verbose.conf, ${root}/etc/default/networkd-dispatcher): it ran each link's state's scripts at start, so scripts.run_startup_triggers: true (for every directory of netevd)`,
    );
    const hooks = Object.fromEntries(old.scripts.map((s) => [s.source.slice(nd.length + 1), s.hook]));
    expect(hooks["carrier.d/10-ethtool"]).toEqual({
      states: ["carrier"],
      runs: false,
      why: "in the ignore list of the installed networkd-dispatcher",
      needs_root: ["ethtool (a change) (line 2)"],
      variables: ["IFACE"],
    });
    expect(hooks["routable.d/50-fw"]).toEqual({
      states: ["routable"],
      runs: true,
      why: null,
      needs_root: ["iptables (line 3)", "systemctl (line 4)"],
      variables: ["AdministrativeState", "IFACE"],
    });
    expect(hooks["bogus.d/10-x"]?.runs).toBe(false);
    const text = netevd(["migrate", "--root", root, "--from-networkd-dispatcher"]).stdout;
    expect(text).toContain(
      `- ${nd}/routable.d/50-fw [runs in place]\n    state: routable: runs\n    needs root: iptables (line 3), systemctl (line 4)\n    reads: AdministrativeState IFACE\n`,
    );
    // Dispatcher mode says nothing of network-broker.
    expect(text).not.toMatch(/network-broker/);

    writeFileSync(join(root, "var/lib/dpkg/status"), status("2.2.3-1"));
    const current = parse(cli(root, "--from-networkd-dispatcher").stdout);
    expect(current.config?.yaml).toContain("ignore_states: []");
    expect(current.scripts.find((s) => s.source.endsWith("10-ethtool"))?.hook?.runs).toBe(true);
  });

  it("with --switch-service disables networkd-dispatcher.service", () => {
    const root = tempDir("netevd-migrate-");
    mkdirSync(join(root, "etc/networkd-dispatcher/routable.d"), { recursive: true });
    const report = parse(cli(root, "--from-networkd-dispatcher").stdout);
    expect(report.errors).toEqual([]);
    const plan = parse(
      netevd([
        "migrate",
        "--root",
        root,
        "--format",
        "json",
        "--from-networkd-dispatcher",
        "/etc/networkd-dispatcher",
      ]).stdout,
    );
    expect(plan.config?.yaml).toContain("path: /etc/networkd-dispatcher\n");
  });
});

describe("netevd-migrate --from-nm-dispatcher", () => {
  it("sets backend NetworkManager and style nm-dispatcher; names the actions netevd cannot run", () => {
    const root = tempDir("netevd-migrate-");
    const d = join(root, "etc/NetworkManager/dispatcher.d");
    script(
      join(d, "10-vpn"),
      '#!/bin/sh\ncase "$2" in\n  up) mount /srv ;;\n  vpn-up) echo "$VPN_IP_IFACE" ;;\n  pre-down) umount /srv ;;\nesac\n',
    );
    mkdirSync(join(d, "no-wait.d"));
    script(join(d, "no-wait.d/20-slow"), "#!/bin/sh\nsleep 5\n");
    symlinkSync("no-wait.d/20-slow", join(d, "20-slow"));
    mkdirSync(join(root, "etc/netevd"), { recursive: true });
    writeFileSync(join(root, "etc/netevd/netevd.yaml"), "system:\n  backend: systemd-networkd\n");

    const r = cli(root, "--from-nm-dispatcher", "--apply", "--force");
    expect(r.status, r.stderr).toBe(0);
    const report = parse(r.stdout);
    expect(report.source?.format).toBe("nm-dispatcher");
    expect(report.warnings).toContain(
      "system.backend was systemd-networkd; nm-dispatcher scripts need NetworkManager, which the new configuration sets",
    );
    expect(report.scripts.map((s) => [s.source, s.problem === null])).toEqual([
      [`${d}/10-vpn`, true],
      [`${d}/20-slow`, true],
    ]);
    // Per hook: the actions it runs for, what needs root, what it reads.
    expect(report.scripts.map((s) => s.hook)).toEqual([
      {
        states: [
          "up",
          "down",
          "dhcp4-change",
          "dhcp6-change",
          "hostname",
          "connectivity-change",
          "dns-change",
          "vpn-up",
          "vpn-down",
        ],
        runs: true,
        why: null,
        needs_root: ["mount (line 3)", "umount (line 5)"],
        variables: ["$2 (the action)", "VPN_IP_IFACE"],
      },
      expect.objectContaining({ runs: true, needs_root: [] }),
    ]);
    // It ran as root and stays root (privileged: true): mount and umount are no findings.
    expect(report.findings.map((f) => `${f.line} ${f.variable}`)).toEqual(["5 pre-down"]);
    expect(report.notes).toContain(
      "nm-dispatcher ran its scripts as root, and they stay root: the directory is marked privileged: true, so netevd-privileged.service runs each in a unit of its own while netevd itself stays unprivileged (netevd-scripts(7), PRIVILEGED HOOKS); narrow it with capabilities: and read_write_paths: once you know what they need",
    );
    const loaded = loadConfigFile(join(root, "etc/netevd/netevd.yaml"));
    expect(loaded.config?.system.backend).toBe("NetworkManager");
    expect(loaded.config?.scripts.directories).toEqual([
      { path: "/etc/NetworkManager/dispatcher.d", style: "nm-dispatcher", privileged: true },
    ]);
  });

  it("with pre-up.d scripts: NetworkManager-dispatcher keeps those, every other script moves to netevd", () => {
    const root = tempDir("netevd-migrate-");
    const d = join(root, "etc/NetworkManager/dispatcher.d");
    const lib = join(root, "usr/lib/NetworkManager/dispatcher.d");
    const moved = join(root, "etc/netevd/nm-dispatcher.d");
    script(join(d, "10-plain"), '#!/bin/sh\n[ "$2" = up ] && logger up\n');
    // The common layout: one script for several actions, linked into pre-up.d.
    script(join(d, "20-nfs"), '#!/bin/sh\ncase "$2" in up|pre-up) mount -a ;; esac\n', 0o700);
    mkdirSync(join(d, "pre-up.d"));
    symlinkSync("../20-nfs", join(d, "pre-up.d/20-nfs"));
    script(join(d, "pre-down.d/10-own"), "#!/bin/sh\ntrue\n");
    mkdirSync(join(d, "no-wait.d"));
    symlinkSync("../10-plain", join(d, "no-wait.d/10-plain"));
    // A second name for a script: the copy points at the script's copy.
    symlinkSync("10-plain", join(d, "15-alias"));
    // A package's script, and one the administrator masked.
    script(join(lib, "30-pkg"), "#!/bin/sh\ntrue\n");
    script(join(lib, "40-masked"), "#!/bin/sh\ntrue\n");
    symlinkSync("/dev/null", join(d, "40-masked"));

    const dry = cli(root, "--from-nm-dispatcher");
    expect(dry.status, dry.stderr).toBe(0);
    expect(existsSync(join(moved, "10-plain"))).toBe(false);
    const r = cli(root, "--from-nm-dispatcher", "--apply");
    expect(r.status, r.stderr).toBe(0);
    const report = parse(r.stdout);
    expect(report.notes).toContain(
      `NetworkManager-dispatcher.service keeps running, for pre-up.d and pre-down.d only (${d}/pre-up.d/20-nfs, ${d}/pre-down.d/10-own): NetworkManager waits for those scripts before it goes on, and netevd observes NetworkManager, it cannot hold it; --switch-service leaves it and enables netevd.service`,
    );
    // Moved: copied with their modes, the originals hidden from NetworkManager-dispatcher.
    expect(readFileSync(join(moved, "20-nfs"), "utf8")).toContain("mount -a");
    expect(statMode(join(moved, "20-nfs"))).toBe(0o700);
    expect(readFileSync(join(d, ".20-nfs.netevd-moved"), "utf8")).toContain("mount -a");
    expect(existsSync(join(d, "10-plain")) || existsSync(join(d, "20-nfs"))).toBe(false);
    expect(readlinkSync(join(moved, "no-wait.d/10-plain"))).toBe("/etc/netevd/nm-dispatcher.d/10-plain");
    expect(readlinkSync(join(moved, "15-alias"))).toBe("/etc/netevd/nm-dispatcher.d/10-plain");
    expect(readlinkSync(join(d, ".15-alias.netevd-moved"))).toBe("10-plain");
    // pre-up.d follows its script to the new place; NetworkManager-dispatcher still runs it there.
    expect(readlinkSync(join(d, "pre-up.d/20-nfs"))).toBe("/etc/netevd/nm-dispatcher.d/20-nfs");
    expect(readFileSync(join(d, "pre-down.d/10-own"), "utf8")).toBe("#!/bin/sh\ntrue\n");
    // The package's script runs under netevd and is masked for NetworkManager-dispatcher; the mask stays.
    expect(readlinkSync(join(d, "30-pkg"))).toBe("/dev/null");
    expect(readlinkSync(join(d, "40-masked"))).toBe("/dev/null");
    expect(readlinkSync(join(moved, "40-masked"))).toBe("/dev/null");
    const loaded = loadConfigFile(join(root, "etc/netevd/netevd.yaml"));
    expect(loaded.config?.scripts.directories).toEqual([
      {
        path: "/etc/netevd/nm-dispatcher.d:/usr/lib/NetworkManager/dispatcher.d",
        style: "nm-dispatcher",
        privileged: true,
      },
    ]);
    const pre = parse(r.stdout).scripts.find((s) => s.source === `${d}/pre-up.d/20-nfs`);
    expect(pre?.hook).toMatchObject({ states: ["pre-up"], runs: false });
    expect(pre?.problem).toMatch(/^run by NetworkManager-dispatcher.service, which keeps running/);

    // A second run changes nothing; --switch-service leaves the unit running, only enables netevd.
    const again = parse(cli(root, "--from-nm-dispatcher", "--apply").stdout);
    expect(again.result).toBe("already-migrated");
    const sw = netevd(
      ["migrate", "--root", root, "--format", "json", "--from-nm-dispatcher", "--apply", "--switch-service"],
      { PATH: "/nonexistent" },
    );
    expect(parse(sw.stdout).service?.commands).toEqual([`systemctl --root=${root} enable netevd.service`]);
  });

  it("plans masking NetworkManager-dispatcher.service with --switch-service", () => {
    const root = tempDir("netevd-migrate-");
    mkdirSync(join(root, "usr/lib/NetworkManager/dispatcher.d"), { recursive: true });
    const r = netevd(
      ["migrate", "--root", root, "--format", "json", "--from-nm-dispatcher", "--apply", "--switch-service"],
      {
        PATH: "/nonexistent",
      },
    );
    const report = parse(r.stdout);
    expect(report.service?.commands).toEqual([
      `systemctl --root=${root} mask NetworkManager-dispatcher.service`,
      `systemctl --root=${root} enable netevd.service`,
    ]);
  });

  it("says there is no directory, exit 78", () => {
    const r = cli(tempDir("netevd-migrate-"), "--from-nm-dispatcher");
    expect(r.status).toBe(78);
    expect(parse(r.stdout).errors[0]).toMatch(
      /^no nm-dispatcher directory at \/tmp\/\S+\/etc\/NetworkManager\/dispatcher.d or \/tmp\/\S+\/usr\/lib\/NetworkManager\/dispatcher.d$/,
    );
  });
});
