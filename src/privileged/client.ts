// The daemon's side: one request to netevd-privileged.socket per privileged
// hook run, answered when the hook has ended.
import { connect } from "node:net";
import { type PrivilegedReply, type PrivilegedRequest, PRIVILEGED_SOCKET } from "./request";

const MAX_REPLY_BYTES = 64 * 1024;

/** The socket: $NETEVD_PRIVILEGED_SOCKET (tests), else the packaged one. */
export function privilegedSocket(env: NodeJS.ProcessEnv = process.env): string {
  return env.NETEVD_PRIVILEGED_SOCKET || PRIVILEGED_SOCKET;
}

/** Never rejects: an unreachable executor or a reply that never comes is a refusal with its reason. */
export function askPrivileged(
  socket: string,
  req: PrivilegedRequest,
  waitMs: number,
): Promise<PrivilegedReply> {
  return new Promise((resolve) => {
    const sock = connect(socket);
    let buf = Buffer.alloc(0);
    let settled = false;
    const settle = (r: PrivilegedReply) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    const timer = setTimeout(
      () => settle({ ok: false, refused: `no answer from ${socket} within ${Math.round(waitMs / 1000)} s` }),
      waitMs,
    );
    sock.on("error", (e: NodeJS.ErrnoException) =>
      settle({
        ok: false,
        refused: `${socket}: ${e.code ?? e.message} (is netevd-privileged.socket running?)`,
      }),
    );
    sock.on("connect", () => sock.write(`${JSON.stringify(req)}\n`));
    sock.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const nl = buf.indexOf(0x0a);
      if (nl < 0 && buf.length <= MAX_REPLY_BYTES) return;
      settle(parseReply(nl < 0 ? "" : buf.subarray(0, nl).toString("utf8")));
    });
    sock.on("end", () => settle({ ok: false, refused: `${socket} closed the connection without an answer` }));
  });
}

function parseReply(line: string): PrivilegedReply {
  try {
    const r = JSON.parse(line) as PrivilegedReply;
    if (r && typeof r === "object" && (r.ok === true || (r.ok === false && typeof r.refused === "string")))
      return r;
  } catch {
    // below
  }
  return { ok: false, refused: "the executor's answer could not be read" };
}
