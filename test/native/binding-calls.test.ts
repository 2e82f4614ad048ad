// Every call of the native binding besides the netlink socket (that one is
// binding-contract.test.ts), against the fake the in-process tests use and the
// real addon: the same answers, the same errors with the same codes. Calls
// that would change the test process for good (switchUser, boundingDrop,
// setKeepCaps, ambientClearAll) run in a child process for the real addon.
import { spawnSync } from "node:child_process";
import { symlinkSync, writeFileSync } from "node:fs";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { NativeBinding } from "../../src/native/binding";
import { realBinding } from "../../src/native/real";
import { NETLINK_ROUTE, NLM_F, NLMSG, RTM } from "../../src/netlink/constants";
import { ifinfomsg, parseLink } from "../../src/netlink/link";
import { buildMessage, splitMessages } from "../../src/netlink/message";
import { FakeKernel } from "../doubles/fake-kernel";
import { link } from "../helpers/in-process";
import { canNetns, createNetns } from "../helpers/netns";
import { tempDir } from "../helpers/tmp";

const CLONE_NEWNET = 0x40000000;
const MISSING = "/nonexistent/netevd-contract";

interface Subject {
  b: NativeBinding;
  /** The process ends as `sh -c "exit CODE"` would (the real one does by itself). */
  settle(pid: number, code: number): void;
  /** A path that is a network namespace (with a link "lo"), a symlink to one, or a plain file. */
  path(kind: "namespace" | "symlink" | "file"): string;
  /** An AF_UNIX server answering each request with `line`. */
  server(line: string): Promise<string>;
  /** A connected socket's fd for sendWithFd, and what its peer received. */
  connected(): Promise<{ fd: number; received: () => Promise<Buffer> }>;
  /** Runs `fn` (self-contained: it is sent as source) on a binding whose process may be changed for good. */
  isolated(fn: (b: NativeBinding) => unknown): unknown;
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

/** Lines of a dump of links through `h`, by name. */
function linkNames(b: NativeBinding, fd: number): Promise<string[]> {
  const h = b.openNetlink(NETLINK_ROUTE, fd);
  cleanups.push(() => h.close());
  return new Promise((resolve) => {
    const names: string[] = [];
    h.start((_err, datagrams) => {
      for (const d of datagrams)
        for (const m of splitMessages(d).messages) {
          if (m.header.type === RTM.NEWLINK) names.push(parseLink(m.payload).name);
          if (m.header.type === NLMSG.DONE) resolve(names);
        }
    });
    h.send(buildMessage(RTM.GETLINK, NLM_F.REQUEST | NLM_F.DUMP, 1, [ifinfomsg()]));
  });
}

function calls(name: string, make: () => Subject) {
  describe(`native binding calls: ${name}`, () => {
    it("spawnProcess: a process in its own session, its exit reported once; exec's errors thrown with code", async () => {
      const s = make();
      const exit = new Promise<[number, number]>((resolve) => {
        const p = s.b.spawnProcess(
          "/bin/sh",
          ["/bin/sh", "-c", "exit 3"],
          ["PATH=/bin"],
          (err, code, signal) => {
            expect(err).toBeNull();
            resolve([code, signal]);
          },
        );
        expect(p.pid).toBeGreaterThan(1);
        for (const fd of [p.stdout, p.stderr]) if (fd >= 0) s.b.closeFd(fd);
        s.settle(p.pid, 3);
      });
      expect(await exit).toEqual([3, -1]);
      expect(() => s.b.spawnProcess(MISSING, [MISSING], [], () => undefined)).toThrow(
        expect.objectContaining({ code: "ENOENT" }),
      );
    });

    it("capabilities: read; the same sets set again; ambient raise refused outside permitted and inheritable", () => {
      const s = make();
      const caps = s.b.getCapabilities();
      expect(typeof caps.effective).toBe("bigint");
      s.b.setCapabilities(caps.effective, caps.permitted, caps.inheritable);
      expect(s.b.getCapabilities()).toEqual(caps);
      expect(s.b.ambientIsSet(12)).toBe(false);
      if (!(caps.inheritable & (1n << 12n)))
        expect(() => s.b.ambientRaise(12)).toThrow(expect.objectContaining({ code: "EPERM" }));
    });

    it("users: root is uid 0; an unknown name is null", () => {
      const s = make();
      expect(s.b.lookupUser("root")).toMatchObject({ uid: 0, gid: 0 });
      expect(s.b.lookupUser("no-such-user-netevd")).toBeNull();
    });

    it("keep-caps, switchUser, ambient and bounding changes (a process of their own)", () => {
      const s = make();
      const result = s.isolated((b) => {
        b.setKeepCaps(true);
        b.boundingDrop(39);
        b.ambientClearAll();
        const nobody = b.lookupUser("nobody");
        if (!nobody) return "no user nobody";
        b.switchUser("nobody", nobody.uid, nobody.gid);
        let again: string | undefined;
        try {
          b.switchUser("root", 0, 0);
        } catch (e) {
          again = (e as { code?: string }).code;
        }
        return { permittedKept: b.getCapabilities().permitted !== 0n, again };
      });
      expect(result).toEqual({ permittedKept: true, again: "EPERM" });
    });

    it("notify: no socket named is EINVAL", () => {
      expect(() => make().b.notify("", "READY=1")).toThrow(expect.objectContaining({ code: "EINVAL" }));
    });

    it("fds: closeFd of a bad fd says nothing (close's error is not reported); setns on one is EBADF", () => {
      const s = make();
      expect(() => s.b.closeFd(-1)).not.toThrow();
      expect(() => s.b.setns(-1, CLONE_NEWNET)).toThrow(expect.objectContaining({ code: "EBADF" }));
    });

    it("openNetlinkIn: a namespace's socket, taken over by openNetlink; anything else refused", async () => {
      const s = make();
      const fd = s.b.openNetlinkIn(s.path("namespace"), NETLINK_ROUTE);
      expect(await linkNames(s.b, fd)).toEqual(["lo"]);
      expect(() => s.b.openNetlinkIn(s.path("symlink"), NETLINK_ROUTE)).toThrow(
        expect.objectContaining({ code: "ELOOP" }),
      );
      expect(() => s.b.openNetlinkIn(s.path("file"), NETLINK_ROUTE)).toThrow(
        expect.objectContaining({ code: "EINVAL" }),
      );
      expect(() => s.b.openNetlinkIn(`${MISSING}/ns`, NETLINK_ROUTE)).toThrow(
        expect.objectContaining({ code: "ENOENT" }),
      );
    });

    it("requestWithFd: one answer line (no fd: -1); a missing socket is ENOENT", async () => {
      const s = make();
      const path = await s.server("ok");
      const answer = await new Promise<[string | null, Buffer | null, number]>((resolve) =>
        s.b.requestWithFd(path, Buffer.from('{"ping":1}\n'), 2000, (err, a, fd) =>
          resolve([err?.code ?? null, a, fd]),
        ),
      );
      expect(answer[0]).toBeNull();
      expect(answer[1]?.toString().trim()).toBe("ok");
      expect(answer[2]).toBe(-1);
      const missing = await new Promise<string | undefined>((resolve) =>
        s.b.requestWithFd(`${MISSING}/sock`, Buffer.from("x\n"), 2000, (err) => resolve(err?.code)),
      );
      expect(missing).toBe("ENOENT");
    });

    it("sendWithFd: the data reaches the peer, an fd rides along", async () => {
      const s = make();
      const { fd, received } = await s.connected();
      const ns = s.b.openNetlinkIn(s.path("namespace"), NETLINK_ROUTE);
      cleanups.push(() => s.b.closeFd(ns));
      expect(s.b.sendWithFd(fd, Buffer.from("hello\n"), ns)).toBe(6);
      expect((await received()).toString()).toBe("hello\n");
    });
  });
}

calls("fake", () => {
  const kernel = new FakeKernel();
  const lo = link(1, "lo", { type: 772, kind: null });
  kernel.setLink(lo);
  const b = kernel.binding;
  // As the test process: root, every capability permitted and effective.
  const all = (1n << 41n) - 1n;
  b.caps = { effective: all, permitted: all, inheritable: 0n };
  b.autoExit = undefined;
  b.spawnErrors.set(MISSING, "ENOENT");
  const other = new FakeKernel();
  other.setLink(lo);
  let n = 0;
  return {
    b,
    settle: (pid, code) => b.exit(pid, code),
    path: (kind) => {
      const p = `/run/netns/fake-${kind}-${++n}`;
      b.namespaces.set(p, kind === "namespace" ? other : kind);
      return p;
    },
    server: (line) => {
      const p = `/run/fake-${++n}.sock`;
      b.servers.set(p, () => ({ answer: Buffer.from(`${line}\n`), fd: -1 }));
      return Promise.resolve(p);
    },
    connected: () => {
      const fd = b.socketFd();
      return Promise.resolve({
        fd,
        received: () => Promise.resolve(b.sentFds.find((x) => x.socketFd === fd)?.data ?? Buffer.alloc(0)),
      });
    },
    isolated: (fn) => fn(b),
  };
});

if (canNetns) {
  calls("real", () => {
    const b = realBinding();
    const dir = tempDir();
    let n = 0;
    const listen = (onConnection: (c: Socket) => void): Promise<{ server: Server; path: string }> => {
      const path = join(dir, `s${++n}.sock`);
      const server = createServer(onConnection);
      cleanups.push(() => server.close());
      return new Promise((resolve) => server.listen(path, () => resolve({ server, path })));
    };
    return {
      b,
      settle: () => undefined,
      path: (kind) => {
        if (kind === "namespace") return `/run/netns/${createNetns()}`;
        const p = join(dir, `${kind}${++n}`);
        if (kind === "symlink") symlinkSync("/proc/1/ns/net", p);
        else writeFileSync(p, "");
        return p;
      },
      server: async (line) =>
        (
          await listen((c) => {
            c.once("data", () => c.end(`${line}\n`));
          })
        ).path,
      connected: async () => {
        let got: (b: Buffer) => void = () => undefined;
        const data = new Promise<Buffer>((r) => (got = r));
        const { path } = await listen((c) => c.once("data", got));
        const client = await new Promise<Socket>((resolve) => {
          const c: Socket = createConnection(path, () => resolve(c));
        });
        cleanups.push(() => client.destroy());
        const fd = (client as unknown as { _handle: { fd: number } })._handle.fd;
        return { fd, received: () => data };
      },
      isolated: (fn) => {
        const real = join(__dirname, "..", "..", "dist", "src", "native", "real.js");
        const script = `const b = require(${JSON.stringify(real)}).realBinding();
          process.stdout.write(JSON.stringify((${fn.toString()})(b)));`;
        const r = spawnSync(process.execPath, ["-e", script], { encoding: "utf8" });
        expect(r.status, r.stderr).toBe(0);
        return JSON.parse(r.stdout) as unknown;
      },
    };
  });
}
