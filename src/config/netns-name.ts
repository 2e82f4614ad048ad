// Names of network namespaces as `ip netns` binds them under /run/netns, and
// the patterns monitoring.namespaces and filters match them with.
import { hasControl } from "../util/control";
import { compileInterfaceMatcher, globProblem, isGlob } from "./ifname";

/** Where `ip netns add NAME` binds a namespace. */
export const NETNS_DIR = "/run/netns";

const NAME_MAX = 255;

export const NAMESPACE_PATTERN_ALLOWED =
  'namespace names as under /run/netns (no "/", at most 255 bytes, no control characters) or shell globs such as "tenant-*"';

/**
 * A name netevd watches: what `ip netns add` accepts, without control
 * characters (the name reaches scripts, systemd and the journal).
 */
export function isNamespaceName(name: string): boolean {
  return (
    name !== "" &&
    name !== "." &&
    name !== ".." &&
    !name.includes("/") &&
    !hasControl(name) &&
    Buffer.byteLength(name) <= NAME_MAX
  );
}

/** A problem with the pattern, or undefined when it is valid. */
export function namespacePatternProblem(pattern: string): string | undefined {
  if (pattern === "") return "empty namespace name";
  if (pattern.includes("/")) return `"${pattern}" contains "/"`;
  if (hasControl(pattern)) return "control character in namespace name";
  if (Buffer.byteLength(pattern) > NAME_MAX) return `"${pattern}" is longer than ${NAME_MAX} bytes`;
  if (!isGlob(pattern)) return isNamespaceName(pattern) ? undefined : `"${pattern}" is not a namespace name`;
  return globProblem(pattern);
}

/** monitoring.namespaces: "all", or names and globs (none: only netevd's own namespace). */
export function compileNamespaceMatcher(setting: "all" | readonly string[]): (name: string) => boolean {
  if (setting === "all") return isNamespaceName;
  const match = compileInterfaceMatcher(setting);
  return (name) => isNamespaceName(name) && match(name);
}
