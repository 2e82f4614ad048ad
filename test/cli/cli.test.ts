// The CLI as a user meets it: exit codes, help, formats, completions, `test`.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ALL_EVENTS } from "../../src/events/names";
import { VERSION } from "../../src/version";
import { netevd } from "../helpers/cli";
import { isRoot, tempDir, writeScript } from "../helpers/tmp";

function configIn(dir: string, extra = ""): string {
  const file = join(dir, "netevd.yaml");
  writeFileSync(file, `scripts:\n  dir: ${dir}\napi:\n  socket: ${dir}/api.sock\n${extra}`);
  return file;
}

/** `netevd test routable --link lo` with CONFIG, in FORMAT; --dry-run unless `run`. */
const testRoutable = (config: string, format = "json", run = false) =>
  netevd([
    "test",
    "routable",
    "--link",
    "lo",
    ...(run ? [] : ["--dry-run"]),
    "--config",
    config,
    "--format",
    format,
  ]);

describe("netevd CLI", () => {
  it("prints help on every level and the version, exit 0", () => {
    for (const args of [
      ["--help"],
      ["list", "--help"],
      ["show", "link", "--help"],
      ["test", "--help"],
      ["help", "validate"],
    ]) {
      const r = netevd(args);
      expect(r.status, args.join(" ")).toBe(0);
      expect(r.stdout).toContain("Usage: netevd");
    }
    expect(netevd(["--version"]).stdout.trim()).toBe(VERSION);
  });

  it("exits 2 on usage errors", () => {
    expect(netevd(["frobnicate"]).status).toBe(2);
    expect(netevd(["test", "routable"]).status).toBe(2); // --link missing
    expect(netevd(["test", "nosuchevent", "--link", "lo"]).status).toBe(2);
    expect(netevd(["validate", "--format", "xml"]).status).toBe(2);
    expect(netevd(["completion", "tcsh"]).status).toBe(2);
  });

  it("says plainly that the daemon is not reachable, exit 69", () => {
    const dir = tempDir();
    const config = configIn(dir);
    for (const args of [
      ["status"],
      ["list", "links"],
      ["list", "routes"],
      ["list", "rules"],
      ["show", "link", "lo"],
      ["events", "--follow"],
      ["reload"],
    ]) {
      const r = netevd([...args, "--config", config]);
      expect(r.status, args.join(" ")).toBe(69);
      expect(r.stderr).toContain(`the daemon is not reachable at ${dir}/api.sock (ENOENT)`);
    }
  });

  it("exits 78 before doing anything when the configuration is invalid", () => {
    const dir = tempDir();
    const config = configIn(dir, "system:\n  backend: bogus\n");
    for (const args of [["status"], ["run"], ["test", "routable", "--link", "lo"], ["list", "scripts"]]) {
      const r = netevd([...args, "--config", config]);
      expect(r.status, args.join(" ")).toBe(78);
      expect(r.stderr).toContain(`${config}:6:12: system.backend:`);
    }
  });

  it("`test` under the dhclient backend gives the link's current lease, as the daemon does", () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, "dhclient.lo.leases"),
      'lease {\n  interface "lo";\n  fixed-address 127.0.0.1;\n  option domain-name-servers 192.0.2.53;\n  option domain-name "lab.example";\n  expire never;\n}\n',
    );
    const config = configIn(
      dir,
      `system: { backend: dhclient }\nbackends: { dhclient: { lease_files: ["${dir}/dhclient.*.leases"] } }\n`,
    );
    const r = testRoutable(config, "json");
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).environment).toMatchObject({
      BACKEND: "dhclient",
      DHCP_ADDRESS: "127.0.0.1",
      DHCP_DNS: "192.0.2.53",
      DHCP_DOMAIN: "lab.example",
      DNS: "192.0.2.53",
      DOMAINS: "lab.example",
    });
  });

  it.runIf(isRoot)("`test --dry-run` lists the scripts of every style's directory with what they get", () => {
    const dir = tempDir();
    const nd = tempDir();
    const rust = tempDir();
    const config = join(dir, "netevd.yaml");
    writeFileSync(
      config,
      `system: { backend: systemd-networkd }\nscripts:\n  dir: ${dir}\n  directories:\n    - { path: ${nd}, style: networkd-dispatcher }\n    - { path: ${rust}, style: netevd-rust }\napi:\n  socket: ${dir}/api.sock\n`,
    );
    writeScript(join(nd, "routable.d"), "50-hook", "true");
    writeScript(join(rust, "routable.d"), "50-rust", "true");
    const plan = JSON.parse(testRoutable(config, "json").stdout) as {
      styles: { style: string; scripts: string[]; environment: Record<string, string> }[];
    };
    expect(plan.styles.map((s) => [s.style, s.scripts])).toEqual([
      ["networkd-dispatcher", [`${nd}/routable.d/50-hook`]],
      ["netevd-rust", [`${rust}/routable.d/50-rust`]],
    ]);
    expect(plan.styles[0]!.environment).toMatchObject({ IFACE: "lo", STATE: "routable", LINK: "lo" });
    expect(JSON.parse(plan.styles[1]!.environment.JSON!)).toMatchObject({ ifname: "lo", ifindex: 1 });
    const table = testRoutable(config, "table").stdout;
    expect(table).toContain(
      `Scripts in ${nd}/routable.d (style networkd-dispatcher), in order:\n  ${nd}/routable.d/50-hook\n`,
    );
    expect(table).toContain("  IFACE=lo\n");
  });

  it.runIf(isRoot)("`test --dry-run` lists the scripts and the exact environment; `test` runs them", () => {
    const dir = tempDir();
    const config = configIn(dir, "system: { backend: systemd-networkd }\n");
    const out = join(dir, "ran");
    writeScript(join(dir, "routable.d"), "10-record", `echo "$LINK $LINKINDEX $STATE $BACKEND" > ${out}`);
    writeScript(join(dir, "routable.d"), "20-unsafe", "true", 0o777);
    const dry = testRoutable(config, "json");
    expect(dry.status).toBe(0);
    const plan = JSON.parse(dry.stdout);
    expect(plan.scripts).toEqual([`${dir}/routable.d/10-record`]);
    expect(plan.skipped).toEqual([
      {
        path: `${dir}/routable.d/20-unsafe`,
        rule: "group-or-other-writable",
        detail: "mode 0777 is writable by group or others",
      },
    ]);
    expect(plan.environment).toMatchObject({
      LINK: "lo",
      LINKINDEX: "1",
      STATE: "routable",
      EVENT: "routable",
      BACKEND: "systemd-networkd",
    });
    expect(plan.json.schema).toBe("netevd.event.v1");
    expect(plan.json.link.name).toBe("lo");
    const table = testRoutable(config, "table");
    expect(table.stdout).toContain(
      `Scripts in ${dir}/routable.d, in order:\n  ${dir}/routable.d/10-record\n`,
    );
    expect(table.stdout).toContain("  LINK=lo\n");

    const run = testRoutable(config, "json", true);
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout).results).toMatchObject([
      { script: `${dir}/routable.d/10-record`, exit_code: 0 },
    ]);
    expect(spawnSync("cat", [out], { encoding: "utf8" }).stdout).toBe("lo 1 routable systemd-networkd\n");
    expect(netevd(["test", "routable", "--link", "nosuchlink0", "--config", config]).status).toBe(1);
  });

  it.runIf(isRoot)("`test` knows the lease and NetworkManager events of each backend", () => {
    const dir = tempDir();
    const plan = (backend: string, event: string) =>
      netevd([
        "test",
        event,
        "--link",
        "lo",
        "--dry-run",
        "--format",
        "json",
        "--config",
        configIn(dir, `system: { backend: ${backend} }\n`),
      ]);
    // lo has no lease networkd wrote: the event as it would run now is the lease's loss.
    const lease = JSON.parse(plan("systemd-networkd", "dhcp4-change").stdout);
    expect(lease).toMatchObject({ event: "dhcp4-change", directory: `${dir}/dhcp4-change.d` });
    expect(lease.environment).toMatchObject({ EVENT: "dhcp4-change", DHCP_CHANGE: "lost" });
    expect(lease.json).toMatchObject({ dhcp: null, dhcp_change: "lost" });
    for (const event of ["dhcp6-change", "dns-change", "device-add", "device-delete", "vpn-up", "vpn-down"])
      expect(plan("auto", event).status, event).toBe(0);
  });

  it.runIf(isRoot)("`test` applies the filters: execute with script names or absolute paths, ignore", () => {
    const dir = tempDir();
    for (const n of ["10-a", "20-b", "30-c"]) writeScript(join(dir, "routable.d"), n, "true");
    const plan = (filters: string) =>
      JSON.parse(
        netevd([
          "test",
          "routable",
          "--link",
          "lo",
          "--dry-run",
          "--config",
          configIn(dir, `filters:\n${filters}`),
          "--format",
          "json",
        ]).stdout,
      ) as { scripts: string[]; filter: string | null };
    // As the Rust netevd's documentation wrote them: a name and an absolute path.
    const execute = plan(
      `  - match_rule: { interface: lo }\n    action: execute\n    scripts: [10-a, "${dir}/routable.d/30-c"]\n`,
    );
    expect(execute).toMatchObject({
      filter: null,
      scripts: [`${dir}/routable.d/10-a`, `${dir}/routable.d/30-c`],
    });
    const ignore = plan("  - match_rule: { event_type: routable }\n    action: ignore\n");
    expect(ignore).toEqual(expect.objectContaining({ filter: "ignored by filters[0]", scripts: [] }));
    const run = netevd([
      "test",
      "routable",
      "--link",
      "lo",
      "--config",
      configIn(dir, "filters:\n  - match_rule: { event_type: routable }\n    action: ignore\n"),
      "--format",
      "table",
    ]);
    expect(run.stdout).toBe("no scripts run: the event is ignored by filters[0]\n");
  });

  it.runIf(isRoot)("`list scripts` shows what will run and why the rest will not, without a daemon", () => {
    const dir = tempDir();
    const config = configIn(dir);
    writeScript(join(dir, "carrier.d"), "10-ok", "true");
    writeScript(join(dir, "carrier.d"), "20-noexec", "true", 0o644);
    writeScript(join(dir, "bogus.d"), "x", "true");
    const r = netevd(["list", "scripts", "--config", config, "--format", "json"]);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([
      { event: "carrier", script: `${dir}/carrier.d/10-ok`, status: "run", detail: "" },
      {
        event: "carrier",
        script: `${dir}/carrier.d/20-noexec`,
        status: "skip",
        detail: "not-executable: mode 0644 is not executable by its owner",
      },
      { event: "bogus.d", script: `${dir}/bogus.d`, status: "skip", detail: "no event has this name" },
    ]);
  });

  it("generates bash completions that complete subcommands, events and option values", () => {
    const script = netevd(["completion", "bash"]).stdout;
    const complete = (line: string) => {
      const words = line.split(" ");
      const r = spawnSync(
        "bash",
        [
          "-c",
          `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}; _netevd; printf '%s\\n' "\${COMPREPLY[@]}"`,
        ],
        { encoding: "utf8" },
      );
      expect(r.stderr).toBe("");
      return r.stdout.trim().split("\n");
    };
    expect(complete("netevd l")).toEqual(["list"]);
    expect(complete("netevd list ")).toEqual(expect.arrayContaining(["links", "routes", "rules", "scripts"]));
    expect(complete("netevd test ro")).toEqual(["routable", "routes"]);
    expect(complete("netevd --format ")).toEqual(["table", "json", "yaml"]);
    expect(complete("netevd test routable --li")).toEqual(["--link"]);
    expect(ALL_EVENTS.every((e) => complete("netevd test ").includes(e))).toBe(true);
  });

  it("generates zsh and fish completions that their shells accept", () => {
    for (const shell of ["zsh", "fish"] as const) {
      const text = netevd(["completion", shell]).stdout;
      expect(text).toContain("netevd");
      const have = spawnSync("sh", ["-c", `command -v ${shell}`]).status === 0;
      if (have) {
        const dir = tempDir();
        const file = join(dir, `c.${shell}`);
        writeFileSync(file, text);
        expect(spawnSync(shell, ["-n", file], { encoding: "utf8" }).status, `${shell} -n`).toBe(0);
      }
    }
    expect(netevd(["completion", "fish"]).stdout).toContain(
      "complete -c netevd -n '__fish_seen_subcommand_from list; and not __fish_seen_subcommand_from scripts links namespaces routes rules runs' -a 'links'",
    );
  });
});
