import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatDiagnostic } from "../../src/config/diagnostic";
import { parseDuration } from "../../src/config/duration";
import { loadConfigBytes } from "../../src/config/load";
import { defaultConfig } from "../../src/config/schema";
import { MAX_CONFIG_BYTES } from "../../src/config/yaml-source";
import { tempDir, writeScript } from "../helpers/tmp";

const load = (text: string | Uint8Array) =>
  loadConfigBytes("netevd.yaml", typeof text === "string" ? Buffer.from(text) : text);
const messages = (text: string | Uint8Array) => load(text).diagnostics.map(formatDiagnostic);

describe("configuration loading", () => {
  it("gives the documented defaults for an empty file and a comment-only file", () => {
    for (const text of ["", "# nothing\n", "---\n"]) {
      const r = load(text);
      expect(r.diagnostics).toEqual([]);
      expect(r.config).toEqual(defaultConfig());
    }
    const c = defaultConfig();
    expect(c.system).toEqual({ log_level: "info", backend: "auto", user: "netevd" });
    expect(c.routing).toEqual({
      policy_rules: [],
      table_base: 200,
      ipv6: true,
      from_priority: 10000,
      to_priority: 10001,
      keep_on_stop: false,
    });
    expect(c.scripts.timeout).toBe(30_000);
    expect(c.api.socket).toBe("/run/netevd/netevd.sock");
    expect(c.audit).toEqual({ enabled: false, path: "/var/log/netevd/audit.jsonl" });
  });

  it("parses durations", () => {
    expect(parseDuration("30s")).toBe(30_000);
    expect(parseDuration("2m")).toBe(120_000);
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration(45)).toBe(45_000);
    expect(parseDuration("1.5s")).toBe(1500);
    expect(parseDuration("soon")).toBeUndefined();
    expect(parseDuration(-1)).toBeUndefined();
    expect(load("scripts:\n  timeout: 2m\n").config?.scripts.timeout).toBe(120_000);
  });

  it("warns on unknown keys with a suggestion, and on keys in the wrong section", () => {
    expect(messages("monitoring:\n  interfaec: [eth0]\n")).toEqual([
      'netevd.yaml:2:3: warning: monitoring.interfaec: unknown key "interfaec", ignored (did you mean "interfaces"?)',
    ]);
    expect(messages("system:\n  policy_rules: [eth1]\n")[0]).toContain(
      "(it belongs in routing.policy_rules)",
    );
    expect(load("bogus: 1\n").config).toBeDefined();
  });

  it("warns, naming the line, about a filter's script entry that selects no script", () => {
    const dir = tempDir();
    writeScript(join(dir, "routable.d"), "10-notify", "true");
    const filters = (entries: string) =>
      messages(
        `scripts: { dir: ${dir} }\nfilters:\n  - match_rule: { event_type: routable }\n    action: execute\n    scripts: [${entries}]\n`,
      );
    // Names and absolute paths of existing scripts are fine.
    expect(filters(`10-notify, "${dir}/routable.d/10-notify"`)).toEqual([]);
    expect(filters(`10-notfy, "/usr/local/bin/10-notify"`)).toEqual([
      `netevd.yaml:5:15: warning: filters[0].scripts[0]: "10-notfy" names no script in ${dir}/routable.d: this filter will run nothing for it (entries are script names or absolute paths)`,
      `netevd.yaml:5:25: warning: filters[0].scripts[1]: "/usr/local/bin/10-notify" names no script in ${dir}/routable.d: this filter will run nothing for it (entries are script names or absolute paths)`,
    ]);
  });

  it("tells a Rust netevd configuration which present links monitoring.interfaces now leaves out", () => {
    const rust = "api:\n  port: 9090\nmonitoring:\n  interfaces: [eth0]\n";
    const links = ["lo", "eth0", "eth1", "wlan0"];
    const warned = loadConfigBytes("netevd.yaml", Buffer.from(rust), { links }).diagnostics.map(
      formatDiagnostic,
    );
    expect(warned).toContain(
      "netevd.yaml:4:3: warning: monitoring.interfaces: leaves out eth1, wlan0, present here: the Rust netevd ignored this key and ran scripts for every link",
    );
    // netevd's own configuration means what it says: no warning.
    const own = loadConfigBytes("netevd.yaml", Buffer.from("monitoring:\n  interfaces: [eth0]\n"), { links });
    expect(own.diagnostics).toEqual([]);
  });

  it("validates interface globs and names", () => {
    expect(load("monitoring:\n  interfaces: ['eth*', 'en[ops]*', 'wl?', 'veth{0,1}']\n").diagnostics).toEqual(
      [],
    );
    const bad = messages("monitoring:\n  exclude: ['eth[0-9', 'a b', 'x/y', 'averyveryverylongname']\n");
    expect(bad).toHaveLength(4);
    expect(bad[0]).toContain('monitoring.exclude[0]: unbalanced "[" in glob "eth[0-9"');
    expect(bad[3]).toContain("longer than 15 bytes");
  });

  it("validates monitoring.namespaces, a filter's netns and a privileged hook's namespace", () => {
    expect(load("monitoring: { namespaces: all }\n").config?.monitoring.namespaces).toBe("all");
    expect(load("monitoring:\n  namespaces: [tenant-*, vpn]\n").diagnostics).toEqual([]);
    expect(load("").config?.monitoring.namespaces).toEqual([]);
    const bad = messages("monitoring:\n  namespaces: [a/b, '..', 'x[1']\n");
    expect(bad).toHaveLength(3);
    expect(bad[0]).toContain('netevd.yaml:2:16: monitoring.namespaces[0]: "a/b" contains "/"');
    expect(bad[0]).toContain("(allowed: namespace names as under /run/netns");
    expect(bad[1]).toContain('".." is not a namespace name');
    expect(bad[2]).toContain('unbalanced "["');
    expect(messages("monitoring: { namespaces: every }\n")[0]).toContain("monitoring.namespaces:");
    expect(load("filters:\n  - action: ignore\n    match_rule: { netns: '' }\n").diagnostics).toEqual([]);
    expect(messages("scripts:\n  privileged: { namespace: inside }\n")[0]).toContain(
      'scripts.privileged.namespace: string "inside" is not allowed (allowed: netevd, link)',
    );
  });

  it("names the line, key, value and what is allowed", () => {
    expect(messages("system:\n  backend: networkd\n")).toEqual([
      'netevd.yaml:2:12: system.backend: string "networkd" is not allowed (allowed: auto, systemd-networkd, NetworkManager, dhclient, none)',
    ]);
    expect(messages("backends:\n  dhclient:\n    use_dns: yes\n")[0]).toBe(
      'netevd.yaml:3:14: backends.dhclient.use_dns: expected a boolean, got string "yes" (YAML 1.2 reads yes/no/on/off as strings) (allowed: true, false)',
    );
    expect(messages("routing:\n  table_base: 0\n")[0]).toContain(
      "routing.table_base: number 0 is too small (allowed: a number of at least 1)",
    );
    expect(messages("api:\n  listen: 127.0.0.1:9090\n")[0]).toContain(
      "api.token_file: api.listen is set but api.token_file is empty",
    );
    expect(messages("filters:\n  - action: run\n")[0]).toContain("filters[0].action:");
    expect(
      messages("filters:\n  - action: execute\n    match_rule: { condition: 'uptime > 3' }\n")[0],
    ).toContain('unrecognized condition term "uptime > 3"');
  });

  it("refuses a non-mapping top level", () => {
    expect(messages("- a\n- b\n")[0]).toContain("the top level must be a mapping");
    expect(messages("42\n")[0]).toContain("the top level must be a mapping");
  });

  it("reports YAML syntax errors with their position", () => {
    const m = messages("system:\n  backend: [unclosed\n");
    expect(m[0]).toMatch(/^netevd\.yaml:\d+:\d+: /);
    expect(messages("a: 1\na: 2\n")[0]).toMatch(/^netevd\.yaml:2:1: .*[Uu]nique/);
  });

  it("stops an alias bomb quickly with a clear error", () => {
    const levels = ["a: &a [x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      levels.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(", ")}]`);
    }
    const started = Date.now();
    const m = messages(`${levels.join("\n")}\n`);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(m).toEqual(["netevd.yaml:1:1: YAML aliases expand to more than 100 nodes (an alias bomb?)"]);
  });

  it("refuses huge files, deep nesting and non-UTF-8 bytes", () => {
    expect(messages(Buffer.alloc(MAX_CONFIG_BYTES + 1, 0x20))[0]).toContain("larger than the limit");
    expect(messages(`a: ${"[".repeat(100_000)}`)[0]).toContain("nesting deeper than 64 levels");
    const latin1 = Buffer.concat([
      Buffer.from("system:\n  user: caf"),
      Buffer.from([0xe9]),
      Buffer.from("\n"),
    ]);
    expect(messages(latin1)).toEqual([
      "netevd.yaml:2:12: byte 0xe9 is not valid UTF-8 (allowed: UTF-8 text)",
    ]);
  });

  it("translates the Rust netevd's API keys when a token file makes TCP possible", () => {
    const r = load("api:\n  bind_address: '::1'\n  port: 9000\n  token_file: /etc/netevd/token\n");
    expect(r.config?.api.listen).toBe("[::1]:9000");
    expect(r.diagnostics.map((d) => d.message)).toEqual([
      'became api.listen: "[::1]:9000"',
      'became api.listen: "[::1]:9000"',
    ]);
  });
});

describe("the shipped default configuration", () => {
  it("is valid, warning-free and equal to the built-in defaults, but for the hooks' own user", () => {
    const text = readFileSync(join(__dirname, "..", "..", "packaging", "netevd.yaml"));
    const r = loadConfigBytes("netevd.yaml", text);
    expect(r.diagnostics).toEqual([]);
    const defaults = defaultConfig();
    // Not a default: without the key, hooks run as the daemon's user (upgraded configurations).
    expect(defaults.scripts.user).toBeUndefined();
    expect(r.config).toEqual({ ...defaults, scripts: { ...defaults.scripts, user: "netevd-hook" } });
  });
});
