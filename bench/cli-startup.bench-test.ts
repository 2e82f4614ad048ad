// How fast the CLI starts, as a shell tool is judged: wall time of
// `netevd --version`, `netevd status` against a running daemon, `netevd
// status` with no daemon (the whole configuration is then read and checked,
// and the socket refuses) and `netevd validate`, beside `node -e 0` (the
// floor of any Node program) in the same run. The single executable (dist/netevd) is
// measured, as installed; NETEVD_EXE=/path/to/netevd measures another build
// beside it (an older one, to compare).
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "vitest";
import { apiConfig, startDaemon } from "../test/helpers/daemon";
import { createNetns } from "../test/helpers/netns";
import { waitFor } from "../test/helpers/proc";
import { tempDir } from "../test/helpers/tmp";
import { nowMs, summarize, table, writeResults } from "./stats";

const RUNS = 20;
const exe = join(__dirname, "..", "dist", "netevd");
const other = process.env.NETEVD_EXE;

function time(cmd: string, args: string[], env: NodeJS.ProcessEnv): number[] {
  const out: number[] = [];
  for (let i = 0; i < RUNS + 2; i++) {
    const t0 = nowMs();
    spawnSync(cmd, args, { env, stdio: "ignore" });
    if (i >= 2) out.push(nowMs() - t0); // the first runs warm the page cache
  }
  return out;
}

describe.runIf(existsSync(exe))("CLI start-up", () => {
  it("netevd --version, status, validate beside node -e 0", async () => {
    const dir = tempDir();
    const config = join(dir, "netevd.yaml");
    writeFileSync(config, `system: { backend: none }\napi: { socket: ${dir}/none.sock }\n`);
    const env = { PATH: process.env.PATH, NETEVD_CONFIG: config };
    const running = apiConfig();
    const daemon = startDaemon(createNetns(), running.config);
    if (!(await waitFor(() => daemon.output().includes("ready:"), 30_000))) throw new Error(daemon.output());
    const withDaemon = { PATH: process.env.PATH, NETEVD_CONFIG: running.config };
    const builds: [string, string][] = [["netevd", exe]];
    if (other) builds.push(["netevd (NETEVD_EXE)", other]);
    const rows = [
      {
        scenario: "start-up",
        subject: "node -e 0 (floor)",
        summary: summarize(time(process.execPath, ["-e", "0"], env)),
      },
    ];
    for (const [label, bin] of builds) {
      rows.push({
        scenario: "start-up",
        subject: `${label} --version`,
        summary: summarize(time(bin, ["--version"], env)),
      });
      rows.push({
        scenario: "start-up",
        subject: `${label} status (daemon answering)`,
        summary: summarize(time(bin, ["status"], withDaemon)),
      });
      for (const args of [["status"], ["validate"]])
        rows.push({
          scenario: "start-up",
          subject: `${label} ${args.join(" ")}${args[0] === "status" ? " (no daemon)" : ""}`,
          summary: summarize(time(bin, args, env)),
        });
    }
    daemon.child.kill("SIGTERM");
    await daemon.exit;
    console.log(table(rows));
    writeResults("bench-cli.json", { runs: RUNS, rows });
  });
});
