// Commands that ask the running daemon go through its API socket (netevd.8, CONTROL API AND METRICS):
// HTTP/1.1 + JSON over the Unix socket. Not reachable: exit 69 with the reason.
import { FatalError, EXIT } from "../errors";
import { readLines } from "../util/text-lines";
import { lazy } from "../util/lazy";

// Loaded when a command calls the daemon, not for every command.
const http = lazy(() => require("node:http") as typeof import("node:http"));

/** An answer: the expected body on 2xx, an ErrorBody otherwise (see src/api/types.ts). */
export interface ApiReply<T> {
  status: number;
  body: T;
}

function unreachable(socket: string, what: string, reason: string): FatalError {
  if (reason === "EACCES")
    return new FatalError(
      `netevd ${what}: permission denied on ${socket}: root and members of group netevd may use it`,
      EXIT.NOPERM,
    );
  return new FatalError(
    `netevd ${what}: the daemon is not reachable at ${socket} (${reason}); is it running? (systemctl status netevd)`,
    EXIT.UNAVAILABLE,
  );
}

export function apiCall<T>(
  socket: string,
  what: string,
  method: "GET" | "POST",
  path: string,
): Promise<ApiReply<T>> {
  return new Promise((resolve, reject) => {
    const req = http().request({ socketPath: socket, method, path, timeout: 10_000 }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => {
        try {
          // The daemon's own answer, typed by the caller's endpoint (the types are shared).
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as T });
        } catch {
          reject(
            new FatalError(
              `netevd ${what}: the daemon's answer is not JSON: ${text.slice(0, 200)}`,
              EXIT.FAILURE,
            ),
          );
        }
      });
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", (err: NodeJS.ErrnoException) =>
      reject(unreachable(socket, what, err.code ?? err.message)),
    );
    req.end();
  });
}

/** GET /v1/events?follow=1: calls `line` for every event as it arrives, until the daemon closes. */
export function apiStream(
  socket: string,
  what: string,
  path: string,
  line: (json: string) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http().request({ socketPath: socket, method: "GET", path }, (res) => {
      readLines(res, line);
      res.on("end", () => resolve());
    });
    req.on("error", (err: NodeJS.ErrnoException) =>
      reject(unreachable(socket, what, err.code ?? err.message)),
    );
    req.end();
  });
}
