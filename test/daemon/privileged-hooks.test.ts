// The daemon, unprivileged, with a hook marked privileged beside an ordinary
// one: the marked hook runs through netevd-privileged as root (systemd is a
// fake on a private bus here: the package container test runs the real one),
// the other as the daemon's user with no capabilities, both in the link's
// order, both in the audit log with their exit status.
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startDaemon } from "../helpers/daemon";
import { canNetns, createNetns, ip, veth } from "../helpers/netns";
import { httpGet } from "../helpers/http";
import { waitFor, waitForAsync } from "../helpers/proc";
import { startExecutor } from "../helpers/privileged";
import { rootOnlyDir, tempDir, writeScript } from "../helpers/tmp";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

describe.runIf(canNetns)("privileged hooks", () => {
  it("runs the marked hook as root outside the daemon, the one beside it with CapEff 0, in order", async () => {
    const dir = rootOnlyDir();
    const out = tempDir();
    chmodSync(out, 0o777);
    const record = (tag: string) =>
      `echo "${tag} $(id -u) $(grep CapEff /proc/self/status | cut -f2) $LINK" >> ${out}/runs`;
    writeScript(join(dir, "routable.d"), "10-plain", record("plain"));
    writeScript(join(dir, "routable.d"), "20-root", `${record("root")}; exit 4`);
    writeScript(join(dir, "routable.d"), "30-plain", record("after"));
    const audit = join(out, "audit.jsonl");
    const config = join(dir, "netevd.yaml");
    writeFileSync(
      config,
      `system: { backend: none, user: nobody }
monitoring: { exclude: [pv1] }
scripts: { dir: ${dir}, privileged: { scripts: [routable.d/20-root] } }
audit: { enabled: true, path: ${audit} }
`,
    );
    const { socket, systemd } = await startExecutor(dir, config);
    chmodSync(socket, 0o666); // as SocketGroup=netevd, SocketMode=0660 let the daemon's user in
    const ns = createNetns();
    const d = startDaemon(ns, config, { NETEVD_PRIVILEGED_SOCKET: socket });
    cleanups.push(() => d.child.kill("SIGKILL"));
    expect(await waitFor(() => d.output().includes("ready: ")), d.output()).toBe(true);
    veth(ns, "pv0", "pv1");
    ip(ns, "addr", "add", "192.0.2.9/24", "dev", "pv0");
    ip(ns, "route", "add", "default", "via", "192.0.2.1");
    const runs = () => (existsSync(join(out, "runs")) ? readFileSync(join(out, "runs"), "utf8") : "");
    expect(await waitFor(() => runs().split("\n").length > 3), d.output()).toBe(true);
    const [plain, root, after] = runs().split("\n");
    // nobody is 65534; the fake systemd runs the unit as root with the test's capabilities.
    expect(plain).toBe("plain 65534 0000000000000000 pv0");
    expect(root).toMatch(/^root 0 [0-9a-f]{16} pv0$/);
    expect(root).not.toContain(" 0000000000000000 ");
    expect(after).toBe("after 65534 0000000000000000 pv0");
    expect(systemd.started[0]?.props.SyslogIdentifier).toBe("20-root");
    // The daemon reports it as any script: exit status 4 in its log and the audit log.
    expect(await waitFor(() => existsSync(audit) && readFileSync(audit, "utf8").includes("20-root"))).toBe(
      true,
    );
    const entry = readFileSync(audit, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((e) => JSON.stringify(e).includes("20-root"));
    expect(JSON.stringify(entry)).toMatch(/"exit_code":4/);
    expect(d.output()).toMatch(/20-root exited with status 4/);
  }, 60_000);

  it("a run the executor cannot be asked for counts as a refusal in the metrics, and the hook as failing", async () => {
    const dir = rootOnlyDir();
    writeScript(join(dir, "routable.d"), "20-root", "exit 0");
    const run = tempDir();
    chmodSync(run, 0o777);
    const api = join(run, "api.sock");
    const config = join(dir, "netevd.yaml");
    writeFileSync(
      config,
      `system: { backend: none, user: nobody }
monitoring: { exclude: [pr1] }
scripts: { dir: ${dir}, privileged: { scripts: [routable.d/20-root] } }
api: { socket: ${api} }
`,
    );
    const ns = createNetns();
    // No executor listens there (netevd-privileged.socket stopped).
    const d = startDaemon(ns, config, { NETEVD_PRIVILEGED_SOCKET: join(run, "absent.sock") });
    cleanups.push(() => d.child.kill("SIGKILL"));
    expect(await waitFor(() => d.output().includes("ready: ")), d.output()).toBe(true);
    veth(ns, "pr0", "pr1");
    ip(ns, "addr", "add", "192.0.2.9/24", "dev", "pr0");
    ip(ns, "route", "add", "default", "via", "192.0.2.1");
    const metrics = async () => (await httpGet({ socketPath: api }, "/metrics")).text;
    expect(
      await waitForAsync(async () => /^netevd_privileged_refusals_total [1-9]\d*$/m.test(await metrics())),
      d.output(),
    ).toBe(true);
    const text = await metrics();
    expect(text).toMatch(/^netevd_script_failing\{script="20-root"\} 1$/m);
    expect(text).toMatch(/^netevd_script_runs_total\{result="error",script="20-root"\} [1-9]\d*$/m);
  }, 60_000);
});
