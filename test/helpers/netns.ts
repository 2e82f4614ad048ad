// Fresh network namespaces for tests, named with a per-run prefix so parallel
// runs cannot collide, and always removed, even when a test fails.
import { execFileSync } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { afterEach } from "vitest";
import type { NativeBinding } from "../../src/native/binding";
import { removeStaleNamespaces as removeStale } from "../../src/util/stale-netns";

const CLONE_NEWNET = 0x40000000;
const NETNS_PREFIX = `nvt${process.pid}x`;
let counter = 0;
const live = new Set<string>();

export const canNetns = process.getuid?.() === 0;

/** Removes namespaces left by earlier runs whose process is gone. */
const removeStaleNamespaces = () => removeStale(/^nvt(\d+)x\d+$/);

export function createNetns(): string {
  if (counter === 0) removeStaleNamespaces();
  const name = `${NETNS_PREFIX}${++counter}`;
  execFileSync("ip", ["netns", "add", name]);
  live.add(name);
  ip(name, "link", "set", "lo", "up");
  return name;
}

/** `ip netns del`, for a test that deletes one itself (the clean-up then leaves it alone). */
export function deleteNetns(name: string): void {
  if (!live.delete(name)) return;
  execFileSync("ip", ["netns", "del", name], { stdio: "ignore" });
}

afterEach(() => {
  for (const name of [...live]) deleteNetns(name);
});

/** Runs `ip -n NS …` (or `ip -b FILE` style arguments) and returns stdout. */
export function ip(ns: string, ...args: string[]): string {
  return execFileSync("ip", ["-n", ns, ...args], { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
}

export function ipJson<T = unknown>(ns: string, ...args: string[]): T {
  const out = execFileSync("ip", ["-n", ns, "-j", ...args], {
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  return JSON.parse(out || "[]") as T;
}

/** Runs fn with the calling thread inside the namespace (sockets opened there stay there). */
export function inNetns<T>(b: NativeBinding, ns: string, fn: () => T): T {
  const home = openSync("/proc/thread-self/ns/net", "r");
  const target = openSync(`/run/netns/${ns}`, "r");
  try {
    b.setns(target, CLONE_NEWNET);
    try {
      return fn();
    } finally {
      b.setns(home, CLONE_NEWNET);
    }
  } finally {
    closeSync(target);
    closeSync(home);
  }
}

export function ifindexOf(ns: string, name: string): number {
  const l = ipJson<{ ifindex: number; ifname: string }[]>(ns, "link", "show").find((x) => x.ifname === name);
  if (!l) throw new Error(`no link ${name} in ${ns}`);
  return l.ifindex;
}

/**
 * A veth pair `name` (in ns) ↔ `peer` (in peerNs, default the same namespace),
 * both ends up unless `up: false`; returns the ifindex of `name`.
 */
export function veth(
  ns: string,
  name: string,
  peer: string,
  o: { peerNs?: string; up?: boolean } = {},
): number {
  ip(ns, "link", "add", name, "type", "veth", "peer", "name", peer, ...(o.peerNs ? ["netns", o.peerNs] : []));
  if (o.up !== false) {
    ip(o.peerNs ?? ns, "link", "set", peer, "up");
    ip(ns, "link", "set", name, "up");
  }
  return ifindexOf(ns, name);
}
