// Every command the tree runs is on scripts/commands.list, the list
// scripts/setup installs from; and `npm test` stops at once, naming the Debian
// package, when one of them is missing on this machine.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { CommandRow } from "../../scripts/command-list.mjs" with { "resolution-mode": "import" };
import { scanTree, type Use } from "../helpers/command-scan/tree";
import { tempDir } from "../helpers/tmp";

const ROOT = join(__dirname, "..", "..");
const LIST = join(ROOT, "scripts", "commands.list");
const list = () => import("../../scripts/command-list.mjs");

/** Uses whose command has no row for where it runs: "file:line: command (where)". */
function uncovered(uses: Use[], rows: CommandRow[]): string[] {
  const has = (u: Use) =>
    rows.some(
      (r) =>
        r.command === u.command &&
        (u.world === "system" ? r.where === "system" : ["host", "machine", "optional"].includes(r.where)),
    );
  return [
    ...new Set(uses.filter((u) => !has(u)).map((u) => `${u.file}:${u.line}: ${u.command} (${u.world})`)),
  ];
}

describe("scripts/commands.list", () => {
  const uses = scanTree(ROOT);

  it("lists every command the build, tests, packaging, benchmarks and peer harness run", async () => {
    const { readCommandList } = await list();
    expect(uncovered(uses, readCommandList())).toEqual([]);
  });

  it("finds the commands that once went missing, wherever the tree runs them", () => {
    const at = (command: string) => uses.filter((u) => u.command === command).map((u) => u.file);
    // makepkg through `const [cmd, ...args] = [...asNobody, "makepkg", …]`.
    expect(at("makepkg")).toContain("tools/packaging/aur.ts");
    // dnsmasq inside `ip netns exec NS sh -c "exec dnsmasq …"` built by helpers.
    expect(at("dnsmasq")).toContain("test/helpers/peers.ts");
    expect(at("sysctl")).toContain("test/routing/policy-real.test.ts");
    // A heredoc script written into the container runs there.
    expect(uses).toContainEqual(
      expect.objectContaining({
        command: "systemd-run",
        world: "system",
        file: "test/packaging/container/boot-run.sh",
      }),
    );
    // Functions of the script that run "$@": `check "…" getent passwd netevd`.
    expect(at("getent")).toContain("test/packaging/container/install-test.sh");
  });

  it("fails naming the command when a package's rows are removed", async () => {
    const { readCommandList } = await list();
    const text = readFileSync(LIST, "utf8")
      .split("\n")
      .filter((l) => !/^\S+\s+makepkg\s/.test(l))
      .join("\n");
    expect(uncovered(uses, readCommandList(text))).toEqual(
      expect.arrayContaining([expect.stringMatching(/^tools\/packaging\/aur\.ts:\d+: makepkg \(host\)$/)]),
    );
  });

  it("names real packages, each installed here", async () => {
    const { readCommandList } = await list();
    const pkgs = [
      ...new Set(
        readCommandList()
          .filter((r) => r.where === "host")
          .map((r) => r.package),
      ),
    ];
    const r = spawnSync("dpkg-query", ["-W", "-f=${Package} ${Status}\n", ...pkgs], { encoding: "utf8" });
    const installed = r.stdout
      .split("\n")
      .filter((l) => l.endsWith("install ok installed"))
      .map((l) => l.split(" ")[0]);
    expect(pkgs.filter((p) => !installed.includes(p))).toEqual([]);
  });

  it("npm test stops first, naming the package, when a listed command is missing", () => {
    // A PATH with every listed command but makepkg.
    const bin = join(tempDir("netevd-path-"), "bin");
    mkdirSync(bin);
    const which = (c: string) =>
      spawnSync("sh", ["-c", `command -v ${c}`], { encoding: "utf8" }).stdout.trim();
    for (const line of readFileSync(LIST, "utf8").split("\n")) {
      const command = /^(\S+)\s+\S+\s+(host|machine)\b/.exec(line)?.[1];
      // Programs listed by an absolute path do not depend on PATH.
      if (!command || command === "makepkg" || command.startsWith("/")) continue;
      const path = which(command);
      if (path) symlinkSync(path, join(bin, command));
    }
    const r = spawnSync(process.execPath, [join(ROOT, "scripts", "check-tools.mjs")], {
      encoding: "utf8",
      env: { PATH: bin },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("makepkg: apt-get install makepkg");
    expect(r.stderr.match(/^ {2}\S+:/gm)).toEqual(["  makepkg:"]);
  });
});
