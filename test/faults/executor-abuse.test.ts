// netevd-privileged under clients that misbehave: it answers each connection
// once and closes it, stops reading after a refusal, refuses anyone but root
// and the daemon's user (as the kernel names the peer) and caps what one uid
// may hold. Before: connections stayed open after their answer (300 of them
// locked out every later request), a refused oversized request was read to
// its end, and any member of the socket's group could ask.
import { spawn } from "node:child_process";
import { chmodSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { askPrivileged } from "../../src/privileged/client";
import { startExecutor } from "../helpers/privileged";
import { waitFor } from "../helpers/proc";
import { isRoot, rootOnlyDir, writeScript } from "../helpers/tmp";

const NOBODY = 65534;
const sockets: Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
});

async function setup(user: string) {
  const root = rootOnlyDir();
  const config = join(root, "netevd.yaml");
  writeFileSync(config, `system: { user: ${user} }\nscripts: { dir: ${root} }\n`);
  const ex = await startExecutor(root, config);
  // Reachable by anyone here, as by the group netevd on a real host: the peer check is what decides.
  chmodSync(ex.socket, 0o666);
  const ask = () =>
    askPrivileged(
      ex.socket,
      { directory: root, script: "routable.d/x", args: [], env: {}, link: "eth0", event: "routable" },
      20_000,
    );
  return { ...ex, root, ask };
}

/** A client as uid `uid` holding `n` silent connections: each first answer (or end) as a line, as it comes. */
function clientAs(uid: number, socket: string, n: number): { lines: () => string[]; stop: () => void } {
  const program = `
    const net = require("node:net");
    for (let i = 0; i < ${n}; i++) {
      const s = net.connect(process.argv[1]);
      let got = "";
      let told = false;
      const tell = (why) => { if (!told) { told = true; console.log(why); } };
      s.on("data", (d) => { got += d; if (got.includes("\\n")) tell(got.trim()); });
      s.on("error", (e) => tell(e.code));
      s.on("close", () => tell("closed"));
    }`;
  const child = spawn(process.execPath, ["-e", program, socket], { uid, gid: uid });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  return { lines: () => out.split("\n").filter(Boolean), stop: () => child.kill("SIGKILL") };
}

describe.runIf(isRoot)("netevd-privileged under abuse", () => {
  it("ends each connection after its answer: 300 clients that stay connected lock no one out", async () => {
    const ex = await setup("nobody");
    const openFds = () => readdirSync(`/proc/${ex.pid}/fd`).length;
    const baseline = openFds();
    const answered: boolean[] = [];
    for (let i = 0; i < 300; i++) {
      // Half-open allowed: the client never ends its side, even after the answer.
      const s = connect({ path: ex.socket, allowHalfOpen: true }, () => s.write("{}\n"));
      const k = i;
      answered[k] = false;
      s.on("error", () => (answered[k] = true));
      s.on("data", () => (answered[k] = true));
      sockets.push(s);
    }
    expect(
      await waitFor(() => answered.every(Boolean)),
      `${answered.filter((a) => !a).length} unanswered`,
    ).toBe(true);
    // The executor lets go of every one of them (its open descriptors back where they were).
    expect(await waitFor(() => openFds() <= baseline + 2), `${openFds() - baseline} more fds`).toBe(true);
    const r = await ex.ask();
    expect(r.ok ? "" : r.refused).toMatch(/is not a script directory|no routable.d\/x|not marked privileged/);
  }, 40_000);

  it("stops reading at a refusal: an endless request is not read to its end", async () => {
    const ex = await setup("nobody");
    const s = connect(ex.socket);
    sockets.push(s);
    s.on("error", () => undefined);
    const chunk = Buffer.alloc(1 << 20, 0x61);
    let offered = 0;
    const ended = new Promise<void>((resolve) => s.once("close", () => resolve()));
    let answer = "";
    s.on("data", (d: Buffer) => (answer += d.toString()));
    // Writes as fast as the executor reads, up to 200 MiB.
    const pump = () => {
      while (offered < 200 && !s.destroyed) {
        offered++;
        if (!s.write(chunk)) return void s.once("drain", pump);
      }
    };
    s.once("connect", pump);
    await ended;
    expect(answer).toMatch(/longer than 1048576 bytes/);
    // What the kernel took before the executor stopped reading: the request's limit and socket buffers.
    expect(s.bytesWritten).toBeLessThan(16 << 20);
    expect(ex.output()).toMatch(/refused a connection from uid 0 pid \d+: request longer than 1048576 bytes/);
  }, 40_000);

  it("refuses a peer that is neither root nor the daemon's user, naming its uid and pid", async () => {
    const ex = await setup("daemon");
    const client = clientAs(NOBODY, ex.socket, 1);
    expect(await waitFor(() => client.lines().length === 1)).toBe(true);
    client.stop();
    expect(client.lines()).toEqual([
      JSON.stringify({ ok: false, refused: `uid ${NOBODY} is neither root nor the daemon's user (daemon)` }),
    ]);
    expect(ex.output()).toMatch(
      new RegExp(`refused a connection from uid ${NOBODY} pid \\d+: uid ${NOBODY} is neither`),
    );
    // Root still may.
    const r = await ex.ask();
    expect(r.ok ? "" : r.refused).not.toMatch(/neither root/);
  }, 30_000);

  it("caps the connections one uid holds: the daemon's user's 97th waits for nothing, root still gets in", async () => {
    const ex = await setup("nobody");
    const client = clientAs(NOBODY, ex.socket, 100);
    const refused = () =>
      client.lines().filter((a) => a.includes(`more than 96 connections from uid ${NOBODY}`));
    expect(await waitFor(() => refused().length === 4), client.lines().join("\n")).toBe(true);
    // The other 96 are still held (silent, within the read timeout): root is served beside them.
    const r = await ex.ask();
    expect(client.lines()).toHaveLength(4);
    client.stop();
    expect(r.ok ? "" : r.refused).not.toMatch(/more than/);
  }, 40_000);

  it("passes arguments and variables byte for byte: systemd expands no $ in what netevd sends", async () => {
    const root = rootOnlyDir();
    const dir = join(root, "nm");
    const out = join(root, "out");
    const config = join(root, "netevd.yaml");
    writeFileSync(
      config,
      `system: { user: nobody }\nscripts:\n  dir: ${root}\n  directories:\n    - { path: ${dir}, style: nm-dispatcher, privileged: {} }\n`,
    );
    writeScript(
      dir,
      "50-args",
      `for a in "$@"; do printf '%s\\n' "$a"; done > ${out}; printf '%s\\n' "$CONNECTION_ID" >> ${out}`,
    );
    const ex = await startExecutor(root, config);
    // A link a user named "$IP4_ADDRESS_0", whose variable holds two words; and "\${PATH}".
    const env = { IP4_ADDRESS_0: "10.0.0.1/24 10.0.0.254", CONNECTION_ID: "${PATH}", PATH: "/usr/bin" };
    const r = await askPrivileged(
      ex.socket,
      {
        directory: dir,
        script: "50-args",
        args: ["$IP4_ADDRESS_0", "${PATH}", "$$", "up"],
        env,
        link: "x",
        event: "up",
      },
      20_000,
    );
    expect(r).toMatchObject({ ok: true, exitCode: 0 });
    expect(readFileSync(out, "utf8")).toBe("$IP4_ADDRESS_0\n${PATH}\n$$\nup\n${PATH}\n");
  }, 30_000);
});
