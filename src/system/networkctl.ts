// `networkctl status IFACE`, as networkd-dispatcher ran it for every event:
// the text its scripts' `json` was built from. Asynchronous, bounded in time
// and size; null when networkctl is missing or fails.
import { execFile } from "node:child_process";

const TIMEOUT_MS = 3000;
const MAX_OUTPUT = 256 * 1024;

export function networkctlStatus(name: string): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(
      "networkctl",
      ["status", "--no-pager", "--no-legend", "--", name],
      { timeout: TIMEOUT_MS, maxBuffer: MAX_OUTPUT, encoding: "utf8", env: environment() },
      (err, stdout) => resolve(err ? null : stdout),
    );
  });
}

/** A plain locale and no colours; the system bus address when one is set (tests use a private bus). */
function environment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    LC_ALL: "C.UTF-8",
    SYSTEMD_COLORS: "0",
  };
  if (process.env.DBUS_SYSTEM_BUS_ADDRESS) env.DBUS_SYSTEM_BUS_ADDRESS = process.env.DBUS_SYSTEM_BUS_ADDRESS;
  return env;
}
