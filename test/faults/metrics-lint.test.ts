// Everything netevd serves in the Prometheus format passes Prometheus's own
// linter (`promtool check metrics`): /metrics on the control socket and on
// metrics.listen, after events and a script run have filled every family.
// Before: netevd_event_loop_lag_seconds was a gauge with a quantile label.
import { spawnSync } from "node:child_process";
import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { apiConfig, startDaemon } from "../helpers/daemon";
import { httpGet } from "../helpers/http";
import { canNetns, createNetns, ip, veth } from "../helpers/netns";
import { waitForAsync } from "../helpers/proc";
import { writeScript } from "../helpers/tmp";

const FETCH = "fetch(process.argv[1]).then((r) => r.text()).then((t) => process.stdout.write(t))";
const lint = (text: string) => spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });

describe.runIf(canNetns)("metrics as served", () => {
  it("pass promtool check metrics, on the socket and on metrics.listen", async () => {
    const ns = createNetns();
    veth(ns, "ml0", "ml1", { up: false });
    const { dir, socket, config } = apiConfig({ interfaces: ["ml0"] });
    appendFileSync(config, `metrics: { listen: "127.0.0.1:9179" }\n`);
    writeScript(join(dir, "degraded.d"), "10-ok", "exit 0");
    const d = startDaemon(ns, config);
    expect(
      await waitForAsync(
        async () => (await httpGet({ socketPath: socket }, "/healthz").catch(() => null))?.text === "ok\n",
      ),
    ).toBe(true);
    ip(ns, "link", "set", "ml1", "up");
    ip(ns, "link", "set", "ml0", "up");
    // A script ran: its duration histogram and run counter have samples.
    expect(
      await waitForAsync(async () =>
        /^netevd_script_runs_total\{[^}]*\} 1$/m.test(
          (await httpGet({ socketPath: socket }, "/metrics")).text,
        ),
      ),
    ).toBe(true);
    const local = (await httpGet({ socketPath: socket }, "/metrics")).text;
    // Per script: its runs by result, and whether its last run failed; when the daemon started.
    expect(local).toMatch(/^netevd_script_runs_total\{result="success",script="10-ok"\} 1$/m);
    expect(local).toMatch(/^netevd_script_failing\{script="10-ok"\} 0$/m);
    const started = Number(/^netevd_start_time_seconds (\d+)$/m.exec(local)?.[1]);
    expect(Math.abs(started - Date.now() / 1000)).toBeLessThan(600);
    // metrics.listen is on the namespace's loopback.
    const tcp = spawnSync(
      "ip",
      ["netns", "exec", ns, process.execPath, "-e", FETCH, "http://127.0.0.1:9179/metrics"],
      { encoding: "utf8" },
    ).stdout;
    for (const [where, text] of [
      ["socket", local],
      ["metrics.listen", tcp],
    ] as const) {
      expect(text, where).toMatch(/^# TYPE netevd_event_loop_lag_seconds summary$/m);
      const r = lint(text);
      expect(`${where}: ${r.stdout}${r.stderr}`).toBe(`${where}: `);
      expect(r.status).toBe(0);
    }
    d.child.kill("SIGTERM");
    expect(await d.exit).toBe(0);
  });
});
