// Runs one script: its own process group, stdin /dev/null, cleared environment,
// output logged line by line with caps, timeout → SIGTERM to the whole group →
// SIGKILL 5 s later.
import { type ChildProcess, spawn } from "node:child_process";
import type { Logger } from "../log/logger";
import { LineSplitter } from "./line-splitter";

export const KILL_GRACE_MS = 5000;
export const MAX_LINE_BYTES = 4096;
export const MAX_OUTPUT_LINES = 1000;

export interface RunOptions {
  env: Record<string, string>;
  timeoutMs: number;
  log: Logger;
  killGraceMs?: number;
  /** Called with the child once spawned: the runner tracks live groups for shutdown. */
  onSpawn?: (child: ChildProcess) => void;
}

export interface ScriptResult {
  name: string;
  path: string;
  /** Exit code, or null when ended by a signal or not started. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  durationMs: number;
  /** Set when the script could not be started (ENOEXEC, EACCES, …). */
  spawnError?: string;
  outputTruncated: boolean;
}

export function killGroup(pid: number | undefined, signal: NodeJS.Signals): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false; // ESRCH: the group is gone
  }
}

export function runScript(name: string, path: string, opts: RunOptions): Promise<ScriptResult> {
  const started = performance.now();
  const grace = opts.killGraceMs ?? KILL_GRACE_MS;
  const log = opts.log.child({ script: name });
  return new Promise((resolve) => {
    let child: ChildProcess;
    let timedOut = false;
    let lines = 0;
    let truncated = false;
    const finish = (partial: Partial<ScriptResult>) =>
      resolve({
        name,
        path,
        exitCode: null,
        signal: null,
        timedOut,
        durationMs: performance.now() - started,
        outputTruncated: truncated,
        ...partial,
      });
    try {
      child = spawn(path, [], {
        env: opts.env,
        cwd: "/",
        stdio: ["ignore", "pipe", "pipe"],
        // setsid(): the script leads its own process group, so the whole group
        // (grandchildren too) can be signalled.
        detached: true,
      });
    } catch (err) {
      finish({ spawnError: (err as Error).message });
      return;
    }
    opts.onSpawn?.(child);
    const emit = (stream: "stdout" | "stderr") => (line: string) => {
      if (lines >= MAX_OUTPUT_LINES) {
        if (!truncated) log.warn(`output beyond ${MAX_OUTPUT_LINES} lines is not logged`);
        truncated = true;
        return;
      }
      lines++;
      if (stream === "stderr") log.warn(line, { stream });
      else log.info(line, { stream });
    };
    const out = new LineSplitter(MAX_LINE_BYTES, emit("stdout"));
    const err = new LineSplitter(MAX_LINE_BYTES, emit("stderr"));
    child.stdout?.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr?.on("data", (chunk: Buffer) => err.push(chunk));

    let killTimer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      log.warn(`timed out after ${opts.timeoutMs} ms, sending SIGTERM to its process group`);
      killGroup(child.pid, "SIGTERM");
      killTimer = setTimeout(() => {
        if (killGroup(child.pid, "SIGKILL"))
          log.warn(`still running ${grace} ms after SIGTERM, sent SIGKILL`);
      }, grace);
    }, opts.timeoutMs);

    child.once("error", (e) => {
      clearTimeout(timer);
      finish({ spawnError: e.message });
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      // After a timeout the group is killed to the last member; a script that
      // exited by itself may leave background jobs running (as with
      // networkd-dispatcher): they are not waited for.
      if (!timedOut) clearTimeout(killTimer);
      // The last lines may still be in the pipes; a background job holding the
      // pipe open must not hold up the queue, so wait briefly at most.
      const done = () => {
        out.end();
        err.end();
        finish({ exitCode: code, signal });
      };
      let open = 2;
      const closed = () => {
        if (--open === 0) {
          clearTimeout(drain);
          done();
        }
      };
      const drain = setTimeout(done, 100);
      if (child.stdout?.readableEnded) closed();
      else child.stdout?.once("end", closed);
      if (child.stderr?.readableEnded) closed();
      else child.stderr?.once("end", closed);
    });
  });
}
