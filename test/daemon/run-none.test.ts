// `netevd run` with the kernel-only backend, for real: in a fresh namespace,
// started as root, scripts run with the documented environment as the user.
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { notifyListener } from "../helpers/notify";
import { validEventJson } from "../helpers/event-schema";
import { recorded, recordingScripts, startDaemon } from "../helpers/daemon";
import { canNetns, createNetns, ip, veth } from "../helpers/netns";
import { waitFor } from "../helpers/proc";
import { tempDir } from "../helpers/tmp";

describe.runIf(canNetns)("netevd run (backend none)", () => {
  it("runs carrier and routable scripts as the user with no capabilities, routes scripts with ROUTE_*, exits 0 on SIGTERM", async () => {
    const ns = createNetns();
    const dir = tempDir();
    recordingScripts(dir, ["carrier", "routable", "routes", "no-carrier"]);
    const config = join(dir, "netevd.yaml");
    writeFileSync(
      config,
      `system: { backend: none, user: nobody }\nmonitoring: { exclude: [ve1] }\nscripts: { dir: ${dir} }\n`,
    );
    const d = startDaemon(ns, config);
    try {
      expect(await waitFor(() => d.output().includes("ready: "))).toBe(true);
      veth(ns, "ve0", "ve1");
      expect(await waitFor(() => recorded(dir, "carrier", "ve0").length === 1)).toBe(true);
      ip(ns, "addr", "add", "192.0.2.5/24", "dev", "ve0");
      ip(ns, "route", "add", "default", "via", "192.0.2.1");
      // Two runs (the address, then the gateway); the first may already see the
      // gateway too (facts are read again when the queue reaches the event), so
      // wait for both rather than for the first that shows it.
      expect(await waitFor(() => recorded(dir, "routable", "ve0").length === 2)).toBe(true);
      const routable = recorded(dir, "routable", "ve0");
      expect(routable.some((e) => e.GATEWAY === "192.0.2.1")).toBe(true);
      expect(routable[0]).toMatchObject({
        LINK: "ve0",
        STATE: "routable",
        EVENT: "routable",
        BACKEND: "none",
        ADDRESSES: "192.0.2.5",
        CAPEFF: "CapEff:\t0000000000000000",
      });
      expect(validEventJson(routable[0]?.JSON)).toMatchObject({
        schema: "netevd.event.v1",
        link: { name: "ve0", kind: "veth" },
      });
      // A new gateway is a real change: routable runs again; the excluded peer never runs anything.
      expect(routable.length).toBe(2);
      expect(recorded(dir, "carrier", "ve1")).toEqual([]);
      expect(await waitFor(() => recorded(dir, "routes", "ve0").some((e) => e.ROUTE_DST === "default"))).toBe(
        true,
      );
      const routeEvent = recorded(dir, "routes", "ve0").find((e) => e.ROUTE_DST === "default");
      expect(validEventJson(routeEvent?.JSON).route).toEqual({
        action: "add",
        dst: "default",
        gateway: "192.0.2.1",
        table: 254,
        protocol: "boot",
        metric: null,
      });
      expect(routeEvent).toMatchObject({
        ROUTE_ACTION: "add",
        ROUTE_GATEWAY: "192.0.2.1",
        ROUTE_TABLE: "254",
        ROUTE_PROTOCOL: "boot",
      });
      ip(ns, "link", "set", "ve1", "down");
      expect(await waitFor(() => recorded(dir, "no-carrier", "ve0").length === 1)).toBe(true);
      d.child.kill("SIGTERM");
      expect(await d.exit).toBe(0);
    } finally {
      d.child.kill("SIGKILL");
    }
  });

  it("sends READY=1 after the first sync, keeps its configuration when a reload fails, and refuses an invalid one at start", async () => {
    const ns = createNetns();
    const dir = tempDir();
    const config = join(dir, "netevd.yaml");
    writeFileSync(config, `system: { backend: none, user: nobody }\nscripts: { dir: ${dir} }\n`);
    const sock = join(dir, "notify");
    const listener = await notifyListener(sock);
    const d = startDaemon(ns, config, { NOTIFY_SOCKET: sock });
    try {
      expect(await waitFor(() => listener.notes().includes("READY=1"))).toBe(true);
      expect(listener.notes()).toMatch(/READY=1 \| STATUS=\d+ link\(s\)/);
      writeFileSync(config, "system: { backend: bogus }\n");
      d.child.kill("SIGHUP");
      expect(await waitFor(() => d.output().includes("reload refused"))).toBe(true);
      expect(d.output()).toContain("system.backend:");
      expect(d.child.exitCode).toBeNull();
      d.child.kill("SIGTERM");
      expect(await d.exit).toBe(0);
      expect(listener.notes()).toContain("STOPPING=1");
      const bad = startDaemon(ns, config);
      expect(await bad.exit).toBe(78);
    } finally {
      d.child.kill("SIGKILL");
      listener.stop();
    }
    expect(existsSync(sock)).toBe(true);
  });

  it("a Rust netevd configuration: warns at start which present links monitoring.interfaces leaves out", async () => {
    const ns = createNetns();
    veth(ns, "ru0", "ru1");
    const dir = tempDir();
    const config = join(dir, "netevd.yaml");
    writeFileSync(
      config,
      `system: { backend: none, user: nobody }\nmonitoring: { interfaces: [ru0] }\nscripts: { dir: ${dir} }\napi: { port: 9090 }\n`,
    );
    const d = startDaemon(ns, config);
    try {
      expect(await waitFor(() => d.output().includes("ready: ")), d.output()).toBe(true);
      expect(d.output()).toContain(
        "monitoring.interfaces leaves out ru1: the Rust netevd ignored that key and ran scripts for every link",
      );
      d.child.kill("SIGTERM");
      expect(await d.exit).toBe(0);
    } finally {
      d.child.kill("SIGKILL");
    }
  });
});
