// Commands that ask the running daemon go through its API socket (contract §6).
import { connect } from "node:net";
import { CliError, EXIT } from "./exit-codes";

/**
 * Fails with exit 69 and the reason when the daemon cannot be reached. This
 * version has no API client yet, so even a reachable socket gives 69 with a
 * message saying exactly that: nothing is made up.
 */
export async function requireDaemon(socketPath: string, what: string): Promise<never> {
  const reason = await new Promise<string | undefined>((resolve) => {
    const sock = connect(socketPath);
    sock.once("connect", () => {
      sock.destroy();
      resolve(undefined);
    });
    sock.once("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
  if (reason) {
    throw new CliError(
      `netevd ${what}: the daemon is not reachable at ${socketPath} (${reason}); is it running? (systemctl status netevd)`,
      EXIT.UNAVAILABLE,
    );
  }
  throw new CliError(
    `netevd ${what}: something listens on ${socketPath}, but this version of netevd has no control API client yet`,
    EXIT.UNAVAILABLE,
  );
}
