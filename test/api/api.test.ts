// The control API and the CLI commands that use it, against a running daemon:
// status, list links/rules/routes, show link, events (and --follow), reload
// (an invalid file is refused, the daemon keeps running), /metrics in the
// Prometheus format, /healthz, and TCP only with the bearer token.
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, netevd } from "../helpers/cli";
import { startDaemon } from "../helpers/daemon";
import { canNetns, createNetns, ip, veth } from "../helpers/netns";
import { httpGet as http } from "../helpers/http";
import { waitFor } from "../helpers/proc";
import { tempDir } from "../helpers/tmp";

describe.runIf(canNetns)("control API", () => {
  it("answers status, links, rules, routes, events, reload and metrics; TCP needs the token", async () => {
    const ns = createNetns();
    veth(ns, "ve0", "ve1");
    const dir = tempDir();
    const run = join(dir, "run");
    mkdirSync(run, { mode: 0o777 });
    chmodSync(run, 0o777);
    const socket = join(run, "netevd.sock");
    const token = join(dir, "token");
    writeFileSync(token, "s3cret-token\n");
    chmodSync(token, 0o644);
    const config = join(dir, "netevd.yaml");
    const text = `system: { backend: none, user: nobody }
scripts: { dir: ${dir} }
monitoring: { interfaces: [ve0] }
routing: { policy_rules: [ve0] }
api: { socket: ${socket}, listen: "127.0.0.1:9188", token_file: ${token} }
`;
    writeFileSync(config, text);
    const d = startDaemon(ns, config);
    const cli = (...args: string[]) => netevd(["--config", config, ...args]);
    try {
      expect(await waitFor(() => d.output().includes("ready:")), d.output()).toBe(true);
      expect(d.output()).toContain(`control API on ${socket}`);
      const follow = spawn(process.execPath, [
        CLI,
        "--config",
        config,
        "events",
        "--follow",
        "--link",
        "ve0",
        "--format",
        "json",
      ]);
      let streamed = "";
      // No wait for it to connect: a follower first gets the recent events, the coming routable too.
      follow.stdout.on("data", (b: Buffer) => (streamed += b.toString()));
      ip(ns, "addr", "add", "192.0.2.7/24", "dev", "ve0");
      expect(await waitFor(() => cli("list", "rules", "--format", "json").stdout.includes("192.0.2.7"))).toBe(
        true,
      );

      const status = JSON.parse(cli("status", "--format", "json").stdout) as Record<string, unknown>;
      expect(status).toMatchObject({
        backend: "none",
        ready: true,
        links: 1,
        routable: 1,
        policy_rules: 2,
        policy_routes: 1,
      });
      expect(cli("status", "--format", "table").stdout).toMatch(/^backend: none$/m);
      const links = JSON.parse(cli("list", "links", "--format", "json").stdout) as {
        name: string;
        state: string;
      }[];
      expect(links.find((l) => l.name === "ve0")).toMatchObject({ state: "routable", monitored: true });
      expect(cli("list", "links", "--format", "table").stdout).toMatch(
        /^ve0\s+\d+\s+routable\s+up\s+192\.0\.2\.7\/24$/m,
      );
      const rules = JSON.parse(cli("list", "rules", "--format", "json").stdout) as {
        priority: number;
        from: string | null;
      }[];
      expect(rules.map((r) => [r.priority, r.from])).toEqual([
        [10000, "192.0.2.7"],
        [10001, null],
      ]);
      expect(JSON.parse(cli("list", "routes", "--format", "json").stdout)).toEqual([
        expect.objectContaining({ dst: "192.0.2.0/24", dev: "ve0" }),
      ]);
      expect(JSON.parse(cli("show", "link", "ve0", "--format", "json").stdout)).toMatchObject({
        name: "ve0",
        state: "routable",
      });
      const missing = cli("show", "link", "nope");
      expect(missing.status).toBe(1);
      expect(missing.stderr).toContain("no such link");
      const events = JSON.parse(cli("events", "--format", "json", "--event", "routable").stdout) as {
        event: string;
        schema: string;
      }[];
      expect(events.map((e) => e.event)).toEqual(["routable"]);
      expect(events[0]?.schema).toBe("netevd.event.v1");
      expect(await waitFor(() => streamed.includes('"event":"routable"'))).toBe(true);
      follow.kill();

      // Metrics in the exposition format.
      const m = await http({ socketPath: socket }, "/metrics");
      expect(m.type).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(m.text).toMatch(/^netevd_events_total\{source="none",event="routable",netns=""\} 1$/m);
      expect(m.text).toMatch(/^netevd_managed_rules\{netns=""\} 2$/m);
      expect(m.text).toMatch(/^netevd_build_info\{version="0\.1\.0"\} 1$/m);
      expect(m.text).toMatch(/^netevd_event_loop_lag_seconds\{quantile="0\.99"\} [0-9.e-]+$/m);
      expect(m.text).toMatch(/^netevd_event_loop_lag_seconds_count \d+$/m);
      // Prometheus's own linter accepts every family as served.
      const lint = spawnSync("promtool", ["check", "metrics"], { input: m.text, encoding: "utf8" });
      expect(`${lint.stdout}${lint.stderr}`).toBe("");
      expect(lint.status).toBe(0);
      expect(m.text).toMatch(/^# TYPE netevd_netlink_messages_total counter$/m);
      expect(Number(/^netevd_netlink_messages_total\{netns=""\} (\d+)$/m.exec(m.text)?.[1])).toBeGreaterThan(
        0,
      );
      expect((await http({ socketPath: socket }, "/healthz")).text).toBe("ok\n");

      // TCP: only with the bearer token (the namespace's loopback).
      const tcp = spawn("ip", [
        "netns",
        "exec",
        ns,
        process.execPath,
        "-e",
        `
        const http = require("node:http");
        const get = (h) => new Promise((r) => http.get({ host: "127.0.0.1", port: 9188, path: "/v1/status", headers: h }, (res) => { res.resume(); r(res.statusCode); }));
        (async () => console.log(await get({}), await get({ authorization: "Bearer wrong-token-x" }), await get({ authorization: "Bearer s3cret-token" })))();`,
      ]);
      let codes = "";
      tcp.stdout.on("data", (b: Buffer) => (codes += b.toString()));
      await new Promise((r) => tcp.on("exit", r));
      expect(codes.trim()).toBe("401 401 200");

      // reload: an invalid file is refused (78) and the daemon keeps its configuration.
      writeFileSync(config, "system: { backend: bogus }\n");
      // The CLI reads the same file to find the socket: point it at a valid copy.
      const cliConfig = join(dir, "cli.yaml");
      writeFileSync(cliConfig, text);
      const bad = netevd(["--config", cliConfig, "reload"]);
      expect(bad.status).toBe(78);
      expect(bad.stderr).toContain("system.backend");
      // status asks the socket the file names even when the rest of the file
      // is wrong: the running daemon answers (its configuration is the old one).
      const halfBad = join(dir, "half-bad.yaml");
      writeFileSync(halfBad, `system: { backend: bogus }\napi: { socket: ${socket} }\n`);
      const answered = netevd(["--config", halfBad, "status", "--format", "json"]);
      expect(answered.status, answered.stderr).toBe(0);
      expect(JSON.parse(answered.stdout)).toMatchObject({ backend: "none", ready: true });
      writeFileSync(config, text);
      const good = netevd(["--config", cliConfig, "reload"]);
      expect(good.status, good.stderr).toBe(0);
      expect(good.stdout).toBe("configuration reloaded\n");
      d.child.kill("SIGTERM");
      expect(await d.exit).toBe(0);
      const gone = cli("status");
      expect(gone.status).toBe(69);
      expect(gone.stderr).toContain("is it running?");
    } finally {
      d.child.kill("SIGKILL");
    }
  });
});
