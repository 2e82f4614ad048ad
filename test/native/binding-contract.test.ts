// One contract, two implementations: the fake binding (driven by FakeKernel)
// and the real addon (in a fresh network namespace, as root).
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { NativeError, NetlinkHandle } from "../../src/native/binding";
import { FakeKernel } from "../doubles/fake-kernel";
import { realBinding } from "../../src/native/real";
import { ifinfomsg, parseLink } from "../../src/netlink/link";
import { NETLINK_ROUTE, NLM_F, NLMSG, RTM, RTNLGRP } from "../../src/netlink/constants";
import { buildMessage, type NlMessage, splitMessages } from "../../src/netlink/message";
import { parseError } from "../../src/netlink/error";
import { canNetns, createNetns, inNetns } from "../helpers/netns";
import { tempDir } from "../helpers/tmp";

interface Subject {
  open(): NetlinkHandle;
  /** Makes the kernel drop messages for this socket. */
  overrun(h: NetlinkHandle): void;
  /** A link the "kernel" has. */
  linkName: string;
}

/** Collects datagrams until a reply with this seq ends (DONE or ERROR). */
function collect(h: NetlinkHandle, seq: number): Promise<{ messages: NlMessage[]; errors: NativeError[] }> {
  const messages: NlMessage[] = [];
  const errors: NativeError[] = [];
  return new Promise((resolve) => {
    h.start((err, datagrams) => {
      if (err) errors.push(err);
      for (const d of datagrams) {
        for (const m of splitMessages(d).messages) {
          if (m.header.seq !== seq) continue;
          messages.push(m);
          if (m.header.type === NLMSG.DONE || m.header.type === NLMSG.ERROR) {
            h.stop();
            resolve({ messages, errors });
          }
        }
      }
    });
  });
}

function contract(name: string, make: () => Subject) {
  describe(`native binding contract: ${name}`, () => {
    const opened: NetlinkHandle[] = [];
    afterEach(() => {
      for (const h of opened.splice(0)) h.close();
    });
    const open = (s: Subject) => {
      const h = s.open();
      opened.push(h);
      return h;
    };

    it("opens a socket with an fd and a port id; close is idempotent; use after close is EBADF", () => {
      const s = make();
      const h = open(s);
      expect(h.fd).toBeGreaterThan(2);
      expect(h.portId).toBeGreaterThan(0);
      h.close();
      h.close();
      expect(() => h.send(Buffer.alloc(16))).toThrow(
        expect.objectContaining({ code: "EBADF", syscall: "sendto" }),
      );
      expect(() => h.joinGroup(RTNLGRP.LINK)).toThrow(expect.objectContaining({ code: "EBADF" }));
    });

    it("reports errors with code, errno and syscall", () => {
      const h = open(make());
      try {
        h.joinGroup(0);
        expect.unreachable();
      } catch (err) {
        expect(err).toMatchObject({ code: "EINVAL", errno: -22, syscall: "setsockopt" });
      }
      h.start(() => undefined);
      expect(() => h.start(() => undefined)).toThrow(expect.objectContaining({ code: "EALREADY" }));
    });

    it("answers a link dump with raw datagrams ending in NLMSG_DONE", async () => {
      const s = make();
      const h = open(s);
      expect(h.setReceiveBuffer(1 << 20)).toBeGreaterThanOrEqual(1 << 20);
      const replies = collect(h, 42);
      h.send(buildMessage(RTM.GETLINK, NLM_F.REQUEST | NLM_F.DUMP, 42, [ifinfomsg()]));
      const { messages } = await replies;
      expect(messages.at(-1)?.header.type).toBe(NLMSG.DONE);
      const links = messages.filter((m) => m.header.type === RTM.NEWLINK).map((m) => parseLink(m.payload));
      expect(links.map((l) => l.name)).toContain(s.linkName);
      expect(messages.every((m) => m.header.pid === h.portId)).toBe(true);
    });

    it("answers an unknown request with an error reply", async () => {
      const h = open(make());
      const replies = collect(h, 7);
      h.send(buildMessage(0x7ff0, NLM_F.REQUEST | NLM_F.ACK, 7, [Buffer.alloc(16)]));
      const { messages } = await replies;
      const last = messages.at(-1) as NlMessage;
      expect(last.header.type).toBe(NLMSG.ERROR);
      expect(parseError(last.payload, last.header.flags).errno).toBe(95); // EOPNOTSUPP
    });

    it("reports an overrun as ENOBUFS and stays usable", async () => {
      const s = make();
      const h = open(s);
      h.setReceiveBuffer(4096);
      for (const g of [RTNLGRP.LINK, RTNLGRP.IPV4_ROUTE, RTNLGRP.IPV4_IFADDR]) h.joinGroup(g);
      const errors: string[] = [];
      const overrun = new Promise<void>((resolve) => {
        h.start((err) => {
          if (err) {
            errors.push(err.code);
            resolve();
          }
        });
      });
      s.overrun(h);
      await overrun;
      expect(errors[0]).toBe("ENOBUFS");
      h.stop();
      const replies = collect(h, 9);
      h.send(buildMessage(RTM.GETLINK, NLM_F.REQUEST | NLM_F.DUMP, 9, [ifinfomsg()]));
      expect((await replies).messages.at(-1)?.header.type).toBe(NLMSG.DONE);
    });
  });
}

contract("fake", () => {
  const kernel = new FakeKernel();
  kernel.setLink({
    index: 1,
    name: "lo",
    type: 772,
    flags: 0x10049,
    up: true,
    lowerUp: true,
    mtu: 65536,
    mac: "00:00:00:00:00:00",
    operstate: "unknown",
    carrier: true,
    master: null,
    kind: null,
  });
  return {
    open: () => kernel.binding.openNetlink(NETLINK_ROUTE),
    overrun: (h) => kernel.overrun(h as never, () => undefined),
    linkName: "lo",
  };
});

if (canNetns) {
  contract("real (network namespace)", () => {
    const b = realBinding();
    const ns = createNetns();
    return {
      open: () => inNetns(b, ns, () => b.openNetlink(NETLINK_ROUTE)),
      overrun: () => {
        // Thousands of route events against a 4 KiB receive buffer.
        execFileSync("ip", ["-n", ns, "link", "add", "ve0", "type", "veth", "peer", "name", "ve1"]);
        execFileSync("ip", ["-n", ns, "link", "set", "ve0", "up"]);
        const batch = join(tempDir(), "batch");
        writeFileSync(
          batch,
          Array.from(
            { length: 3000 },
            (_, i) => `route add 10.${i >> 8}.${i & 255}.0/24 dev ve0 table 100\n`,
          ).join(""),
        );
        execFileSync("ip", ["-n", ns, "-batch", batch]);
      },
      linkName: "lo",
    };
  });
}
