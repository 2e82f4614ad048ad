// netevd-privileged, asked as the daemon asks it (and as a compromised daemon
// might): it runs only root-owned hooks of directories the configuration
// marks privileged, as transient units, and refuses everything else, each
// refusal with its reason and nothing started. systemd is a fake on a private
// bus here; the package container test runs the real one.
import { chmodSync, chownSync, mkdirSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { askPrivileged } from "../../src/privileged/client";
import { netevd } from "../helpers/cli";
import type { PrivilegedRequest } from "../../src/privileged/request";
import { startExecutor } from "../helpers/privileged";
import { isRoot, rootOnlyDir, tempDir, writeScript } from "../helpers/tmp";

const NOBODY = 65534;

async function setup(scripts: string) {
  const root = rootOnlyDir();
  const config = join(root, "netevd.yaml");
  writeFileSync(config, scripts);
  const { socket, systemd, output } = await startExecutor(root, config);
  const ask = (r: Partial<PrivilegedRequest> & Record<string, unknown>) =>
    askPrivileged(
      socket,
      { directory: root, script: "", args: [], env: { LINK: "eth0" }, link: "eth0", event: "routable", ...r },
      20_000,
    );
  return { root, config, systemd, ask, output };
}

describe.runIf(isRoot)("netevd-privileged", () => {
  it("runs a marked root-owned hook as a transient unit: its exit status, variables, journal name and grants", async () => {
    const s = await setup("");
    const marked = join(s.root, "marked");
    writeFileSync(
      s.config,
      `scripts:
  dir: ${s.root}
  privileged: { scripts: [routable.d/50-nft] }
  timeout: 2s
  directories:
    - path: ${marked}
      style: networkd-dispatcher
      privileged: { capabilities: [CAP_NET_ADMIN], read_write_paths: [/etc/nftables.d] }
system: { backend: systemd-networkd }
`,
    );
    const out = tempDir();
    chmodSync(out, 0o777);
    writeScript(
      join(s.root, "routable.d"),
      "50-nft",
      `id -u > ${out}/uid; env > ${out}/env; echo hello; exit 3`,
    );
    writeScript(join(marked, "routable.d"), "10-hang", "sleep 60");
    const r = await s.ask({ script: "routable.d/50-nft", env: { LINK: "eth0", IFACE: "eth0", json: "{}" } });
    expect(r).toMatchObject({ ok: true, exitCode: 3, signal: null, timedOut: false });
    const unit = s.systemd.started[0]!;
    expect(unit.props).toMatchObject({
      SyslogIdentifier: "50-nft",
      KillMode: "control-group",
      RuntimeMaxUSec: 2_000_000n,
      AddRef: true,
    });
    expect(unit.props.CapabilityBoundingSet).toBeUndefined(); // full root
    expect(unit.output).toEqual(["hello"]);
    const env = unit.props.Environment as string[];
    expect(env).toEqual(
      expect.arrayContaining(["LINK=eth0", "IFACE=eth0", "json={}", "HOME=/root", "USER=root"]),
    );
    expect(env.find((e) => e.startsWith("PATH="))).toMatch(/^PATH=\/usr\/local\/sbin:/);

    // The second directory: only CAP_NET_ADMIN, only /etc/nftables.d writable; a hang is a timeout.
    const hang = await s.ask({ directory: marked, script: "routable.d/10-hang" });
    expect(hang).toMatchObject({ ok: true, timedOut: true, exitCode: null });
    const limited = s.systemd.started[1]!;
    expect(limited.props).toMatchObject({
      CapabilityBoundingSet: 1n << 12n,
      ProtectSystem: "strict",
      ReadWritePaths: ["-/etc/nftables.d"],
    });
  }, 30_000);

  it("refuses, with its reason and without starting anything, whatever the configuration did not mark", async () => {
    const s = await setup("");
    const plain = join(s.root, "plain");
    writeFileSync(
      s.config,
      `scripts:
  dir: ${s.root}
  privileged: { scripts: [routable.d/50-nft, routable.d/60-swapped, routable.d/70-swapped] }
  directories:
    - { path: ${plain}, style: netevd }
`,
    );
    writeScript(join(s.root, "routable.d"), "50-nft", "true");
    writeScript(join(s.root, "routable.d"), "55-not-listed", "true");
    writeScript(join(plain, "routable.d"), "10-plain", "true");
    const refusals: [Record<string, unknown>, RegExp][] = [
      [{ directory: plain, script: "routable.d/10-plain" }, /is not marked privileged/],
      [{ script: "routable.d/55-not-listed" }, /not among the privileged scripts/],
      [{ directory: "/usr/bin", script: "id" }, /is not a script directory/],
      [{ script: "../../usr/bin/id" }, /is not a script name/],
      [{ script: "/usr/bin/id" }, /is not a script name/],
      [{ script: "routable.d/.50-nft" }, /is not a script name/],
      [{ script: "routable.d/50-nft", unit: "ssh.service" }, /unknown request keys: unit/],
      [
        { script: "routable.d/50-nft", env: { LD_PRELOAD: "/tmp/x.so" } },
        /LD_PRELOAD.*is not one a hook is given/,
      ],
      [{ script: "routable.d/50-nft", env: { BASH_ENV: "/tmp/x" } }, /BASH_ENV/],
      [{ script: "routable.d/50-nft", args: ["a", "b", "c", "d", "e"] }, /args must be/],
    ];
    for (const [req, why] of refusals) {
      const r = await s.ask(req);
      expect(r.ok, JSON.stringify(req)).toBe(false);
      expect(r.ok ? "" : r.refused, JSON.stringify(req)).toMatch(why);
    }

    // A symlink swapped in after netevd listed the scripts: to a file the
    // netevd user (here nobody) owns, and to a root file under /tmp (anyone
    // can replace it there).
    writeScript(join(s.root, "routable.d"), "60-swapped", "true");
    writeScript(join(s.root, "routable.d"), "70-swapped", "true");
    const evil = rootOnlyDir();
    writeScript(evil, "owned-by-nobody", "id", 0o755, NOBODY);
    const tmpEvil = writeScript(tempDir(), "in-tmp", "id");
    symlinkSync(join(evil, "owned-by-nobody"), join(s.root, "routable.d", ".60"));
    renameSync(join(s.root, "routable.d", ".60"), join(s.root, "routable.d", "60-swapped"));
    symlinkSync(tmpEvil, join(s.root, "routable.d", ".70"));
    renameSync(join(s.root, "routable.d", ".70"), join(s.root, "routable.d", "70-swapped"));
    const nobodys = await s.ask({ script: "routable.d/60-swapped" });
    expect(nobodys.ok ? "" : nobodys.refused).toMatch(
      /owned-by-nobody: owned by uid 65534, must be owned by root/,
    );
    const inTmp = await s.ask({ script: "routable.d/70-swapped" });
    expect(inTmp.ok ? "" : inTmp.refused).toMatch(
      /directory \/tmp .*must be root's and writable by no one else/,
    );

    // A directory on the way the netevd user could write to.
    chownSync(join(s.root, "routable.d"), NOBODY, 0);
    const dirOwned = await s.ask({ script: "routable.d/50-nft" });
    expect(dirOwned.ok ? "" : dirOwned.refused).toMatch(/routable\.d \(uid 65534.*must be root's/);
    chownSync(join(s.root, "routable.d"), 0, 0);

    // A configuration others may write is not the administrator's word.
    chmodSync(s.config, 0o664);
    const loose = await s.ask({ script: "routable.d/50-nft" });
    expect(loose.ok ? "" : loose.refused).toMatch(/netevd\.yaml: uid 0, mode 0664: must be root's/);
    chmodSync(s.config, 0o644);

    expect(s.systemd.started).toEqual([]);
    const ok = await s.ask({ script: "routable.d/50-nft" });
    expect(ok).toMatchObject({ ok: true, exitCode: 0 });
    expect(s.systemd.started.length).toBe(1);
    expect(s.output()).toMatch(
      /refused .*routable.d\/55-not-listed \(from uid 0 pid \d+\): .*not among the privileged scripts/,
    );
    // The configuration is read at every request: the same bytes are parsed once, an edit counts at once.
    writeFileSync(
      s.config,
      `scripts:\n  dir: ${s.root}\n  privileged: { scripts: [routable.d/60-swapped] }\n`,
    );
    const edited = await s.ask({ script: "routable.d/50-nft" });
    expect(edited.ok ? "" : edited.refused).toMatch(/not among the privileged scripts/);
    expect(s.systemd.started.length).toBe(1);
  }, 60_000);

  it("answers a request of more than 1 MiB with a refusal and keeps serving", async () => {
    const s = await setup("");
    mkdirSync(join(s.root, "routable.d"));
    const r = await s.ask({ script: "x", env: { JSON: "x".repeat(1100 * 1024) } });
    expect(r.ok ? "" : r.refused).toMatch(/longer than 1048576 bytes|closed the connection/);
    const again = await s.ask({ script: "routable.d/none" });
    expect(again.ok ? "" : again.refused).toMatch(/is not a script directory/);
  }, 30_000);

  it("without systemd's socket or --listen, says what to start and exits 1", () => {
    const r = netevd(["privileged-executor"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      "netevd privileged-executor: no socket: start netevd-privileged.socket, or give --listen PATH\n",
    );
  });
});
