// Startup with 200 links present: READY=1 is sent after the first full sync and
// every link's startup event runs (none lost); a script that hangs on one link
// does not delay another link's scripts.
import { chmodSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { recorded, recordingScripts, startDaemon } from "../helpers/daemon";
import { canNetns, createNetns, ip } from "../helpers/netns";
import { notifyListener } from "../helpers/notify";
import { waitFor } from "../helpers/proc";
import { tempDir, writeScript } from "../helpers/tmp";
import { readdirSync } from "node:fs";

describe.runIf(canNetns)("netevd run at scale", () => {
  it(
    "sends READY=1 with 200 veth links present and runs all 200 startup events",
    { timeout: 120_000 },
    async () => {
      const ns = createNetns();
      const dir = tempDir();
      const batch = join(dir, "links.batch");
      const lines: string[] = [];
      for (let i = 0; i < 100; i++) {
        // No IPv6 link-local address: its DAD ending would turn a "carrier" link
        // "degraded" before or after the daemon's first dump, depending on load.
        lines.push(
          `link add s${i}a type veth peer name s${i}b`,
          `link set s${i}a addrgenmode none`,
          `link set s${i}b addrgenmode none`,
          `link set s${i}a up`,
          `link set s${i}b up`,
        );
        if (i % 2 === 0) lines.push(`addr add 10.77.${i}.1/24 dev s${i}a`);
      }
      writeFileSync(batch, `${lines.join("\n")}\n`);
      ip(ns, "-b", batch);
      recordingScripts(dir, ["carrier", "routable"]);
      const config = join(dir, "netevd.yaml");
      writeFileSync(
        config,
        `system: { backend: none, user: nobody }\nscripts: { dir: ${dir}, run_startup_triggers: true, max_parallel: 16 }\n`,
      );
      const listener = await notifyListener(join(dir, "notify"));
      const d = startDaemon(ns, config, { NOTIFY_SOCKET: join(dir, "notify") });
      try {
        expect(await waitFor(() => listener.notes().includes("READY=1"), 20_000), d.output()).toBe(true);
        expect(listener.notes()).toMatch(/STATUS=200 link\(s\), 50 routable/);
        const runs = () => readdirSync(join(dir, "out")).length;
        expect(await waitFor(() => runs() === 200, 60_000), `${runs()} runs`).toBe(true);
        expect(recorded(dir, "routable", "s0a")).toHaveLength(1);
        expect(recorded(dir, "carrier", "s0b")).toHaveLength(1);
        // Startup's events are all dispatched (and logged) before READY=1: 200, so no run is still to come.
        expect(d.output().match(/"msg":"event /g) ?? []).toHaveLength(200);
        d.child.kill("SIGTERM");
        expect(await d.exit).toBe(0);
      } finally {
        d.child.kill("SIGKILL");
        listener.stop();
      }
    },
  );

  it("a script hanging on one link does not delay another link's scripts", async () => {
    const ns = createNetns();
    for (const n of ["0", "1"]) ip(ns, "link", "add", `h${n}a`, "type", "veth", "peer", "name", `h${n}b`);
    const dir = tempDir();
    recordingScripts(dir, ["carrier"]);
    // Sorted before 10-record: on h0a it hangs (until the 30 s timeout), elsewhere it returns.
    const marks = tempDir();
    chmodSync(marks, 0o777);
    writeScript(
      join(dir, "carrier.d"),
      "05-hang",
      `[ "$LINK" = h0a ] && { : > ${marks}/hanging; exec sleep 60; }; exit 0`,
    );
    const config = join(dir, "netevd.yaml");
    writeFileSync(
      config,
      `system: { backend: none, user: nobody }\nscripts: { dir: ${dir} }\nmonitoring: { interfaces: ["h?a"] }\n`,
    );
    const d = startDaemon(ns, config);
    try {
      expect(await waitFor(() => d.output().includes("ready:")), d.output()).toBe(true);
      ip(ns, "link", "set", "h0b", "up");
      ip(ns, "link", "set", "h0a", "up");
      expect(await waitFor(() => existsSync(join(marks, "hanging"))), d.output()).toBe(true);
      const t0 = Date.now();
      ip(ns, "link", "set", "h1b", "up");
      ip(ns, "link", "set", "h1a", "up");
      expect(await waitFor(() => recorded(dir, "carrier", "h1a").length === 1, 5000), d.output()).toBe(true);
      console.log(
        `hang isolation: h1a's carrier.d ran ${Date.now() - t0} ms after its link came up while h0a's hung`,
      );
      expect(recorded(dir, "carrier", "h0a")).toHaveLength(0);
      d.child.kill("SIGTERM");
      expect(await d.exit).toBe(0);
    } finally {
      d.child.kill("SIGKILL");
    }
  });
});
