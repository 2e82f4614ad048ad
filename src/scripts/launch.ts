// Starts a hook through the native launcher: posix_spawn, so the daemon is
// never forked (fork's cost grows with the daemon's memory, posix_spawn's does
// not), the hook in a session of its own, its exit seen through a pidfd.
import { Socket } from "node:net";
import { constants } from "node:os";
import { Readable } from "node:stream";
import { isNativeError, type NativeBinding } from "../native/binding";

interface Exit {
  /** Exit code, or null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Launched {
  pid: number;
  stdout: Readable;
  stderr: Readable;
  /** Settles once the process is reaped; never rejects. */
  exited: Promise<Exit>;
}

const SIGNAL_NAMES = new Map<number, NodeJS.Signals>(
  Object.entries(constants.signals).map(([name, n]) => [n, name as NodeJS.Signals]),
);

/**
 * Throws what exec would (ENOENT, EACCES, …) with `code` set. A file with no
 * "#!" line runs with /bin/sh, as execvp(3) runs it (and as Node did).
 */
export function launch(
  binding: NativeBinding,
  file: string,
  args: readonly string[],
  env: Record<string, string>,
): Launched {
  try {
    return start(binding, file, args, env);
  } catch (err) {
    if (!isNativeError(err, "ENOEXEC")) throw err;
    return start(binding, "/bin/sh", [file, ...args], env);
  }
}

function start(
  binding: NativeBinding,
  file: string,
  args: readonly string[],
  env: Record<string, string>,
): Launched {
  let settle: (e: Exit) => void = () => undefined;
  const exited = new Promise<Exit>((resolve) => (settle = resolve));
  const p = binding.spawnProcess(
    file,
    [file, ...args],
    Object.entries(env).map(([k, v]) => `${k}=${v}`),
    (err, code, signal) => {
      // waitid failing leaves nothing to report: the process is gone either way.
      if (err) settle({ code: null, signal: null });
      else
        settle({
          code: code >= 0 ? code : null,
          signal: signal >= 0 ? (SIGNAL_NAMES.get(signal) ?? null) : null,
        });
    },
    // uid 0 regains the bounding set at exec: scripts of a daemon that stays root get only the ambient set.
    process.geteuid?.() === 0,
  );
  // A binding that gives no pipe (-1: the in-process tests' fake) gives no output.
  const pipe = (fd: number): Readable =>
    fd < 0 ? Readable.from([]) : new Socket({ fd, readable: true, writable: false });
  return { pid: p.pid, stdout: pipe(p.stdout), stderr: pipe(p.stderr), exited };
}
