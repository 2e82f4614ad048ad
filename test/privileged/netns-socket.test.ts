// netevd-privileged's namespace sockets, asked for as the daemon asks: a
// watched namespace's socket comes back as an fd whose kernel state is that
// namespace's (read only in netevd); an unwatched name, a
// symlink to another namespace, a FIFO and a path are refused, each with its
// reason, and the executor keeps answering.
import { execFileSync } from "node:child_process";
import { rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { KernelState } from "../../src/kernel/state";
import { realBinding } from "../../src/native/real";
import { AF_INET, RT_TABLE } from "../../src/netlink/constants";
import { canNetns, createNetns, veth } from "../helpers/netns";
import { startExecutor } from "../helpers/privileged";
import { rootOnlyDir } from "../helpers/tmp";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function ask(socket: string, request: unknown): Promise<{ answer: string; fd: number; err?: string }> {
  const b = realBinding();
  return new Promise((resolve) => {
    b.requestWithFd(socket, Buffer.from(`${JSON.stringify(request)}\n`), 5_000, (err, answer, fd) =>
      resolve({ answer: answer?.toString() ?? "", fd, ...(err ? { err: err.code } : {}) }),
    );
  });
}

/** A file under /run/netns for this test only, removed afterwards. */
function plant(name: string, make: (path: string) => void): string {
  const path = join("/run/netns", name);
  make(path);
  cleanups.push(() => rmSync(path, { force: true }));
  return name;
}

describe.runIf(canNetns)("namespace sockets from netevd-privileged", () => {
  it("hands over a watched namespace's socket and refuses everything else", async () => {
    const dir = rootOnlyDir();
    const config = join(dir, "netevd.yaml");
    const prefix = `nvt${process.pid}x`;
    writeFileSync(config, `system: { backend: none }\nmonitoring: { namespaces: ["${prefix}*"] }\n`);
    const executor = await startExecutor(dir, config);
    const ns = createNetns();
    veth(ns, "hv0", "hv1");

    const ok = await ask(executor.socket, { netns_socket: ns });
    expect(JSON.parse(ok.answer)).toEqual({ ok: true, netns: ns });
    expect(ok.fd).toBeGreaterThan(2);
    // The socket reads that namespace: its links, not the test's.
    const k = new KernelState(realBinding(), { socketFd: ok.fd });
    cleanups.push(() => k.close());
    await k.start();
    expect([...k.links.values()].map((l) => l.name).sort()).toEqual(["hv0", "hv1", "lo"]);
    // netevd keeps such a namespace's state read only: it asks for no change there.
    const spec = { family: AF_INET, table: RT_TABLE.MAIN, protocol: 4, scope: 0, type: 1 };
    await expect(k.addRoute({ ...spec, dst: "203.0.113.0", dstLength: 24, oif: 1 })).rejects.toThrow();

    const refused = async (request: unknown, why: RegExp) => {
      const r = await ask(executor.socket, request);
      expect(r.fd).toBe(-1);
      expect(JSON.parse(r.answer)).toMatchObject({ ok: false, refused: expect.stringMatching(why) });
    };
    await refused({ netns_socket: "elsewhere" }, /not in monitoring\.namespaces/);
    await refused({ netns_socket: "../netns/x" }, /must be a namespace name/);
    await refused({ netns_socket: ns, extra: 1 }, /no other key/);
    // Root-owned files under /run/netns that are no namespace of their own.
    await refused({ netns_socket: plant(`${prefix}link`, (p) => symlinkSync("/proc/1/ns/net", p)) }, /ELOOP/);
    await refused(
      { netns_socket: plant(`${prefix}fifo`, (p) => execFileSync("mkfifo", [p])) },
      /not a namespace/,
    );
    await refused({ netns_socket: plant(`${prefix}file`, (p) => writeFileSync(p, "")) }, /not a namespace/);
    await refused({ netns_socket: `${prefix}gone` }, /no such namespace/);
    // Still answering after all that.
    expect(JSON.parse((await ask(executor.socket, { netns_socket: ns })).answer)).toMatchObject({ ok: true });
  }, 30_000);
});
