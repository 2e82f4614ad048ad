// A D-Bus call on a connection that fails ends with the connection's error,
// not at its timeout: `netevd validate` on a host without a system bus
// answers at once instead of waiting out its probe.
import { join } from "node:path";
import { sessionBus } from "dbus-next";
import { describe, expect, it } from "vitest";
import { callWithTimeout } from "../../src/util/dbus-call";
import { tempDir } from "../helpers/tmp";

describe("callWithTimeout", () => {
  it("fails with the connection's error when there is no bus, long before its timeout", async () => {
    const bus = sessionBus({ busAddress: `unix:path=${join(tempDir(), "no-bus")}` });
    try {
      // The test's own timeout (5 s) is far below the call's: only the connection's error can end it in time.
      await expect(
        callWithTimeout(
          bus,
          {
            destination: "org.freedesktop.DBus",
            path: "/org/freedesktop/DBus",
            interface: "org.freedesktop.DBus",
            member: "NameHasOwner",
            signature: "s",
            body: ["org.freedesktop.network1"],
          },
          600_000,
        ),
      ).rejects.toThrow(/ENOENT/);
    } finally {
      bus.disconnect();
    }
  });

  it("listens for the loss of a bus once, however many calls wait on it", async () => {
    const bus = sessionBus({ busAddress: `unix:path=${join(tempDir(), "no-bus")}` });
    try {
      const before = bus.listenerCount("error");
      const calls = Array.from({ length: 20 }, () =>
        callWithTimeout(
          bus,
          {
            destination: "org.freedesktop.DBus",
            path: "/org/freedesktop/DBus",
            interface: "org.freedesktop.DBus",
            member: "GetId",
          },
          600_000,
        ),
      );
      // Node warns past 10 listeners of one event: 20 calls in flight add one.
      expect(bus.listenerCount("error")).toBe(before + 1);
      for (const c of calls) await expect(c).rejects.toThrow(/ENOENT/);
    } finally {
      bus.disconnect();
    }
  });
});
