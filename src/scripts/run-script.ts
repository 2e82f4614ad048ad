// Runs one script: its own process group (and cgroup, where netevd has a
// delegated one), stdin /dev/null, cleared environment, output logged line by
// line with caps, timeout → SIGTERM to the whole group → SIGKILL 5 s later.
import { KILL_GRACE_MS } from "../config/script-rules";
import type { Logger } from "../log/logger";
import type { NativeBinding } from "../native/binding";
import type { ScriptCgroup } from "./cgroup";
import { type Launched, launch } from "./launch";
import { Descendants } from "./descendants";
import { LineSplitter } from "./line-splitter";

export const MAX_LINE_BYTES = 4096;
export const MAX_OUTPUT_LINES = 1000;

/** An output line of the script, by stream. */
export type OutputLine = (stream: "stdout" | "stderr", line: string) => void;

export interface RunOptions {
  /** Starts the process (posix_spawn in the real addon). */
  binding: NativeBinding;
  env: Record<string, string>;
  /** Arguments (NetworkManager-dispatcher scripts get the interface and the action). */
  args?: string[];
  timeoutMs: number;
  log: Logger;
  killGraceMs?: number;
  /** Called with the process once started: the runner tracks live groups for shutdown. */
  onSpawn?: (child: Launched) => void;
  /** The script's own cgroup: it enters it before its first instruction, and a timeout kills all of it. */
  cgroup?: ScriptCgroup;
  /** Each output line goes here instead of the log (the hook runner sends it to the daemon). */
  onLine?: OutputLine;
  /** Ends the script and all it started at once (whoever waited for it went away). */
  abort?: AbortSignal;
}

/**
 * The script's process moves itself into its cgroup (writing 0 to cgroup.procs
 * moves the writer) and then becomes the script, so nothing it starts is ever
 * outside; if the move fails it runs anyway, ended by process group.
 */
const ENTER_CGROUP = 'echo 0 2>/dev/null >"$1"; shift; exec "$@"';

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
  /** netevd-privileged refused to run it (spawnError says why). */
  privilegedRefusal?: boolean;
  outputTruncated: boolean;
}

/** Signals a process group; signal 0 asks whether it still exists. */
export function killGroup(pid: number | undefined, signal: NodeJS.Signals | 0): boolean {
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
    let child: Launched;
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
      const [file, args] = opts.cgroup
        ? ["/bin/sh", ["-c", ENTER_CGROUP, "netevd-script", opts.cgroup.procs, path, ...(opts.args ?? [])]]
        : [path, opts.args ?? []];
      // Its own session, so the whole process group (grandchildren too) can be signalled.
      child = launch(opts.binding, file, args, opts.env);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      finish({ spawnError: e.code ? `${e.code} (${e.message})` : e.message });
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
      if (opts.onLine) opts.onLine(stream, line);
      else if (stream === "stderr") log.warn(line, { stream });
      else log.info(line, { stream });
    };
    const out = new LineSplitter(MAX_LINE_BYTES, emit("stdout"));
    const err = new LineSplitter(MAX_LINE_BYTES, emit("stderr"));
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    // A read error on a pipe ends that stream like its end would.
    child.stdout.on("error", () => undefined);
    child.stderr.on("error", () => undefined);

    let killTimer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      const cg = opts.cgroup;
      // Without a cgroup: the processes below the hook now, those that left its group too.
      const below = cg ? undefined : new Descendants(opts.binding, child.pid);
      const escaped = below && below.size > 0 ? ` and ${below.size} process(es) it started` : "";
      log.warn(
        `timed out after ${opts.timeoutMs} ms, sending SIGTERM to ${cg ? "its cgroup" : `its process group${escaped}`}`,
      );
      killGroup(child.pid, "SIGTERM");
      below?.signal("SIGTERM");
      cg?.terminate();
      killTimer = setTimeout(() => {
        // What the hook started during the grace is below it too, if it still runs.
        const later = below && killGroup(child.pid, 0) ? new Descendants(opts.binding, child.pid) : undefined;
        const stragglers = (below?.signal("SIGKILL") ?? 0) + (later?.signal("SIGKILL") ?? 0);
        below?.reap();
        later?.reap();
        const left = cg ? cg.pids().length > 0 : killGroup(child.pid, 0) || stragglers > 0;
        if (!left) return;
        killGroup(child.pid, "SIGKILL");
        cg?.kill();
        log.warn(`still running ${grace} ms after SIGTERM, sent SIGKILL`);
      }, grace);
    }, opts.timeoutMs);

    const abort = () => {
      const below = opts.cgroup ? undefined : new Descendants(opts.binding, child.pid);
      killGroup(child.pid, "SIGKILL");
      below?.signal("SIGKILL");
      below?.reap();
      opts.cgroup?.kill();
    };
    if (opts.abort?.aborted) abort();
    else opts.abort?.addEventListener("abort", abort, { once: true });
    void child.exited.then(({ code, signal }) => {
      opts.abort?.removeEventListener("abort", abort);
      clearTimeout(timer);
      // After a timeout the group is killed to the last member; a script that
      // exited by itself may leave background jobs running (as with
      // networkd-dispatcher): they are not waited for.
      if (!timedOut) clearTimeout(killTimer);
      // The last lines may still be in the pipes; a background job holding the
      // pipe open must not hold up the queue, so wait briefly at most.
      let finished = false;
      const done = () => {
        if (finished) return;
        finished = true;
        out.end();
        err.end();
        // A background job may keep a pipe open: netevd stops reading it.
        child.stdout.destroy();
        child.stderr.destroy();
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
      for (const s of [child.stdout, child.stderr]) {
        if (s.readableEnded || s.destroyed) closed();
        else s.once("close", closed);
      }
    });
  });
}
