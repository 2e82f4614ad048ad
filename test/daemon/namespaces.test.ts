// monitoring.namespaces end to end: the daemon, unprivileged (CapEff only
// CAP_NET_ADMIN), watching every named namespace, picks up one created after
// it started: netns.d runs, a veth coming up there runs routable.d with NETNS
// set, a privileged hook set to enter the namespace sees its links, the API
// and the CLI list them, the metrics carry the namespace; its deletion runs
// netns.d again. netevd-privileged (here with a fake systemd) opens the
// namespace's socket; the daemon never enters a namespace itself.
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startDaemon } from "../helpers/daemon";
import { httpGet } from "../helpers/http";
import { netevd } from "../helpers/cli";
import { canNetns, createNetns, deleteNetns, ip, veth } from "../helpers/netns";
import { waitFor } from "../helpers/proc";
import { startExecutor } from "../helpers/privileged";
import { rootOnlyDir, tempDir, writeScript } from "../helpers/tmp";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

const read = (f: string) => (existsSync(f) ? readFileSync(f, "utf8") : "");
const status = (pid: number, key: string) =>
  new RegExp(`^${key}:\\s+(.*)$`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? "";

describe.runIf(canNetns)("other network namespaces", () => {
  it("runs hooks for a namespace created after start, with NETNS, and a privileged hook inside it", async () => {
    const dir = rootOnlyDir();
    const out = tempDir();
    chmodSync(out, 0o777);
    writeScript(join(dir, "routable.d"), "10-record", `echo "$NETNS $LINK $(id -u)" >> ${out}/routable`);
    // Runs as root inside the link's namespace: what it sees there is that namespace's.
    writeScript(
      join(dir, "routable.d"),
      "20-inside",
      `[ -n "$NETNS" ] && ip -j addr > ${out}/inside-$NETNS.json`,
    );
    writeScript(join(dir, "netns.d"), "10-record", `echo "$NETNS $NETNS_ACTION $EVENT" >> ${out}/netns`);
    const socket = join(out, "netevd.sock");
    const config = join(dir, "netevd.yaml");
    writeFileSync(
      config,
      `system: { backend: none, user: nobody }
monitoring: { namespaces: all }
scripts: { dir: ${dir}, privileged: { scripts: [routable.d/20-inside], namespace: link } }
api: { socket: ${socket} }
`,
    );
    const executor = await startExecutor(dir, config);
    chmodSync(executor.socket, 0o666);
    const home = createNetns();
    const d = startDaemon(home, config, { NETEVD_PRIVILEGED_SOCKET: executor.socket });
    cleanups.push(() => d.child.kill("SIGKILL"));
    expect(await waitFor(() => d.output().includes("ready: ")), d.output()).toBe(true);
    const pid = d.child.pid as number;
    // `ip netns exec` execs the daemon: this is its process, with CAP_NET_ADMIN alone.
    expect(status(pid, "CapEff")).toBe("0000000000001000");

    const ns = createNetns();
    veth(ns, "nb0", "nb1");
    ip(ns, "addr", "add", "198.51.100.5/24", "dev", "nb0");
    ip(ns, "route", "add", "default", "via", "198.51.100.1");
    expect(
      await waitFor(() => read(join(out, "routable")).includes(`${ns} nb0 65534`), 20_000),
      `${d.output()}\n${executor.output()}`,
    ).toBe(true);
    expect(read(join(out, "netns"))).toContain(`${ns} created netns`);
    // The privileged hook ran in the namespace: it saw nb0 and its address, not the daemon's links.
    const inside = join(out, `inside-${ns}.json`);
    expect(await waitFor(() => read(inside).length > 0), executor.output()).toBe(true);
    const seen = JSON.parse(read(inside)) as { ifname: string; addr_info: { local: string }[] }[];
    expect(seen.map((l) => l.ifname).sort()).toEqual(["lo", "nb0", "nb1"]);
    expect(seen.find((l) => l.ifname === "nb0")?.addr_info.map((a) => a.local)).toContain("198.51.100.5");
    expect(executor.systemd.started.some((u) => u.props.NetworkNamespacePath === `/run/netns/${ns}`)).toBe(
      true,
    );
    // Still CAP_NET_ADMIN alone after it took the namespace's socket.
    expect(status(pid, "CapEff")).toBe("0000000000001000");

    // The CLI and the API show the namespace's links; the metrics carry its name.
    const listed = netevd(["list", "links", "--netns", ns, "--config", config, "--format", "json"]);
    expect(listed.status, listed.stderr).toBe(0);
    const links = JSON.parse(listed.stdout) as { name: string; netns: string; state: string | null }[];
    expect(links.find((l) => l.name === "nb0")).toMatchObject({ netns: ns, state: "routable" });
    const one = netevd(["show", "link", "nb0", "--netns", ns, "--config", config, "--format", "json"]);
    expect(JSON.parse(one.stdout)).toMatchObject({ name: "nb0", netns: ns, state: "routable" });
    // Without --netns, nb0 is not one of netevd's own links.
    expect(netevd(["show", "link", "nb0", "--config", config]).status).not.toBe(0);
    const missing = netevd(["list", "links", "--netns", "no-such-ns", "--config", config]);
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toContain("not watched");
    const metrics = (await httpGet({ socketPath: socket }, "/metrics")).text;
    expect(metrics).toMatch(new RegExp(`^netevd_links\\{netns="${ns}"\\} 3$`, "m"));
    // Counted under the namespace's label, once per run of routable.d for nb0: the address and the
    // default route are one event or two, as netevd saw them before or after it attached.
    const counted = new RegExp(
      `^netevd_events_total\\{source="none",event="routable",netns="${ns}"\\} (\\d+)$`,
      "m",
    ).exec(metrics);
    expect(counted, metrics).not.toBeNull();
    const runs = () =>
      read(join(out, "routable"))
        .split("\n")
        .filter((l) => l.startsWith(`${ns} nb0 `));
    expect(await waitFor(() => runs().length === Number(counted![1]))).toBe(true);

    // Deleted: netns.d runs again, and the namespace is let go.
    deleteNetns(ns);
    expect(await waitFor(() => read(join(out, "netns")).includes(`${ns} deleted netns`)), d.output()).toBe(
      true,
    );
    const after = JSON.parse((await httpGet({ socketPath: socket }, "/v1/namespaces")).text) as {
      name: string;
    }[];
    expect(after.map((n) => n.name)).not.toContain(ns);
    expect((await httpGet({ socketPath: socket }, "/metrics")).text).not.toContain(`netns="${ns}"`);
    // Its own namespace (the daemon runs in it, under /run/netns) is not watched twice.
    expect(after.map((n) => n.name)).not.toContain(home);
  }, 90_000);
});

/**
 * A daemon (unprivileged, backend none) with netevd-privileged beside it,
 * watching `namespaces`; netns.d and routable.d record into out/.
 */
async function watching(namespaces: string, before?: () => void) {
  const dir = rootOnlyDir();
  const out = tempDir();
  chmodSync(out, 0o777);
  writeScript(join(dir, "netns.d"), "10-record", `echo "$NETNS $NETNS_ACTION" >> ${out}/netns`);
  writeScript(join(dir, "routable.d"), "10-record", `echo "$NETNS $LINK" >> ${out}/routable`);
  const config = join(dir, "netevd.yaml");
  const write = (list: string) =>
    writeFileSync(
      config,
      `system: { backend: none, user: nobody, log_level: debug }\nmonitoring: { namespaces: ${list} }\nscripts: { dir: ${dir} }\n`,
    );
  write(namespaces);
  const executor = await startExecutor(dir, config);
  chmodSync(executor.socket, 0o666);
  before?.();
  const d = startDaemon(createNetns(), config, { NETEVD_PRIVILEGED_SOCKET: executor.socket });
  cleanups.push(() => d.child.kill("SIGKILL"));
  expect(await waitFor(() => d.output().includes("ready: ")), d.output()).toBe(true);
  return { d, write, netns: () => read(join(out, "netns")), routable: () => read(join(out, "routable")) };
}

describe.runIf(canNetns)("other network namespaces on reload", () => {
  it("lets go of a namespace a reload leaves out, without calling it deleted", async () => {
    const ns = createNetns();
    const { d, write, netns, routable } = await watching(`[${ns}]`);
    veth(ns, "nr0", "nr1");
    ip(ns, "addr", "add", "198.51.100.9/24", "dev", "nr0");
    expect(await waitFor(() => routable().includes(`${ns} nr0`)), d.output()).toBe(true);
    write("[]");
    d.child.kill("SIGHUP");
    expect(await waitFor(() => d.output().includes(`namespace ${ns} is no longer watched`)), d.output()).toBe(
      true,
    );
    // A later reload that watches another namespace: had the first been called deleted,
    // its event would have been dispatched (and logged) before this one's.
    const ns2 = createNetns();
    write(`[${ns2}]`);
    d.child.kill("SIGHUP");
    expect(await waitFor(() => netns().includes(`${ns2} created`)), d.output()).toBe(true);
    const netnsEvents = d
      .output()
      .split("\n")
      .filter((l) => l.includes('"msg":"event netns"') && l.includes(`"netns":"${ns}"`));
    expect(netnsEvents).toEqual([]); // present at start (no event), never deleted
    expect(netns()).not.toContain(`${ns} deleted`);
  }, 60_000);
});

describe.runIf(canNetns)("a file under /run/netns that is no namespace", () => {
  it("is refused with at most one warning while it stays, and the namespaces beside it are watched", async () => {
    // A FIFO (opening it for reading would block) and a symlink to the host's namespace.
    const fifo = `/run/netns/nvt${process.pid}xfifo`;
    const link = `/run/netns/nvt${process.pid}xlink`;
    const { d, netns } = await watching(`["nvt${process.pid}x*"]`, () => {
      execFileSync("mkfifo", [fifo]);
      symlinkSync("/proc/1/ns/net", link);
      cleanups.push(() => rmSync(fifo, { force: true }));
      cleanups.push(() => rmSync(link, { force: true }));
    });
    const ns = createNetns();
    expect(await waitFor(() => netns().includes(`${ns} created`)), d.output()).toBe(true);
    const said = (what: string) =>
      d
        .output()
        .split("\n")
        .filter((l) => l.includes(`${what}: no socket`));
    const warnings = (what: string) => said(what).filter((l) => l.includes('"level":"warn"'));
    // Several retries (backing off from 20 ms), each said at debug after the first warning.
    expect(await waitFor(() => said(`nvt${process.pid}xfifo`).length >= 5, 30_000), d.output()).toBe(true);
    expect(warnings(`nvt${process.pid}xfifo`)).toHaveLength(1);
    expect(warnings(`nvt${process.pid}xfifo`)[0]).toContain("not a namespace");
    // The symlink leads to a namespace only root may look at: the daemon cannot tell what it is, and leaves it.
    expect(warnings(`nvt${process.pid}xlink`).length).toBeLessThanOrEqual(1);
    expect(netns()).not.toMatch(/xfifo|xlink/);
  }, 60_000);
});
