// `netevd hook-runner` for tests: started as `uid` on a socket of its own (as
// systemd's netevd-hooks@USER.socket would hand it one), serving the daemon's
// user `daemonUser`; killed after the test, even when it fails.
import { spawn } from "node:child_process";
import { chmodSync, existsSync } from "node:fs";
import { afterEach } from "vitest";
import { CLI } from "./cli";
import { waitFor } from "./proc";

const stops: (() => void)[] = [];
afterEach(() => {
  for (const s of stops.splice(0)) s();
});

/** The runner's log (JSON lines), once its socket is there. */
export async function startHookRunner(
  socket: string,
  uid: number,
  daemonUser: string,
): Promise<() => string> {
  const child = spawn(
    process.execPath,
    [CLI, "hook-runner", "--listen", socket, "--daemon-user", daemonUser, "--log-format", "json"],
    { uid, gid: uid, env: { PATH: process.env.PATH }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  stops.push(() => child.kill("SIGKILL"));
  if (!(await waitFor(() => existsSync(socket)))) throw new Error(`the hook runner did not start: ${out}`);
  // Anyone may connect here (the packaged socket is the daemon's, 0600): the peer check decides.
  chmodSync(socket, 0o666);
  return () => out;
}
