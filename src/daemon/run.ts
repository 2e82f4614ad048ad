// `netevd run` in a process: the daemon until SIGTERM/SIGINT, SIGHUP reloads.
import { FatalError } from "../errors";
import { getLogger } from "../log/logger";
import { useNativeJournal } from "../system/journal-sender";
import { Daemon, type DaemonOptions } from "./daemon";

const log = getLogger("daemon");

/** Runs until SIGTERM/SIGINT; returns the exit code. */
export async function runDaemon(opts: DaemonOptions): Promise<number> {
  useNativeJournal(opts.binding);
  const daemon = new Daemon(opts);
  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((r) => (resolveDone = r));
  const stop = (signal: string) => {
    log.info(`${signal}: stopping`);
    void daemon.stop().then(() => resolveDone(0));
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  process.on("SIGHUP", () => daemon.reload());
  try {
    await daemon.start();
  } catch (err) {
    await daemon.stop();
    if (err instanceof FatalError) {
      log.error(err.message);
      return err.exitCode;
    }
    throw err;
  }
  return done;
}
