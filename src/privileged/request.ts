// What netevd asks netevd-privileged.service for, one request per connection,
// and what it answers: one JSON line each way. The executor trusts nothing in
// a request beyond its shape: which script may run, and how, comes from the
// root-owned configuration (netevd-scripts.7, PRIVILEGED HOOKS).

import { isNamespaceName } from "../config/netns-name";

/** The socket netevd-privileged.socket listens on (root:netevd, 0660). */
export const PRIVILEGED_SOCKET = "/run/netevd-privileged.sock";

export const MAX_REQUEST_BYTES = 1024 * 1024;
const MAX_VALUE_BYTES = 256 * 1024;
const MAX_VARIABLES = 512;
const MAX_ARGS = 4;
const MAX_ARG_BYTES = 256;
const MAX_LABEL_BYTES = 64;

export interface PrivilegedRequest {
  /** The directory as configured: scripts.dir, or a scripts.directories path ("a:b"). */
  directory: string;
  /** The script under it: "routable.d/50-nft", or "50-nft" for a style without subdirectories. */
  script: string;
  args: string[];
  /** The hook's variables, as for an unprivileged hook; the executor sets PATH, HOME, USER, LOGNAME itself. */
  env: Record<string, string>;
  /** For the journal. */
  link: string;
  event: string;
  /** The link's network namespace, when not netevd's own (a hook may be set to enter it). */
  netns?: string;
  /** Variables left out: systemd takes no control character but tab and newline in a value. */
  dropped?: string[];
}

/** A netlink socket inside a watched namespace, asked for by name (answered with the fd). */
export interface NetnsSocketRequest {
  netns_socket: string;
}

export type NetnsSocketReply = { ok: true; netns: string } | { ok: false; refused: string };

export type PrivilegedReply =
  | {
      ok: true;
      /** The transient unit it ran in. */
      unit: string;
      exitCode: number | null;
      signal: string | null;
      timedOut: boolean;
    }
  | { ok: false; refused: string };

/** Variables a style may give a hook: netevd's, networkd-dispatcher's, NetworkManager's. */
const NAMES = new Set([
  "LINK",
  "LINKINDEX",
  "STATE",
  "EVENT",
  "BACKEND",
  "ADDRESSES",
  "GATEWAY",
  "DNS",
  "DOMAINS",
  "JSON",
  "IFACE",
  "ESSID",
  "ADDR",
  "IP_ADDRS",
  "IP6_ADDRS",
  "AdministrativeState",
  "OperationalState",
  "json",
  "NM_DISPATCHER_ACTION",
  "CONNECTIVITY_STATE",
  "NETNS",
  "NETNS_ACTION",
]);
const PREFIXES = ["DHCP_", "ROUTE_", "IP4_", "IP6_", "DHCP4_", "DHCP6_", "DEVICE_", "CONNECTION_", "VPN_"];
/** Set by the executor for the hook's user; a value from the request is ignored. */
export const EXECUTOR_SET = new Set(["PATH", "HOME", "USER", "LOGNAME", "LANG", "TZ"]);

/**
 * Whether a hook may be given this variable. Everything else could change how
 * a root shell or the dynamic linker behaves (LD_PRELOAD, BASH_ENV, IFS …).
 */
export function allowedVariable(name: string): boolean {
  if (NAMES.has(name)) return true;
  return PREFIXES.some((p) => name.startsWith(p)) && /^[A-Z][A-Z0-9_]*$/.test(name);
}

const bytes = (s: string) => Buffer.byteLength(s);
const plain = (s: string) => !s.includes("\0");

/** The request, or why it is refused. Unknown keys are refused: nothing else is asked for. */
export function parseRequest(line: string): PrivilegedRequest | NetnsSocketRequest | { refused: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return { refused: "the request is not JSON" };
  }
  if (!raw || typeof raw !== "object" || Array.isArray(raw))
    return { refused: "the request is not an object" };
  const r = raw as Record<string, unknown>;
  if ("netns_socket" in r) {
    if (Object.keys(r).length !== 1) return { refused: "a netns_socket request has no other key" };
    if (typeof r.netns_socket !== "string" || !isNamespaceName(r.netns_socket))
      return { refused: "netns_socket must be a namespace name" };
    return { netns_socket: r.netns_socket };
  }
  const keys = ["directory", "script", "args", "env", "link", "event", "netns"];
  const extra = Object.keys(r).filter((k) => !keys.includes(k));
  if (extra.length) return { refused: `unknown request keys: ${extra.join(", ")}` };
  const label = (k: string) =>
    typeof r[k] === "string" && bytes(r[k]) <= MAX_LABEL_BYTES && /^[\x21-\x7e]*$/.test(r[k]);
  if (typeof r.directory !== "string" || !r.directory.startsWith("/") || !plain(r.directory))
    return { refused: "directory must be an absolute path" };
  if (typeof r.script !== "string" || !plain(r.script)) return { refused: "script must be a string" };
  if (!label("link") || !label("event")) return { refused: "link and event must be short printable names" };
  if (r.netns !== undefined && (typeof r.netns !== "string" || !isNamespaceName(r.netns)))
    return { refused: "netns must be a namespace name" };
  const args = r.args;
  if (
    !Array.isArray(args) ||
    args.length > MAX_ARGS ||
    !args.every((a) => typeof a === "string" && plain(a) && bytes(a) <= MAX_ARG_BYTES)
  )
    return { refused: `args must be at most ${MAX_ARGS} strings of at most ${MAX_ARG_BYTES} bytes` };
  const env = r.env;
  if (!env || typeof env !== "object" || Array.isArray(env)) return { refused: "env must be an object" };
  const entries = Object.entries(env as Record<string, unknown>);
  if (entries.length > MAX_VARIABLES) return { refused: `more than ${MAX_VARIABLES} variables` };
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  const dropped: string[] = [];
  for (const [name, value] of entries) {
    if (typeof value !== "string" || !plain(value) || bytes(value) > MAX_VALUE_BYTES)
      return { refused: `variable ${name}: not a string without NUL of at most ${MAX_VALUE_BYTES} bytes` };
    if (EXECUTOR_SET.has(name)) continue;
    if (!allowedVariable(name))
      return { refused: `variable ${JSON.stringify(name)} is not one a hook is given` };
    if (/[\x01-\x08\x0b-\x1f\x7f]/.test(value)) dropped.push(name);
    else out[name] = value;
  }
  return {
    directory: r.directory,
    script: r.script,
    args: args as string[],
    env: out,
    link: r.link as string,
    event: r.event as string,
    ...(typeof r.netns === "string" ? { netns: r.netns } : {}),
    ...(dropped.length ? { dropped } : {}),
  };
}
