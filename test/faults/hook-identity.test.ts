// Hooks run as a user of their own (scripts.user), through that user's hook
// runner: they can neither signal the daemon nor reach its control API, and
// the runner serves only root and the daemon's user. Without scripts.user the
// hook is the daemon's own user, and the same checks fail (it signals the
// daemon and connects to the API).
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startDaemon } from "../helpers/daemon";
import { startHookRunner } from "../helpers/hook-runner";
import { canNetns, createNetns, ip, veth } from "../helpers/netns";
import { waitFor } from "../helpers/proc";
import { isRoot, rootOnlyDir, writeScript } from "../helpers/tmp";

/** Debian's `daemon`: neither root, nor nobody (the daemon's user here), nor in nobody's group. */
const HOOK_UID = 1;
const stops: (() => void)[] = [];
afterEach(() => {
  for (const s of stops.splice(0)) s();
});

const read = (f: string) => (existsSync(f) ? readFileSync(f, "utf8").trim() : "");

/** A namespace with a veth (down), a root-only directory with out/ for anyone, and the runner as HOOK_UID. */
async function setup(link: string) {
  const ns = createNetns();
  veth(ns, `${link}0`, `${link}1`, { up: false });
  const dir = rootOnlyDir();
  const out = join(dir, "out");
  mkdirSync(out, { mode: 0o777 });
  chmodSync(out, 0o777);
  const sockets = join(dir, "hooks");
  mkdirSync(sockets);
  chownSync(sockets, HOOK_UID, HOOK_UID);
  const runnerSocket = join(sockets, "daemon.sock");
  const runnerLog = await startHookRunner(runnerSocket, HOOK_UID, "nobody");
  return { ns, dir, out, sockets, runnerSocket, runnerLog };
}

describe.runIf(canNetns && isRoot)("hooks as a user of their own (scripts.user)", () => {
  it("run as that user, cannot signal the daemon or reach its API, and the runner serves only the daemon", async () => {
    const { ns, dir, out, sockets, runnerSocket, runnerLog } = await setup("hi");
    // The daemon's own directory, as /run/netevd is; the socket in it is 0660, the daemon's user's.
    mkdirSync(join(dir, "api"));
    chownSync(join(dir, "api"), 65534, 65534);
    const api = join(dir, "api", "api.sock");
    // What the hook can do, each answer in a file; `uid` last, once the rest is written.
    const probe = `
      const net = require("node:net");
      const [what, path] = process.argv.slice(1);
      const s = net.connect(path);
      s.on("error", (e) => console.log(e.code));
      s.on("connect", () => { if (what === "api") { console.log("connected"); s.destroy(); } else s.write("{}\\n"); });
      s.on("data", (d) => { console.log(d.toString().trim()); s.destroy(); });`;
    writeScript(
      join(dir, "degraded.d"),
      "50-who",
      `#!/bin/sh
if kill -0 "$(cat ${dir}/daemon.pid)" 2>/dev/null; then echo yes; else echo no; fi > ${out}/signal
node -e '${probe}' api ${api} > ${out}/api
node -e '${probe}' runner ${runnerSocket} > ${out}/runner
echo "hello from the hook"
id -u > ${out}/uid.tmp && mv ${out}/uid.tmp ${out}/uid
`,
    );
    const config = join(dir, "netevd.yaml");
    writeFileSync(
      config,
      `system: { backend: none, user: nobody }\nmonitoring: { interfaces: [hi0] }\n` +
        `scripts: { dir: ${dir}, user: daemon }\napi: { socket: ${api} }\n`,
    );
    const d = startDaemon(ns, config, { NETEVD_HOOKS_SOCKET_DIR: sockets });
    stops.push(() => d.child.kill("SIGKILL"));
    writeFileSync(join(dir, "daemon.pid"), String(d.child.pid));
    expect(await waitFor(() => d.output().includes("ready: ")), d.output()).toBe(true);
    ip(ns, "link", "set", "hi1", "up");
    ip(ns, "link", "set", "hi0", "up");
    expect(await waitFor(() => read(join(out, "uid")) !== "", 20_000), d.output() + runnerLog()).toBe(true);
    expect(read(join(out, "uid"))).toBe(String(HOOK_UID));
    expect(read(join(out, "signal"))).toBe("no");
    expect(read(join(out, "api"))).toBe("EACCES");
    expect(read(join(out, "runner"))).toMatch(
      /"refused":"uid 1 is neither root nor the daemon's user \(nobody\)"/,
    );
    expect(runnerLog()).toMatch(/refused a connection from uid 1 pid \d+/);
    // Its output is the daemon's to log, under the script's name, as for any hook.
    expect(d.output()).toMatch(
      /"msg":"hello from the hook"[^\n]*"script":"50-who"|"script":"50-who"[^\n]*"msg":"hello from the hook"/,
    );
    d.child.kill("SIGTERM");
    expect(await d.exit).toBe(0);
  });

  it("a hook whose runner is not there fails with the reason", async () => {
    const ns = createNetns();
    veth(ns, "hm0", "hm1", { up: false });
    const dir = rootOnlyDir();
    writeScript(join(dir, "degraded.d"), "50-hook", "true");
    const config = join(dir, "netevd.yaml");
    writeFileSync(
      config,
      `system: { backend: none, user: nobody }\nmonitoring: { interfaces: [hm0] }\n` +
        `scripts: { dir: ${dir}, user: daemon }\napi: { socket: ${dir}/api.sock }\n`,
    );
    const d = startDaemon(ns, config, { NETEVD_HOOKS_SOCKET_DIR: join(dir, "none") });
    stops.push(() => d.child.kill("SIGKILL"));
    expect(await waitFor(() => d.output().includes("ready: ")), d.output()).toBe(true);
    ip(ns, "link", "set", "hm1", "up");
    ip(ns, "link", "set", "hm0", "up");
    expect(
      await waitFor(() =>
        /could not start [^\n]*50-hook: [^\n]*ENOENT \(is netevd-hooks@daemon.socket running\?\)/.test(
          d.output(),
        ),
      ),
      d.output(),
    ).toBe(true);
    d.child.kill("SIGTERM");
    expect(await d.exit).toBe(0);
  });

  it("a hook whose daemon goes away is ended at once, not at its timeout", async () => {
    const { ns, dir, out, sockets, runnerLog } = await setup("hg");
    writeScript(
      join(dir, "degraded.d"),
      "50-long",
      `#!/bin/sh\necho $$ > ${out}/pid.tmp && mv ${out}/pid.tmp ${out}/pid\nexec sleep 120\n`,
    );
    const config = join(dir, "netevd.yaml");
    writeFileSync(
      config,
      `system: { backend: none, user: nobody }\nmonitoring: { interfaces: [hg0] }\n` +
        `scripts: { dir: ${dir}, user: daemon, timeout: 100s }\napi: { socket: ${dir}/api.sock }\n`,
    );
    const d = startDaemon(ns, config, { NETEVD_HOOKS_SOCKET_DIR: sockets });
    stops.push(() => d.child.kill("SIGKILL"));
    expect(await waitFor(() => d.output().includes("ready: ")), d.output()).toBe(true);
    ip(ns, "link", "set", "hg1", "up");
    ip(ns, "link", "set", "hg0", "up");
    expect(await waitFor(() => read(join(out, "pid")) !== ""), d.output() + runnerLog()).toBe(true);
    const pid = Number(read(join(out, "pid")));
    const alive = () => existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(read(`/proc/${pid}/status`));
    expect(alive()).toBe(true);
    d.child.kill("SIGKILL");
    expect(await waitFor(() => !alive()), runnerLog()).toBe(true);
  });
});
