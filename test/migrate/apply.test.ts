// netevd-migrate end to end on a fake root (--root): a dry run writes nothing;
// --apply copies scripts with their content and mode as root's, keeps symlinks
// and reports broken ones, refuses what netevd would refuse with the fix;
// a second --apply changes nothing; an existing netevd.yaml is not replaced
// without --force (then a backup is kept); --switch-service runs systemctl.
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { migrate } from "../../migrate/main";
import type { Report } from "../../migrate/report";
import { validateYaml } from "../../migrate/translate";
import { spawnSync } from "node:child_process";
import { CLI, netevd } from "../helpers/cli";
import { canNetns, createNetns, ifindexOf, ip } from "../helpers/netns";
import { isRoot, tempDir } from "../helpers/tmp";

function fakeRoot(): string {
  const root = tempDir("netevd-migrate-");
  const nb = join(root, "etc/network-broker");
  mkdirSync(join(nb, "routable.d"), { recursive: true });
  mkdirSync(join(nb, "online.d"), { recursive: true });
  mkdirSync(join(nb, "carrier.d"), { recursive: true });
  writeFileSync(
    join(nb, "network-broker.toml"),
    '[System]\nGenerator="systemd-networkd"\n[Network]\nLinks="eth0 eth1"\nEmitJSON=true\n',
  );
  const script = (dir: string, name: string, body: string, mode: number, uid = 0) => {
    const p = join(nb, dir, name);
    writeFileSync(p, `#!/bin/sh\n${body}\n`);
    if (isRoot) chownSync(p, uid, uid);
    chmodSync(p, mode);
    return p;
  };
  script("routable.d", "10-ok", 'logger "routable $LINK"', 0o755);
  script("routable.d", "20-state", 'echo "$OperationalState" | jq -r .Name; echo $DHCP_LEASE', 0o750, 1000);
  script("routable.d", "30-world-writable", "true", 0o777);
  script("routable.d", "40-not-executable", "true", 0o644);
  script("routable.d", "50-old~", "true", 0o755);
  script("carrier.d", "10-carrier", "true", 0o700);
  symlinkSync("../routable.d/10-ok", join(nb, "carrier.d", "20-link"));
  symlinkSync("/nonexistent/script", join(nb, "carrier.d", "30-broken"));
  script("online.d", "10-online", "true", 0o755);
  mkdirSync(join(root, "sys/class/net/eth0"), { recursive: true });
  mkdirSync(join(root, "sys/class/net/eth1"), { recursive: true });
  return root;
}

const cli = (root: string, ...args: string[]) =>
  netevd(["migrate", "--root", root, "--format", "json", ...args]);
const parse = (out: string) => JSON.parse(out) as Report;

describe("netevd-migrate on a fake root", () => {
  it("dry run by default, --apply migrates faithfully, a second --apply changes nothing", () => {
    const root = fakeRoot();
    const dry = cli(root);
    expect(dry.status, dry.stderr).toBe(0);
    expect(parse(dry.stdout).result).toBe("would-migrate");
    expect(existsSync(join(root, "etc/netevd"))).toBe(false);

    const first = cli(root, "--apply");
    expect(first.status, first.stderr).toBe(0);
    const r = parse(first.stdout);
    expect(r.result).toBe("migrated");
    const yaml = readFileSync(join(root, "etc/netevd/netevd.yaml"), "utf8");
    expect(validateYaml(yaml)).toEqual([]);
    expect(yaml).toContain('interfaces: ["eth0", "eth1"]');
    expect(yaml).toContain("emit_json: true");
    // Content and mode kept, owned by root.
    const ok = join(root, "etc/netevd/routable.d/10-ok");
    expect(readFileSync(ok, "utf8")).toBe('#!/bin/sh\nlogger "routable $LINK"\n');
    expect(lstatSync(ok).mode & 0o7777).toBe(0o755);
    const state = join(root, "etc/netevd/routable.d/20-state");
    expect(lstatSync(state).mode & 0o7777).toBe(0o750);
    if (isRoot) expect([lstatSync(state).uid, lstatSync(state).gid]).toEqual([0, 0]);
    // Refused by netevd: reported with reason and fix.
    const byName = (n: string) => r.scripts.find((s) => s.source.endsWith(n));
    expect(byName("30-world-writable")?.problem).toMatch(/writable by group or others/);
    expect(byName("30-world-writable")?.fix).toMatch(/^chmod go-w /);
    expect(byName("40-not-executable")?.fix).toMatch(/^chmod u\+x /);
    expect(byName("50-old~")).toMatchObject({ target: null });
    expect(byName("50-old~")?.problem).toMatch(/ignores this name/);
    // Symlinks kept as links; a broken one reported.
    expect(readlinkSync(join(root, "etc/netevd/carrier.d/20-link"))).toBe("../routable.d/10-ok");
    expect(readlinkSync(join(root, "etc/netevd/carrier.d/30-broken"))).toBe("/nonexistent/script");
    expect(byName("30-broken")?.problem).toMatch(/broken symlink/);
    // A directory netevd has no event for.
    expect(r.directories.find((d) => d.name === "online.d")?.problem).toMatch(/no "online" event/);
    expect(existsSync(join(root, "etc/netevd/online.d"))).toBe(false);
    // Variables netevd gives differently, with file:line.
    expect(r.findings.map((f) => `${f.file.split("/").pop()}:${f.line} ${f.variable}`)).toEqual([
      "20-state:2 OperationalState",
      "20-state:2 DHCP_LEASE",
      "20-state:2 JSON .Name",
    ]);

    const second = cli(root, "--apply");
    expect(second.status).toBe(0);
    const r2 = parse(second.stdout);
    expect(r2.result).toBe("already-migrated");
    expect(r2.scripts.filter((s) => s.target).every((s) => s.state === "unchanged")).toBe(true);
    expect(netevd(["migrate", "--root", root, "--apply"]).stdout).toContain(
      "nothing to do: everything is already migrated",
    );
  });

  it("refuses to replace an existing netevd.yaml without --force; with --force keeps a timestamped backup", () => {
    const root = fakeRoot();
    mkdirSync(join(root, "etc/netevd"), { recursive: true });
    writeFileSync(join(root, "etc/netevd/netevd.yaml"), "# mine\nsystem: { backend: none }\n");
    const refused = cli(root, "--apply");
    expect(refused.status).toBe(1);
    const r = parse(refused.stdout);
    expect(r.result).toBe("refused");
    expect(r.config?.refused).toMatch(/not replaced without --force/);
    expect(readFileSync(join(root, "etc/netevd/netevd.yaml"), "utf8")).toBe(
      "# mine\nsystem: { backend: none }\n",
    );
    expect(readdirSync(join(root, "etc/netevd"))).toEqual(["netevd.yaml"]); // nothing else written either

    const forced = cli(root, "--apply", "--force");
    expect(forced.status, forced.stderr).toBe(0);
    const backup = parse(forced.stdout).config?.backup ?? "";
    expect(backup).toMatch(/netevd\.yaml\.\d{8}T\d{6}Z\.bak$/);
    expect(readFileSync(backup, "utf8")).toBe("# mine\nsystem: { backend: none }\n");
    expect(readFileSync(join(root, "etc/netevd/netevd.yaml"), "utf8")).toContain("written by netevd-migrate");
  });

  it("--switch-service disables network-broker and enables netevd with systemctl, only with --apply", () => {
    const root = fakeRoot();
    const bin = tempDir();
    const log = join(bin, "calls");
    writeFileSync(join(bin, "systemctl"), `#!/bin/sh\necho "$*" >> ${log}\n`);
    chmodSync(join(bin, "systemctl"), 0o755);
    const env = { PATH: `${bin}:${process.env.PATH ?? ""}` };
    expect(netevd(["migrate", "--root", root, "--switch-service"], env).status).toBe(2);
    const r = netevd(["migrate", "--root", root, "--apply", "--switch-service"], env);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(log, "utf8")).toBe(
      `--root=${root} disable network-broker.service\n--root=${root} enable netevd.service\n`,
    );
  });

  it("exit codes: 78 when nothing is found or the format is unknown, 2 on usage errors; netevd-migrate is the same tool", () => {
    const empty = tempDir();
    expect(netevd(["migrate", "--root", empty]).status).toBe(78);
    const root = tempDir();
    mkdirSync(join(root, "etc/network-broker"), { recursive: true });
    writeFileSync(join(root, "etc/network-broker/network-broker.hcl"), 'Network { Links = "eth0" }\n');
    const hcl = netevd(["migrate", "--root", root, "--format", "json"]);
    expect(hcl.status).toBe(78);
    expect(parse(hcl.stdout).errors[0]).toMatch(/\.hcl files are not supported/);
    expect(netevd(["migrate", "--bogus"]).status).toBe(2);
    expect(netevd(["migrate", "--format", "xml"]).status).toBe(2);
    // Global options before `migrate` are netevd's; the ones after it are the tool's.
    const after = netevd([
      "--log-level",
      "debug",
      "--format",
      "yaml",
      "migrate",
      "--root",
      fakeRoot(),
      "--format",
      "json",
    ]);
    expect(after.status, after.stderr).toBe(0);
    expect(parse(after.stdout).result).toBe("would-migrate");
    const multi = netevd(["--root", fakeRoot()], {}, "netevd-migrate");
    expect(multi.status).toBe(0);
    expect(multi.stdout).toContain("would migrate");
  });

  it("never crashes on random TOML, INI or YAML input: it migrates a valid netevd.yaml or exits with an error", () => {
    const word = fc.constantFrom(
      "System",
      "Network",
      "network",
      "Links",
      "Generator",
      "EmitJSON",
      "UseDNS",
      "LogLevel",
      "x",
      "",
    );
    const value = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.constantFrom("true", "yes", '"eth0 eth1"', "[1,2]", "{", '"'),
    );
    const line = fc.oneof(
      word.map((w) => `[${w}]`),
      fc.tuple(word, value).map(([k, v]) => `${k}=${v}`),
      fc.tuple(word, value).map(([k, v]) => `  ${k}: ${v}`),
      fc.string({ maxLength: 20 }),
    );
    const root = tempDir();
    const dir = join(root, "etc/network-broker");
    mkdirSync(dir, { recursive: true });
    fc.assert(
      fc.property(
        fc.array(line, { maxLength: 12 }),
        fc.constantFrom("toml", "ini", "yaml", "json"),
        (lines, ext) => {
          const file = join(dir, `network-broker.${ext}`);
          writeFileSync(file, lines.join("\n"));
          for (const intent of [false, true]) {
            const { report, code } = migrate({
              root,
              config: file,
              links: "eth0,eth1",
              intent,
              apply: false,
              force: false,
              switchService: false,
              format: "json",
            });
            if (code === 0) expect(validateYaml(report.config?.yaml ?? "")).toEqual([]);
            else expect(report.errors.length).toBeGreaterThan(0);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe.runIf(canNetns)("netevd-migrate and the kernel", () => {
  it("finds network-broker's stale policy rules (table 9999 + ifindex) and shows the command that removes them", () => {
    const ns = createNetns();
    ip(ns, "link", "add", "eth0", "type", "veth", "peer", "name", "eth1");
    const idx = ifindexOf(ns, "eth0");
    ip(ns, "rule", "add", "from", "10.0.0.5", "lookup", String(9999 + idx), "priority", "100");
    ip(ns, "rule", "add", "from", "10.0.0.6", "lookup", "300", "priority", "101"); // not network-broker's
    const root = fakeRoot();
    const r = spawnSync(
      "ip",
      [
        "netns",
        "exec",
        ns,
        process.execPath,
        CLI,
        "migrate",
        "--config",
        join(root, "etc/network-broker/network-broker.toml"),
        "--format",
        "json",
      ],
      { encoding: "utf8" },
    );
    expect(r.status, r.stderr).toBe(0);
    const report = parse(r.stdout);
    expect(report.stale_rules).toEqual([
      {
        family: "ipv4",
        priority: 100,
        selector: "from 10.0.0.5",
        table: 9999 + idx,
        command: `ip -4 rule del priority 100 from 10.0.0.5 table ${9999 + idx}`,
      },
    ]);
    ip(ns, ...report.stale_rules[0]!.command.split(" ").slice(1));
    expect(ip(ns, "rule", "show")).not.toContain(String(9999 + idx));
  });
});
