// netevd-privileged for tests: a fake systemd manager on a private bus, and the
// built executor listening on a socket of its own (as systemd's socket would
// hand it one), reading `config`. Stopped after the test, even when it fails.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach } from "vitest";
import { CLI } from "./cli";
import { startPrivateBus } from "./dbus";
import { FakeSystemd } from "./fake-systemd";
import { waitFor } from "./proc";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

export interface Executor {
  socket: string;
  systemd: FakeSystemd;
  /** The executor's log (JSON lines). */
  output: () => string;
  pid: number;
}

/** The executor on `dir`/privileged.sock, for the configuration `config`. */
export async function startExecutor(dir: string, config: string): Promise<Executor> {
  const bus = await startPrivateBus();
  cleanups.push(bus.stop);
  const systemd = new FakeSystemd(bus.address);
  await systemd.start();
  cleanups.push(() => systemd.stop());
  const socket = join(dir, "privileged.sock");
  const child = spawn(
    process.execPath,
    [CLI, "privileged-executor", "--config", config, "--listen", socket, "--log-format", "json"],
    {
      env: { PATH: process.env.PATH, DBUS_SYSTEM_BUS_ADDRESS: bus.address },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  cleanups.push(() => child.kill("SIGKILL"));
  if (!(await waitFor(() => existsSync(socket)))) throw new Error(`the executor did not start: ${out}`);
  return { socket, systemd, output: () => out, pid: child.pid as number };
}
