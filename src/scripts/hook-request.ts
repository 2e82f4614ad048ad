// What the daemon asks a hook runner (netevd-hooks@USER.service) for, one
// request per connection, and what comes back: JSON lines. The runner runs
// the hook as its own user and sends each output line, then the result.
// Neither side trusts the other's lines beyond their shape and size.
import { posix } from "node:path";
import type { ScriptResult } from "./run-script";

/** Where the runner of a user listens (netevd-hooks@USER.socket: the daemon's user's, 0600). */
const HOOK_SOCKET_DIR = "/run/netevd-hooks";

export const MAX_HOOK_REQUEST_BYTES = 1024 * 1024;
/** An answer line: an output line (4096 bytes at most, escaped as JSON) with room to spare. */
export const MAX_ANSWER_LINE_BYTES = 64 * 1024;
const MAX_ARGS = 16;
const MAX_VARIABLES = 512;
/** A day: no configurable timeout is longer. */
const MAX_TIMEOUT_MS = 24 * 3600 * 1000;

export interface HookRequest {
  /** The script's name, for the runner's log. */
  name: string;
  path: string;
  args: string[];
  env: Record<string, string>;
  timeout_ms: number;
}

export type HookAnswer =
  | { line: string; stream: "stdout" | "stderr" }
  | { result: Pick<ScriptResult, "exitCode" | "signal" | "timedOut" | "outputTruncated" | "spawnError"> }
  | { refused: string };

/** The runner's socket for a user: $NETEVD_HOOKS_SOCKET_DIR (tests), else the packaged directory. */
export function hookSocket(user: string, env: NodeJS.ProcessEnv = process.env): string {
  return posix.join(env.NETEVD_HOOKS_SOCKET_DIR || HOOK_SOCKET_DIR, `${user}.sock`);
}

const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const text = (v: unknown): v is string => typeof v === "string" && !v.includes("\0");

export function parseHookRequest(line: string): HookRequest | { refused: string } {
  let r: unknown;
  try {
    r = JSON.parse(line);
  } catch {
    return { refused: "not a JSON request" };
  }
  if (!r || typeof r !== "object" || Array.isArray(r)) return { refused: "not a JSON object" };
  const o = r as Record<string, unknown>;
  const extra = Object.keys(o).filter((k) => !["name", "path", "args", "env", "timeout_ms"].includes(k));
  if (extra.length) return { refused: `unknown keys: ${extra.join(", ")}` };
  if (!text(o.name) || o.name.length > 255) return { refused: "name: not a script name" };
  if (!text(o.path) || !posix.isAbsolute(o.path) || posix.normalize(o.path) !== o.path)
    return { refused: "path: not an absolute, normal path" };
  if (!Array.isArray(o.args) || o.args.length > MAX_ARGS || !o.args.every(text))
    return { refused: `args: at most ${MAX_ARGS} strings` };
  const env = o.env;
  if (!env || typeof env !== "object" || Array.isArray(env)) return { refused: "env: not an object" };
  const entries = Object.entries(env as Record<string, unknown>);
  if (entries.length > MAX_VARIABLES) return { refused: `env: more than ${MAX_VARIABLES} variables` };
  for (const [k, v] of entries)
    if (!VARIABLE.test(k) || !text(v))
      return { refused: `env: ${JSON.stringify(k).slice(0, 64)} is not a variable` };
  const t = o.timeout_ms;
  if (typeof t !== "number" || !Number.isSafeInteger(t) || t < 1 || t > MAX_TIMEOUT_MS)
    return { refused: "timeout_ms: not a timeout" };
  return {
    name: o.name,
    path: o.path,
    args: o.args,
    env: Object.fromEntries(entries) as Record<string, string>,
    timeout_ms: t,
  };
}

/** An answer line from a runner, or null when it is not one. */
export function parseHookAnswer(line: string): HookAnswer | null {
  try {
    const a = JSON.parse(line) as Record<string, unknown>;
    if (!a || typeof a !== "object") return null;
    if (typeof a.line === "string" && (a.stream === "stdout" || a.stream === "stderr"))
      return { line: a.line, stream: a.stream };
    if (typeof a.refused === "string") return { refused: a.refused };
    const r = a.result as Record<string, unknown> | undefined;
    if (r && typeof r === "object") {
      const code = r.exitCode;
      const signal = r.signal;
      return {
        result: {
          exitCode:
            typeof code === "number" && Number.isInteger(code) && code >= 0 && code < 256 ? code : null,
          signal:
            typeof signal === "string" && /^SIG[A-Z0-9+-]{1,16}$/.test(signal)
              ? (signal as NodeJS.Signals)
              : null,
          timedOut: r.timedOut === true,
          outputTruncated: r.outputTruncated === true,
          ...(typeof r.spawnError === "string" ? { spawnError: r.spawnError.slice(0, 512) } : {}),
        },
      };
    }
  } catch {
    // below
  }
  return null;
}
