// Network namespaces named after the process that made them (PREFIX<pid>…):
// those whose process is gone were left by a run that was killed, and go.
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { processAlive } from "./process-alive";

/** `owner` matches a namespace name and captures its maker's PID. */
export function removeStaleNamespaces(owner: RegExp): void {
  let names: string[];
  try {
    names = readdirSync("/run/netns");
  } catch {
    return; // no namespace was ever named
  }
  for (const name of names) {
    const pid = Number(owner.exec(name)?.[1]);
    if (!pid || pid === process.pid || processAlive(pid)) continue;
    try {
      execFileSync("ip", ["netns", "del", name], { stdio: "ignore" });
    } catch {
      // Another cleaner got to it first.
    }
  }
}
