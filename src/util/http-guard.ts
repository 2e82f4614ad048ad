// Every HTTP listener netevd opens (control API, metrics, dashboard) holds
// against clients that connect and never finish a request: Node's defaults
// wait a minute for headers and check only every 30 s, and a plain connection
// cap lets a few hundred silent clients lock everyone else out. Here a request
// must arrive within seconds, and a new connection over a cap takes the place
// of the oldest one that has no request in progress, so a real client (which
// sends its request at once) always gets through.
import type { Server, ServerOptions } from "node:http";
import type { Socket } from "node:net";

/** Headers within 5 s, the whole request within 10 s, checked every second. */
export const HTTP_TIMEOUTS: ServerOptions = {
  headersTimeout: 5_000,
  requestTimeout: 10_000,
  connectionsCheckingInterval: 1_000,
  keepAliveTimeout: 5_000,
};

export interface ConnectionLimits {
  /** Open connections in all. */
  total: number;
  /** Open connections from one address (all of a Unix socket's peers count as one). */
  perAddress: number;
}

export function limitConnections(server: Server, limits: ConnectionLimits): void {
  /** Connections with no request in progress, oldest first: the ones a newcomer may replace. */
  const waiting = new Set<Socket>();
  const perAddress = new Map<string, number>();
  let total = 0;
  const addressOf = (s: Socket) => s.remoteAddress ?? "local";
  const oldestWaiting = (address?: string): Socket | undefined => {
    for (const s of waiting) if (address === undefined || addressOf(s) === address) return s;
    return undefined;
  };

  server.on("connection", (sock: Socket) => {
    const address = addressOf(sock);
    const full = (perAddress.get(address) ?? 0) >= limits.perAddress;
    if (full || total >= limits.total) {
      const victim = oldestWaiting(full ? address : undefined);
      if (!victim) {
        // Every connection is serving a request: the newcomer waits for none of them.
        sock.destroy();
        return;
      }
      // Out of the waiting set now: its close comes later, and a newcomer in
      // the same turn must not pick it again.
      waiting.delete(victim);
      victim.destroy();
    }
    total++;
    perAddress.set(address, (perAddress.get(address) ?? 0) + 1);
    waiting.add(sock);
    sock.once("close", () => {
      waiting.delete(sock);
      total--;
      const n = (perAddress.get(address) ?? 1) - 1;
      if (n > 0) perAddress.set(address, n);
      else perAddress.delete(address);
    });
  });
  server.on("request", (req, res) => {
    const sock = req.socket;
    waiting.delete(sock);
    // Answered: a kept-alive connection waits again, as the newest.
    res.once("close", () => {
      if (!sock.destroyed) waiting.add(sock);
    });
  });
}
