// sd_notify reaches a real datagram socket (a path and an abstract name).
import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { getLogger } from "../../src/log/logger";
import { realBinding } from "../../src/native/real";
import { Notifier } from "../../src/system/sd-notify";
import { tempDir } from "../helpers/tmp";

/** A python3 AF_UNIX datagram listener standing in for systemd; resolves with what it received. */
function listen(address: string): Promise<{ ready: Promise<void>; received: Promise<string> }> {
  const py = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
a = sys.argv[1]
s.bind("\\0" + a[1:] if a.startswith("@") else a)
print("ready", flush=True)
s.settimeout(10)
sys.stdout.write(s.recv(4096).decode()); sys.stdout.flush()
`;
  const child = spawn("python3", ["-c", py, address], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((r) => (markReady = r));
  const received = new Promise<string>((resolve) => {
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.startsWith("ready\n")) markReady();
    });
    child.on("close", () => resolve(out.replace(/^ready\n/, "")));
  });
  return Promise.resolve({ ready, received });
}

describe("sd_notify", () => {
  for (const kind of ["path", "abstract"] as const) {
    it(`sends READY=1 and STATUS to a ${kind} socket`, async () => {
      const address =
        kind === "path" ? join(tempDir(), "notify.sock") : `@netevd-test-${process.pid}-${Date.now()}`;
      const l = await listen(address);
      await l.ready;
      const n = new Notifier(realBinding(), getLogger("test"), { NOTIFY_SOCKET: address });
      expect(n.ready("watching 3 links")).toBe(true);
      expect(await l.received).toBe("READY=1\nSTATUS=watching 3 links");
    });
  }

  it("does nothing outside systemd and computes the watchdog interval", () => {
    expect(new Notifier(realBinding(), getLogger("test"), {}).ready("x")).toBe(false);
    const n = new Notifier(realBinding(), getLogger("test"), {
      NOTIFY_SOCKET: "@x",
      WATCHDOG_USEC: "20000000",
      WATCHDOG_PID: String(process.pid),
    });
    expect(n.watchdogIntervalMs()).toBe(10_000);
    expect(
      new Notifier(realBinding(), getLogger("test"), {
        WATCHDOG_USEC: "20000000",
        WATCHDOG_PID: "1",
      }).watchdogIntervalMs(),
    ).toBeUndefined();
  });
});
