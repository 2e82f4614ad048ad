// `networkctl status IFACE`, as networkd-dispatcher ran it for every event:
// the text its scripts' `json` was built from. Started with the hooks' own
// launcher (posix_spawn: forking the daemon cost about 10 ms a run under the
// interpreter, on the path of every hook that reads `json`); bounded in time
// and size; null when networkctl is missing or fails.
import type { NativeBinding } from "../native/binding";
import { launch } from "../scripts/launch";
import { onPath } from "../util/on-path";

const TIMEOUT_MS = 3000;
const MAX_OUTPUT = 256 * 1024;

/** The status reader for the hooks' style context. */
export function networkctlStatus(binding: NativeBinding): (name: string) => Promise<string | null> {
  return (name) => status(binding, name);
}

async function status(binding: NativeBinding, name: string): Promise<string | null> {
  const env = environment();
  const file = onPath("networkctl", env.PATH as string);
  if (file === undefined) return null;
  let p: ReturnType<typeof launch>;
  try {
    p = launch(binding, file, ["status", "--no-pager", "--no-legend", "--", name], env);
  } catch {
    return null;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let failed = false;
  // SETSID: the pid is its group's; the whole group goes.
  const end = () => {
    failed = true;
    try {
      process.kill(-p.pid, "SIGKILL");
    } catch {
      // already gone
    }
  };
  const timer = setTimeout(end, TIMEOUT_MS);
  p.stderr.resume();
  p.stdout.on("data", (b: Buffer) => {
    size += b.length;
    if (size > MAX_OUTPUT) end();
    else if (!failed) chunks.push(b);
  });
  const drained = new Promise<void>((r) => p.stdout.once("close", () => r()));
  const [exit] = await Promise.all([p.exited, drained]);
  clearTimeout(timer);
  return exit.code === 0 && !failed ? Buffer.concat(chunks).toString("utf8") : null;
}

/** A plain locale and no colours; the system bus address when one is set (tests use a private bus). */
function environment(): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    LC_ALL: "C.UTF-8",
    SYSTEMD_COLORS: "0",
  };
  if (process.env.DBUS_SYSTEM_BUS_ADDRESS) env.DBUS_SYSTEM_BUS_ADDRESS = process.env.DBUS_SYSTEM_BUS_ADDRESS;
  return env;
}
