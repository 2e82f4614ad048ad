// A netlink socket inside another network namespace, for the daemon that may
// not enter one (setns needs CAP_SYS_ADMIN). netevd-privileged, started on
// demand through its socket, opens it there and hands over the fd; a daemon
// that has CAP_SYS_ADMIN itself (run as root outside the unit) opens it alone.
import { posix } from "node:path";
import { NETNS_DIR } from "../config/netns-name";
import type { NativeBinding } from "../native/binding";
import { NETLINK_ROUTE } from "../netlink/constants";

const CAP_SYS_ADMIN = 21n;
const MAX_ANSWER_BYTES = 64 * 1024;

export interface NetnsSocketOptions {
  binding: NativeBinding;
  /** netevd-privileged's socket. */
  executor: string;
  timeoutMs: number;
}

const canEnter = (b: NativeBinding): boolean =>
  (b.getCapabilities().effective & (1n << CAP_SYS_ADMIN)) !== 0n;

/** The fd of an unbound NETLINK_ROUTE socket in namespace `name`; rejects with the reason. */
export function namespaceSocket(name: string, o: NetnsSocketOptions): Promise<number> {
  const path = posix.join(NETNS_DIR, name);
  if (canEnter(o.binding)) {
    try {
      return Promise.resolve(o.binding.openNetlinkIn(path, NETLINK_ROUTE));
    } catch (err) {
      return Promise.reject(new Error(`${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`));
    }
  }
  const request = Buffer.from(`${JSON.stringify({ netns_socket: name })}\n`);
  return new Promise((resolve, reject) => {
    o.binding.requestWithFd(o.executor, request, o.timeoutMs, (err, answer, fd) => {
      if (err) {
        reject(new Error(`${o.executor}: ${err.code} (is netevd-privileged.socket running?)`));
        return;
      }
      const reply = parseAnswer(answer);
      if (reply.ok && fd >= 0) {
        resolve(fd);
        return;
      }
      if (fd >= 0) o.binding.closeFd(fd);
      reject(
        new Error(reply.ok ? "netevd-privileged sent no socket" : `netevd-privileged: ${reply.refused}`),
      );
    });
  });
}

function parseAnswer(answer: Buffer | null): { ok: true } | { ok: false; refused: string } {
  const line = answer && answer.length <= MAX_ANSWER_BYTES ? answer.toString("utf8").split("\n")[0] : "";
  try {
    const r = JSON.parse(line ?? "") as { ok?: unknown; refused?: unknown };
    if (r.ok === true) return { ok: true };
    if (r.ok === false && typeof r.refused === "string") return { ok: false, refused: r.refused };
  } catch {
    // below
  }
  return { ok: false, refused: "its answer could not be read" };
}
