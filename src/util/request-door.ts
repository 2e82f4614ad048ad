// A Unix socket that takes one request line per connection from a few known
// peers: the kernel names the peer (SO_PEERCRED) before a byte is read, each
// uid holds a bounded number of connections, the line has a size and a time
// limit, and nothing after it is ever read. The privileged executor and the
// hook runner both serve through it.
import type { Server, Socket } from "node:net";
import type { Logger } from "../log/logger";
import type { NativeBinding } from "../native/binding";

/** After the answer, how long the peer has to close its end before the connection is cut. */
const CLOSE_DEADLINE_MS = 1_000;
const READ_TIMEOUT_MS = 10_000;

export interface DoorOptions {
  binding: Pick<NativeBinding, "peerCredentials">;
  log: Logger;
  /** Undefined when this uid may ask, else why not. */
  allowed(uid: number): string | undefined;
  maxRequestBytes: number;
  maxConnections: number;
  maxPerUid: number;
  /** The protocol's refusal line for `why` (logged by the door). */
  refusal(why: string): string;
  /** The request line; the handler answers and ends the connection with finish(). */
  request(line: string, sock: Socket, who: string): void;
}

/** libuv's fd of an accepted connection: the one thing net.Socket does not expose. */
export function socketFd(sock: Socket): number | undefined {
  const fd = (sock as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === "number" && fd >= 0 ? fd : undefined;
}

/** The answer (if any), no more reading, and a short deadline for the peer to close. */
export function finish(sock: Socket, answer?: string | Buffer): void {
  sock.removeAllListeners("data");
  sock.pause();
  if (!sock.writable) sock.destroy();
  else if (answer === undefined) sock.end();
  else sock.end(answer);
  setTimeout(() => sock.destroy(), CLOSE_DEADLINE_MS).unref();
}

export function serveDoor(server: Server, o: DoorOptions): void {
  let connections = 0;
  const perUid = new Map<number, number>();
  const refuse = (sock: Socket, who: string, why: string) => {
    o.log.warn(`refused a connection from ${who}: ${why}`);
    finish(sock, o.refusal(why));
  };
  server.on("connection", (sock) => {
    sock.on("error", () => sock.destroy());
    const fd = socketFd(sock);
    let peer: { pid: number; uid: number } | undefined;
    try {
      if (fd !== undefined) peer = o.binding.peerCredentials(fd);
    } catch {
      // below: a peer that cannot be named is refused
    }
    const who = peer ? `uid ${peer.uid} pid ${peer.pid}` : "an unknown peer";
    if (!peer) return refuse(sock, who, "its credentials cannot be read");
    const notAllowed = o.allowed(peer.uid);
    if (notAllowed) return refuse(sock, who, notAllowed);
    const uid = peer.uid;
    const held = perUid.get(uid) ?? 0;
    if (connections >= o.maxConnections)
      return refuse(sock, who, `more than ${o.maxConnections} connections`);
    if (held >= o.maxPerUid) return refuse(sock, who, `more than ${o.maxPerUid} connections from uid ${uid}`);
    connections++;
    perUid.set(uid, held + 1);
    sock.once("close", () => {
      connections--;
      const n = (perUid.get(uid) ?? 1) - 1;
      if (n > 0) perUid.set(uid, n);
      else perUid.delete(uid);
    });
    readLine(sock, who, o, (why) => refuse(sock, who, why));
  });
}

/** One request line, then nothing more is read. */
function readLine(sock: Socket, who: string, o: DoorOptions, refuse: (why: string) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let done = false;
  const timer = setTimeout(() => {
    done = true;
    refuse(`no complete request within ${READ_TIMEOUT_MS / 1000} s`);
  }, READ_TIMEOUT_MS);
  sock.on("data", (chunk: Buffer) => {
    if (done) return;
    const nl = chunk.indexOf(0x0a);
    size += nl < 0 ? chunk.length : nl;
    if (size > o.maxRequestBytes) {
      done = true;
      clearTimeout(timer);
      refuse(`request longer than ${o.maxRequestBytes} bytes`);
      return;
    }
    chunks.push(nl < 0 ? chunk : chunk.subarray(0, nl));
    if (nl < 0) return;
    done = true;
    clearTimeout(timer);
    // Whatever follows the line is never read.
    sock.removeAllListeners("data");
    sock.pause();
    o.request(Buffer.concat(chunks).toString("utf8"), sock, who);
  });
  sock.once("close", () => clearTimeout(timer));
}

/** A server on systemd's socket (LISTEN_FDS) or, for tests and runs by hand, on a path of its own. */
export function listenDoor(server: Server, listenPath: string | undefined, missing: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    const fromSystemd = process.env.LISTEN_FDS === "1" && process.env.LISTEN_PID === String(process.pid);
    if (fromSystemd) server.listen({ fd: 3 }, () => resolve(server));
    else if (listenPath) server.listen(listenPath, () => resolve(server));
    else reject(new Error(missing));
  });
}
