// The packages, built by `npm run package` (npm test builds them first):
// definitions validated, contents inspected, linters clean, and the .deb, .rpm
// and Arch package installed for real in a booted systemd container.
import { execFileSync, spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { basename, join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { printSrcinfo } from "../../tools/packaging/aur";
import { buildDeb } from "../../tools/packaging/deb";
import { isConfig, loadNfpm, resolveFor, validateNfpm } from "../../tools/packaging/nfpm-config";
import { buildRpm } from "../../tools/packaging/rpm";
import { renderConfigManPage } from "../../src/config/man-page";
import { shipJournal } from "../helpers/journal-remote";
import { isRoot, tempDir } from "../helpers/tmp";

const root = join(__dirname, "..", "..");
const dist = join(root, "dist");
const version = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }).version;
const deb = join(dist, `netevd_${version}-1_amd64.deb`);
const rpm = join(dist, `netevd-${version}-1.x86_64.rpm`);
const run = (cmd: string, args: string[], opts: { cwd?: string } = {}) =>
  spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 << 20, ...opts });

describe("package definitions", () => {
  it("nfpm.yaml matches nfpm's own schema, and the check catches a broken file", () => {
    const data = parse(readFileSync(join(root, "packaging", "nfpm.yaml"), "utf8"), {
      version: "1.1",
    }) as Record<string, unknown>;
    expect(validateNfpm(data)).toEqual([]);
    expect(validateNfpm({ ...data, contents: [{ dst: "/x", type: "bogus" }] })).not.toEqual([]);
    expect(loadNfpm().version).toBe(version);
  });

  it("resolves per-format contents the way nfpm does", () => {
    const c = loadNfpm();
    const debPaths = resolveFor(c, "deb").contents.map((x) => x.dst);
    const rpmPaths = resolveFor(c, "rpm").contents.map((x) => x.dst);
    expect(debPaths).toContain("/usr/share/zsh/vendor-completions/_netevd");
    expect(debPaths).not.toContain("/usr/share/zsh/site-functions/_netevd");
    expect(rpmPaths).toContain("/usr/share/zsh/site-functions/_netevd");
    // Prometheus rules ship in every kind.
    for (const kind of ["deb", "rpm", "archlinux"] as const)
      expect(resolveFor(c, kind).contents.map((x) => x.dst)).toContain(
        "/usr/share/netevd/prometheus/netevd-rules.yml",
      );
    expect(resolveFor(c, "deb").scripts.postinstall).toBe("packaging/deb/postinst");
    expect(resolveFor(c, "rpm").depends).toContain("systemd");
  });

  it("the units are clean for systemd-analyze verify; netevd.service scores at most 1.5, the root executor 2.0, the hook runner 2.0", () => {
    const unit = join(root, "systemd", "netevd.service");
    const executor = join(root, "systemd", "netevd-privileged.service");
    const socket = join(root, "systemd", "netevd-privileged.socket");
    // The hook runner's templates, as the instance the shipped configuration uses.
    const instances = tempDir();
    const hooks = join(instances, "netevd-hooks@netevd-hook.service");
    copyFileSync(join(root, "systemd", "netevd-hooks@.service"), hooks);
    copyFileSync(
      join(root, "systemd", "netevd-hooks@.socket"),
      join(instances, "netevd-hooks@netevd-hook.socket"),
    );
    const verify = run("systemd-analyze", [
      "verify",
      "--man=no",
      unit,
      executor,
      socket,
      hooks,
      join(instances, "netevd-hooks@netevd-hook.socket"),
    ]);
    // The binary is not installed on the build machine; anything else is a finding.
    expect(verify.stderr.split("\n").filter((l) => l && !l.includes("is not executable"))).toEqual([]);
    const score = /Overall exposure level for netevd.service: ([\d.]+)/.exec(
      run("systemd-analyze", ["security", "--offline=true", unit]).stdout,
    );
    expect(Number(score?.[1])).toBeLessThanOrEqual(1.5);
    const rootScore = /Overall exposure level for netevd-privileged.service: ([\d.]+)/.exec(
      run("systemd-analyze", ["security", "--offline=true", executor]).stdout,
    );
    expect(Number(rootScore?.[1])).toBeLessThanOrEqual(2.0);
    const hooksScore = /Overall exposure level for netevd-hooks@netevd-hook.service: ([\d.]+)/.exec(
      run("systemd-analyze", ["security", "--offline=true", hooks]).stdout,
    );
    expect(Number(hooksScore?.[1])).toBeLessThanOrEqual(2.0);
  });

  it("man pages are lint-clean and netevd.yaml(5) is generated from the current schema", () => {
    const pages = readdirSync(join(root, "man")).filter((f) => /\.\d$/.test(f));
    expect(pages).toContain("netevd-scripts.7");
    const nfpm = readFileSync(join(root, "packaging", "nfpm.yaml"), "utf8");
    for (const page of pages) {
      const r = run("mandoc", ["-Tlint", "-W", "warning", join(root, "man", page)]);
      expect(r.stdout + r.stderr, page).toBe("");
      expect(nfpm, `${page} is packaged`).toContain(`/man${page.slice(-1)}/${page}.gz`);
    }
    const template = readFileSync(join(root, "man", "netevd.yaml.5.in"), "utf8");
    expect(readFileSync(join(root, "man", "netevd.yaml.5"), "utf8")).toBe(renderConfigManPage(template));
  });

  it(".SRCINFO is what makepkg prints for the PKGBUILD (run makepkg --printsrcinfo > .SRCINFO when this fails)", () => {
    expect(readFileSync(join(root, "packaging", "aur", ".SRCINFO"), "utf8")).toBe(
      printSrcinfo(join(root, "packaging", "aur")),
    );
  });
});

describe("built packages", () => {
  it("dist/netevd runs without Node.js or node_modules, and as netevd-migrate", () => {
    const dir = tempDir();
    copyFileSync(join(dist, "netevd"), join(dir, "netevd"));
    chmodSync(join(dir, "netevd"), 0o755);
    execFileSync("ln", ["-s", "netevd", join(dir, "netevd-migrate")]);
    const env = { PATH: "/usr/bin:/bin" };
    expect(
      run(
        "env",
        ["-i", ...Object.entries(env).map(([k, v]) => `${k}=${v}`), join(dir, "netevd"), "--version"],
        { cwd: dir },
      ).stdout.trim(),
    ).toBe(version);
    // As netevd-migrate (with its TOML, INI and YAML readers inside the executable).
    for (const fixture of ["shipped", "ini-variant", "yaml-fork"]) {
      const m = run(
        "env",
        [
          "-i",
          "PATH=/usr/bin:/bin",
          join(dir, "netevd-migrate"),
          "--root",
          join(__dirname, "..", "fixtures", "migrate", fixture),
          "--format",
          "json",
        ],
        { cwd: dir },
      );
      expect(m.status, m.stderr).toBe(0);
      expect((JSON.parse(m.stdout) as { result: string }).result).toBe("would-migrate");
    }
    // The bundled script says what the compiled tree says (zod's messages
    // included), and V8 takes its code cache under the unit's Node flags too
    // (a rejected cache prints a warning).
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, "system:\n  backend: foo\nscripts:\n  timeout: x\n  privileged: 3\n");
    const tree = run(process.execPath, [join(dist, "src", "cli", "main.js"), "validate", "--config", bad]);
    expect(tree.status).toBe(78);
    const unit = readFileSync(join(root, "systemd", "netevd.service"), "utf8");
    const flags = /^Environment="NODE_OPTIONS=([^"]*)"$/m.exec(unit)?.[1];
    expect(flags).toContain("--jitless");
    for (const nodeOptions of ["", flags]) {
      const exe = run("env", [
        "-i",
        "PATH=/usr/bin:/bin",
        `NODE_OPTIONS=${nodeOptions}`,
        join(dir, "netevd"),
        "validate",
        "--config",
        bad,
      ]);
      expect(exe.status).toBe(78);
      expect(exe.stdout).toBe(tree.stdout);
      expect(exe.stderr).toBe(tree.stderr);
    }
  });

  it("dist/repo: apt, rpm and pacman repositories, each index signed by the one project key", () => {
    const repo = join(dist, "repo");
    const keyring = join(repo, "apt", "netevd-archive-keyring.gpg");
    const gpgv = (...files: string[]) => run("gpgv", ["--keyring", keyring, ...files]).status;
    const suite = join(repo, "apt", "dists", "bookworm");
    expect(gpgv(join(suite, "InRelease"))).toBe(0);
    expect(gpgv(join(suite, "Release.gpg"), join(suite, "Release"))).toBe(0);
    const packages = readFileSync(join(suite, "main", "binary-amd64", "Packages"), "utf8");
    expect(packages).toContain(`Filename: pool/main/${basename(deb)}`);
    expect(readFileSync(join(suite, "Release"), "utf8")).toMatch(/^Codename: bookworm$/m);
    // A Release changed after signing no longer verifies.
    const changed = join(tempDir(), "Release");
    writeFileSync(
      changed,
      readFileSync(join(suite, "Release"), "utf8").replace("Label: netevd", "Label: other"),
    );
    expect(gpgv(join(suite, "Release.gpg"), changed)).not.toBe(0);

    const rpmRepo = join(repo, "rpm");
    const repomd = join(rpmRepo, "repodata", "repomd.xml");
    expect(gpgv(`${repomd}.asc`, repomd)).toBe(0);
    const db = tempDir();
    expect(run("rpm", ["--dbpath", db, "--import", join(rpmRepo, "RPM-GPG-KEY-netevd")]).status).toBe(0);
    expect(run("rpm", ["--dbpath", db, "-K", join(rpmRepo, basename(rpm))]).stdout).toContain(
      "digests signatures OK",
    );
    expect(readFileSync(join(rpmRepo, "netevd.repo"), "utf8")).toMatch(/^gpgcheck=1$/m);

    const arch = join(repo, "arch", "x86_64");
    const pkg = readdirSync(arch).find((f) => /^netevd-.*\.pkg\.tar\.[a-z]+$/.test(f)) as string;
    expect(gpgv(join(arch, `${pkg}.sig`), join(arch, pkg))).toBe(0);
    expect(gpgv(join(arch, "netevd.db.tar.gz.sig"), join(arch, "netevd.db.tar.gz"))).toBe(0);
    // What pacman downloads is a file, not repo-add's symlink (static hosting may drop those).
    expect(lstatSync(join(arch, "netevd.db")).isFile()).toBe(true);
    expect(gpgv(join(arch, "netevd.db.sig"), join(arch, "netevd.db"))).toBe(0);
    expect(run("bsdtar", ["-tf", join(arch, "netevd.db.tar.gz")]).stdout).toContain(
      `netevd-${version}-1/desc`,
    );
  });

  // lintian and rpmlint take tens of seconds, more on a loaded machine.
  it(
    "the .deb holds exactly the nfpm file list, with modes, conffiles and scripts; lintian is clean",
    { timeout: 180_000 },
    () => {
      const listing = run("dpkg-deb", ["-c", deb]).stdout;
      const expected = resolveFor(loadNfpm(), "deb").contents;
      for (const c of expected) {
        const line = listing
          .split("\n")
          .find((l) => l.endsWith(` .${c.dst}`) || l.includes(` .${c.dst} -> `) || l.endsWith(` .${c.dst}/`));
        expect(line, c.dst).toBeDefined();
        if (c.type === "symlink") expect(line?.startsWith("l")).toBe(true);
        else if (c.file_info?.mode) {
          const perms = (line as string).slice(1, 10);
          const octal = [0, 3, 6]
            .map((i) => ["r", "w", "x"].reduce((n, ch, j) => n + (perms[i + j] === ch ? 4 >> j : 0), 0))
            .join("");
          expect(octal, c.dst).toBe(c.file_info.mode.toString(8).slice(-3));
        }
      }
      const conffiles = run("dpkg-deb", ["-f", deb, "Package"]).stdout.trim();
      expect(conffiles).toBe("netevd");
      const control = execFileSync("sh", ["-c", `dpkg-deb --ctrl-tarfile ${deb} | tar -xO ./conffiles`], {
        encoding: "utf8",
      });
      expect(control.trim().split("\n").sort()).toEqual(
        expected
          .filter(isConfig)
          .map((c) => c.dst)
          .sort(),
      );
      const lint = run("lintian", ["--fail-on", "error,warning", "--tag-display-limit", "0", deb]);
      expect(lint.stdout.split("\n").filter((l) => /^[EW]: /.test(l))).toEqual([]);
      expect(lint.status).toBe(0);
    },
  );

  it(
    "the .rpm holds exactly the nfpm file list, configs noreplace, explicit scriptlets; rpmlint is clean",
    { timeout: 180_000 },
    () => {
      const files = run("rpm", ["-qpl", rpm]).stdout.trim().split("\n").sort();
      expect(files).toEqual(
        resolveFor(loadNfpm(), "rpm")
          .contents.map((c) => c.dst)
          .sort(),
      );
      expect(run("rpm", ["-qpc", rpm]).stdout.trim().split("\n").sort()).toEqual([
        "/etc/iproute2/rt_protos.d/netevd.conf",
        "/etc/netevd/netevd.yaml",
      ]);
      const scripts = run("rpm", ["-qp", "--scripts", rpm]).stdout;
      for (const s of ["preinstall", "postinstall", "preuninstall", "postuninstall"])
        expect(scripts).toContain(`${s} scriptlet`);
      expect(scripts).toContain("systemctl --no-reload preset netevd.service");
      const lint = run("rpmlint", ["--config", join(root, "packaging", "rpm", "rpmlint.toml"), rpm]);
      expect(lint.stdout).toMatch(/0 errors, 0 warnings/);
    },
  );
});

// Real installs in a booted systemd container (systemd-nspawn), as root.
const canBoot =
  isRoot && run("sh", ["-c", "command -v systemd-nspawn && command -v debootstrap"]).status === 0;
const rootfs = process.env.NETEVD_ROOTFS ?? "/var/cache/netevd-test/rootfs";
const container = join(__dirname, "container");

const REPO_DIR = { deb: "apt", rpm: "rpm", pacman: "arch" } as const;

/** Boots the container on the format's signed repository (dist/repo/), and an upgrade package if given. */
function bootTest(format: "deb" | "rpm" | "pacman", newPkg?: string): { log: string; out: string } {
  const input = tempDir();
  chmodSync(input, 0o755);
  cpSync(join(dist, "repo", REPO_DIR[format]), join(input, "repo", REPO_DIR[format]), { recursive: true });
  if (newPkg) {
    mkdirSync(join(input, "pkg", "new"), { recursive: true });
    copyFileSync(newPkg, join(input, "pkg", "new", basename(newPkg)));
  }
  writeFileSync(join(input, "format"), format);
  return boot("install-test.sh", input, 240, `${format} container test`);
}

/** Boots the container with `input` at /in, runs `script` in it; its log, checked for exit 0, and its results (boot-run.sh's OUTDIR). */
function boot(script: string, input: string, seconds: number, label: string): { log: string; out: string } {
  const out = join(tempDir(), "out");
  const r = run(join(container, "boot-run.sh"), [
    "-r",
    rootfs,
    "-o",
    out,
    "-t",
    String(seconds),
    "-i",
    input,
    join(container, script),
  ]);
  const log = existsSync(join(out, "test.log"))
    ? readFileSync(join(out, "test.log"), "utf8")
    : r.stdout + r.stderr;
  // The container test prints every check; show them in the test output.
  console.log(`--- ${label} ---\n${log}`);
  expect(r.status, log).toBe(0);
  return { log, out };
}

/** A newer version built from the same nfpm file: the upgrade path. */
function upgradePackage(format: "deb" | "rpm"): string {
  const config = { ...loadNfpm(), version: "0.1.1" };
  const out = join(dist, "test-upgrade");
  return format === "deb"
    ? buildDeb(resolveFor(config, "deb"), out)
    : buildRpm(resolveFor(config, "rpm"), out);
}

describe.runIf(canBoot)("install in a booted systemd container", () => {
  it("builds (or reuses) the container image", () => {
    const r = run(join(container, "build-rootfs.sh"), [rootfs]);
    expect(r.status, r.stderr).toBe(0);
  }, 600_000);

  it(".deb: apt installs from the signed repository (and refuses a tampered one), enable --now, script as netevd with CapEff 0, upgrade keeps the edit and restarts, dpkg -r/-P; its journal shipped to systemd-journal-remote", async () => {
    const { log, out } = bootTest("deb", upgradePackage("deb"));
    expect(log).toContain("FAILURES: 0");
    // The container's journal shipped to a central systemd-journal-remote: netevd's fields find the failed hook there.
    const central = await shipJournal(join(out, "journal"));
    const found = run("journalctl", [
      "-D",
      central,
      "--no-pager",
      "-o",
      "cat",
      "NETEVD_SCRIPT=60-fails",
      "NETEVD_EXIT_STATUS=3",
    ]);
    expect(found.stdout + found.stderr).toContain("exited with status 3");
  }, 300_000);

  it(".rpm: rpm -K and dnf repoquery on the signed repository, rpm -i --nodeps, enable --now, upgrade, rpm -e", () => {
    const { log } = bootTest("rpm", upgradePackage("rpm"));
    expect(log).toContain("FAILURES: 0");
  }, 300_000);

  it("Arch: the package makepkg built from the PKGBUILD, from the signed pacman repository; enable --now, pacman -R", () => {
    const pkg = join(
      dist,
      "arch",
      readdirSync(join(dist, "arch")).find((f) => /^netevd-.*\.pkg\.tar\./.test(f)) as string,
    );
    const list = run("pacman", ["-Qlp", pkg]).stdout;
    expect(list).toContain("netevd /usr/bin/netevd");
    expect(list).toContain("netevd /usr/share/zsh/site-functions/_netevd");
    // The edited configuration survives upgrades: pacman's backup list, in the package's .PKGINFO.
    expect(run("bsdtar", ["-xOf", pkg, ".PKGINFO"]).stdout).toContain("backup = etc/netevd/netevd.yaml");
    const { log } = bootTest("pacman");
    expect(log).toContain("FAILURES: 0");
  }, 300_000);
});

/**
 * Hosts as users run them, each booted afresh: the manager is set up first,
 * then the .deb is installed with its netevd.yaml untouched (backend: auto),
 * and a link change must run routable.d with BACKEND naming that manager.
 */
function bootHost(host: string): string {
  const input = tempDir();
  chmodSync(input, 0o755);
  const deb = readdirSync(dist).find((f) => /^netevd_.*_amd64\.deb$/.test(f)) as string;
  copyFileSync(join(dist, deb), join(input, "netevd.deb"));
  writeFileSync(join(input, "case"), host);
  return boot("backend-hosts.sh", input, 150, `backend host: ${host}`).log;
}

describe.runIf(canBoot)("the shipped configuration on each kind of host (backend: auto)", () => {
  it.each([
    ["networkmanager", "NetworkManager manages a veth", "NetworkManager"],
    ["networkd", "systemd-networkd manages a veth", "systemd-networkd"],
    ["ifupdown", "ifupdown + dhclient with a dnsmasq lease", "dhclient"],
    ["none", "no network manager", "none"],
    ["nm-later", "NetworkManager started after netevd: followed without a restart", "NetworkManager"],
  ])(
    "%s: %s; routable.d runs with BACKEND=%s",
    (host, _what, backend) => {
      const log = bootHost(host);
      expect(log).toContain(`PASS: routable.d had BACKEND=${backend}`);
      expect(log).toContain("FAILURES: 0");
    },
    240_000,
  );
});
