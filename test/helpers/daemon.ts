// Runs the built daemon in a namespace, and scripts that record what they got.
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach } from "vitest";
import { CLI } from "./cli";
import { tempDir, writeScript } from "./tmp";

export interface Running {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
}

/** Daemons still running when a test ends (say, it timed out before its own clean-up) are killed. */
const running = new Set<ChildProcess>();
afterEach(() => {
  for (const child of running) child.kill("SIGKILL");
  running.clear();
});

/** Runs the daemon; with `cgroup`, it starts inside that cgroup v2 directory (as under a unit). */
export function startDaemon(
  ns: string,
  config: string,
  env: NodeJS.ProcessEnv = {},
  args: string[] = [],
  cgroup?: string,
  /** Shell lines run in the namespace before netevd starts (e.g. a manager's /run/systemd/netif). */
  prelude?: string,
): Running {
  const run = [process.execPath, CLI, "run", "--config", config, "--log-format", "json", ...args];
  // `ip netns exec` mounts a fresh /sys without the cgroup hierarchy; nsenter
  // joins the namespace and leaves the mounts alone, as under a unit.
  const [file, ...argv] = cgroup
    ? [
        "sh",
        ["-c", 'echo 0 >"$1/cgroup.procs" && shift && exec "$@"', "in-cgroup", cgroup],
        ["nsenter", `--net=/run/netns/${ns}`, ...run],
      ].flat()
    : prelude
      ? ["ip", "netns", "exec", ns, "sh", "-c", `set -e\n${prelude}\nexec "$@"`, "netevd-prelude", ...run]
      : ["ip", "netns", "exec", ns, ...run];
  const child = spawn(file as string, argv, {
    env: { PATH: process.env.PATH, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  running.add(child);
  const exit = new Promise<number | null>((r) =>
    child.on("exit", (code) => {
      running.delete(child);
      r(code);
    }),
  );
  return { child, output: () => out, exit };
}

/**
 * A configuration for the kernel-only backend as user nobody, with the API on
 * a socket in a directory nobody may write to, in `dir` (a fresh one by default).
 */
export function apiConfig(o: { dir?: string; interfaces?: string[] } = {}): {
  dir: string;
  socket: string;
  config: string;
} {
  const dir = o.dir ?? tempDir();
  const run = join(dir, "run");
  mkdirSync(run);
  chmodSync(run, 0o777);
  const socket = join(run, "api.sock");
  const config = join(dir, "netevd.yaml");
  const monitoring = o.interfaces ? `monitoring: { interfaces: [${o.interfaces.join(", ")}] }\n` : "";
  writeFileSync(
    config,
    `system: { backend: none, user: nobody }\n${monitoring}scripts: { dir: ${dir} }\napi: { socket: ${socket} }\n`,
  );
  return { dir, socket, config };
}

/** Each script writes `env -0` and its CapEff to a file per run, in out/ (writable by the daemon's user), atomically. */
export function recordingScripts(dir: string, events: string[]): void {
  mkdirSync(join(dir, "out"), { mode: 0o777 });
  chmodSync(join(dir, "out"), 0o777);
  for (const e of events) {
    writeScript(
      join(dir, `${e}.d`),
      "10-record",
      // Written aside and renamed into place: a reader never sees half a record.
      `f=${dir}/out/${e}.$LINK.$$; t=${dir}/out/.tmp.$$; env -0 > $t; grep CapEff /proc/self/status >> $t; mv $t $f`,
    );
  }
}

export function recorded(base: string, event: string, link: string): Record<string, string>[] {
  const dir = join(base, "out");
  return readdirSync(dir)
    .filter((f) => f.startsWith(`${event}.${link}.`))
    .map((f) => {
      const text = readFileSync(join(dir, f), "utf8");
      const [envPart, cap] = [
        text.slice(0, text.lastIndexOf("\0") + 1),
        text.slice(text.lastIndexOf("\0") + 1),
      ];
      const env = Object.fromEntries(
        envPart
          .split("\0")
          .filter(Boolean)
          .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
      );
      return { ...env, CAPEFF: cap.trim() };
    });
}
