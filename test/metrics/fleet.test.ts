// A fleet on one machine: 20 netevd daemons, each in its own network
// namespace serving metrics.listen on its side of a veth, and a REAL
// Prometheus (Debian's) in a hub namespace bridged to all 20, scraping them
// with the shipped rules. A hook made to fail on 3 of them fires
// NetevdHookFailing for exactly those 3, read from Prometheus's HTTP API; the
// alert resolves once their hook succeeds again; nothing else fires on the
// healthy fleet.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { appendFileSync, existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { apiConfig, type Running, startDaemon } from "../helpers/daemon";
import { canNetns, createNetns, ip, veth } from "../helpers/netns";
import { waitForAsync } from "../helpers/proc";
import { tempDir, writeScript } from "../helpers/tmp";

const execFileAsync = promisify(execFile);

const RULES = join(__dirname, "../../packaging/prometheus/netevd-rules.yml");
const HOSTS = 20;
const FAILING = [4, 9, 17];
const HUB = "10.214.0.1";
const PROM = `${HUB}:9090`;
const address = (i: number) => `10.214.0.${10 + i}`;

const havePrometheus = canNetns && existsSync("/usr/bin/prometheus");

/** One GET of Prometheus's HTTP API, from inside the hub namespace. */
async function api<T>(hub: string, path: string): Promise<T | null> {
  const fetch = "fetch(process.argv[1]).then((r) => r.text()).then((t) => process.stdout.write(t))";
  try {
    const { stdout } = await execFileAsync("ip", [
      "netns",
      "exec",
      hub,
      process.execPath,
      "-e",
      fetch,
      `http://${PROM}${path}`,
    ]);
    return (JSON.parse(stdout) as { data: T }).data;
  } catch {
    return null;
  }
}

interface Alert {
  labels: Record<string, string>;
  state: "pending" | "firing";
}

const children: ChildProcess[] = [];
const daemons: Running[] = [];
afterEach(async () => {
  for (const d of daemons.splice(0)) d.child.kill("SIGKILL");
  for (const c of children.splice(0)) {
    c.kill("SIGKILL");
    if (c.exitCode === null && c.signalCode === null) await new Promise((r) => c.once("exit", r));
  }
});

describe.runIf(havePrometheus)(
  "a fleet of 20 netevd daemons under a real Prometheus with the shipped rules",
  () => {
    it("fires NetevdHookFailing for exactly the 3 hosts whose hook fails, and resolves it when they recover", async () => {
      const hub = createNetns();
      ip(hub, "link", "add", "br0", "type", "bridge");
      ip(hub, "addr", "add", `${HUB}/24`, "dev", "br0");
      ip(hub, "link", "set", "br0", "up");
      const flags = tempDir();
      const hosts: string[] = [];
      for (let i = 1; i <= HOSTS; i++) {
        const ns = createNetns();
        hosts.push(ns);
        veth(ns, "fl0", `fl${i}`, { peerNs: hub });
        ip(hub, "link", "set", `fl${i}`, "master", "br0");
        ip(ns, "addr", "add", `${address(i)}/24`, "dev", "fl0");
        // The link whose going down runs the hook.
        veth(ns, "fx0", "fx1");
        const { dir, config } = apiConfig({ interfaces: ["fx0"] });
        appendFileSync(config, `metrics: { listen: "${address(i)}:9179" }\n`);
        // Fails while this host's flag exists.
        writeScript(join(dir, "off.d"), "10-probe", `[ -e ${flags}/${i} ] && exit 1; exit 0`);
        daemons.push(startDaemon(ns, config));
      }

      const data = tempDir();
      const promConfig = join(data, "prometheus.yml");
      writeFileSync(
        promConfig,
        `global: { scrape_interval: 1s, evaluation_interval: 1s, scrape_timeout: 1s }
rule_files: [${RULES}]
scrape_configs:
  - job_name: netevd
    static_configs:
      - targets: [${Array.from({ length: HOSTS }, (_, i) => `"${address(i + 1)}:9179"`).join(", ")}]
`,
      );
      const prometheus = spawn(
        "ip",
        [
          "netns",
          "exec",
          hub,
          "prometheus",
          `--config.file=${promConfig}`,
          `--storage.tsdb.path=${join(data, "tsdb")}`,
          `--web.listen-address=${PROM}`,
          "--log.level=warn",
        ],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      children.push(prometheus);
      let promLog = "";
      prometheus.stderr.on("data", (b: Buffer) => (promLog = (promLog + b.toString()).slice(-20_000)));
      const report = async () =>
        [
          promLog,
          JSON.stringify(await api(hub, "/api/v1/targets")).slice(0, 3000),
          ...daemons.map((d) => d.output().slice(-300)),
        ].join("\n");

      // Prometheus's targets: all 20 up.
      const targetsUp = async () =>
        (
          (await api<{ activeTargets: { health: string }[] }>(hub, "/api/v1/targets"))?.activeTargets ?? []
        ).filter((t) => t.health === "up").length;
      expect(await waitForAsync(async () => (await targetsUp()) === HOSTS, 120_000), await report()).toBe(
        true,
      );

      // The hook fails on three hosts and succeeds on the others.
      for (const i of FAILING) writeFileSync(join(flags, String(i)), "");
      for (const ns of hosts) ip(ns, "link", "set", "fx0", "down");
      const alerts = async (name: string) =>
        ((await api<{ alerts: Alert[] }>(hub, "/api/v1/alerts"))?.alerts ?? []).filter(
          (a) => name === "" || a.labels.alertname === name,
        );
      const firing = async () =>
        (await alerts("NetevdHookFailing"))
          .filter((a) => a.state === "firing")
          .map((a) => `${a.labels.instance} ${a.labels.script}`)
          .sort();
      const expected = FAILING.map((i) => `${address(i)}:9179 10-probe`).sort();
      // The rule waits a minute (for: 1m) before it fires.
      expect(await waitForAsync(async () => (await firing()).length >= 3, 150_000), await report()).toBe(
        true,
      );
      expect(await firing()).toEqual(expected);
      expect((await alerts("NetevdHookFailing")).map((a) => a.labels.instance).sort()).toEqual(
        expected.map((e) => e.split(" ")[0]),
      );

      // They recover: the hook's next run succeeds, and the alert resolves.
      for (const i of FAILING) rmSync(join(flags, String(i)));
      for (const i of FAILING) {
        ip(hosts[i - 1]!, "link", "set", "fx0", "up");
        ip(hosts[i - 1]!, "link", "set", "fx0", "down");
      }
      expect(
        await waitForAsync(async () => (await alerts("NetevdHookFailing")).length === 0, 60_000),
        await report(),
      ).toBe(true);
      // A healthy fleet fires nothing else.
      expect((await alerts("")).map((a) => a.labels.alertname)).toEqual([]);
      expect(await targetsUp()).toBe(HOSTS);
    }, 420_000);
  },
);
