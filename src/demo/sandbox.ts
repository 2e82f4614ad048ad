// The demo's throwaway world: a network namespace with a veth pair and a
// temporary directory, made with iproute2's `ip` and removed again whatever
// happens. The host's own network namespace is never changed.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { removeStaleNamespaces } from "../util/stale-netns";

const DEMO_NS_PREFIX = "netevd-demo-";

export interface Sandbox {
  ns: string;
  dir: string;
  /** Runs `ip -n NS ARGS…` (throws with ip's own message on failure). */
  ip(args: string[]): void;
  remove(): void;
}

const ip = (args: string[]) => execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });

/** A namespace `netevd-demo-PID` with veth `link` up to its peer `peer` (both without IPv6 link-local addresses). */
export function makeSandbox(link: string, peer: string): Sandbox {
  removeStaleNamespaces(/^netevd-demo-(\d+)$/);
  const ns = `${DEMO_NS_PREFIX}${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), DEMO_NS_PREFIX));
  let nsMade = false;
  const remove = () => {
    if (nsMade) {
      try {
        ip(["netns", "del", ns]);
      } catch {
        // Already gone.
      }
      nsMade = false;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    ip(["netns", "add", ns]);
    nsMade = true;
    const inNs = (args: string[]) => ip(["-n", ns, ...args]);
    inNs(["link", "add", link, "type", "veth", "peer", "name", peer]);
    // No link-local IPv6 address: the states follow the demo's own steps only.
    inNs(["link", "set", link, "addrgenmode", "none"]);
    inNs(["link", "set", peer, "addrgenmode", "none"]);
    inNs(["link", "set", peer, "up"]);
    inNs(["link", "set", "lo", "up"]);
    return { ns, dir, ip: inNs, remove };
  } catch (err) {
    remove();
    throw err;
  }
}
