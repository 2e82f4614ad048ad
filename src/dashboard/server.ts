// `netevd dashboard`: a page on 127.0.0.1 built from the control socket, in
// the manner of `kubectl proxy`: whoever may use the socket (root, group
// netevd) runs it, and it forwards read-only GETs and the live event and run
// streams. Every request needs the token (loopback is open to every local
// user, the socket is not), taken once from the URL into a cookie.
import { randomBytes } from "node:crypto";
import { bearerToken, tokenMatches } from "../util/bearer";
import {
  type ClientRequest,
  createServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { cookieValue, hostAllowed } from "./request-checks";
import { HTTP_TIMEOUTS, limitConnections } from "../util/http-guard";
import { readLines } from "../util/text-lines";
import { APP_JS } from "./app-script";
import { APP_CSS, INDEX_HTML } from "./page";

export interface DashboardOptions {
  /** The daemon's control socket. */
  socket: string;
  host: string;
  port: number;
  token?: string;
}

/** The control API's read-only endpoints the page uses. */
const ENDPOINTS = new Set(["status", "links", "routes", "rules", "events", "runs", "scripts"]);
/** Pages open at once, and the bytes one may leave unread before it is dropped. */
const MAX_LIVE = 16;
const LIVE_BUFFER = 1 << 20;
/** The cookie's name carries the port: cookies ignore ports, and two dashboards must not overwrite each other's. */
const COOKIE = "netevd_dashboard";
const SECURITY_HEADERS = {
  // Only its own script and style; nothing loads from elsewhere.
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

const STATIC: Record<string, { type: string; body: string }> = {
  "/": { type: "text/html; charset=utf-8", body: INDEX_HTML },
  "/app.js": { type: "text/javascript; charset=utf-8", body: APP_JS },
  "/app.css": { type: "text/css; charset=utf-8", body: APP_CSS },
};

function reply(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    "content-type": type,
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}

const replyError = (res: ServerResponse, status: number, error: string) =>
  reply(res, status, "application/json", `${JSON.stringify({ error })}\n`);

export class DashboardServer {
  private server: Server | undefined;
  private port = 0;
  private readonly live = new Set<ServerResponse>();
  readonly token: string;

  constructor(private readonly opts: DashboardOptions) {
    this.token = opts.token ?? randomBytes(18).toString("base64url");
  }

  /** Listens; resolves with the URL to open (it carries the token). */
  async start(): Promise<string> {
    const server = createServer(HTTP_TIMEOUTS, (req, res) => this.handle(req, res));
    limitConnections(server, { total: 64, perAddress: 64 });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.opts.port, this.opts.host, () => resolve());
    });
    this.server = server;
    const { port } = server.address() as AddressInfo;
    this.port = port;
    const host = this.opts.host.includes(":") ? `[${this.opts.host}]` : this.opts.host;
    return `http://${host}:${port}/?token=${encodeURIComponent(this.token)}`;
  }

  close(): void {
    for (const res of this.live) res.destroy();
    this.server?.close();
  }

  private get cookieName(): string {
    return `${COOKIE}_${this.port}`;
  }

  private authorized(req: IncomingMessage, url: URL): boolean {
    const bearer = bearerToken(req.headers);
    return tokenMatches(
      url.searchParams.get("token") ?? bearer ?? cookieValue(req.headers.cookie, this.cookieName),
      this.token,
    );
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://dashboard");
    if (req.method !== "GET" && req.method !== "HEAD") return replyError(res, 405, "use GET");
    // A page on another site whose name was made to resolve to this address (DNS rebinding) sends its own name.
    if (!hostAllowed(req.headers.host, this.opts.host, this.port))
      return replyError(res, 421, "the Host header names neither this address nor localhost");
    if (!this.authorized(req, url))
      return replyError(res, 401, "open the URL netevd dashboard printed (it carries the token)");
    if (url.searchParams.has("token")) {
      // The token moves into a cookie and out of the address bar and history.
      res.writeHead(303, {
        ...SECURITY_HEADERS,
        location: "/",
        "set-cookie": `${this.cookieName}=${this.token}; HttpOnly; SameSite=Strict; Path=/`,
      });
      res.end();
      return;
    }
    const page = STATIC[url.pathname];
    if (page) return reply(res, 200, page.type, page.body);
    if (url.pathname === "/api/live") return this.follow(req, res);
    const name = /^\/api\/([a-z]+)$/.exec(url.pathname)?.[1];
    if (name && ENDPOINTS.has(name)) return this.forward(`/v1/${name}`, res);
    replyError(res, 404, `nothing at ${url.pathname}`);
  }

  /** A GET on the control socket; a stream (follow) has no idle timeout. */
  private upstream(
    path: string,
    onResponse: (up: IncomingMessage) => void,
    onError: (err: Error) => void,
    stream = false,
  ): ClientRequest {
    const up = request(
      { socketPath: this.opts.socket, method: "GET", path, ...(stream ? {} : { timeout: 10_000 }) },
      onResponse,
    );
    up.on("timeout", () => up.destroy(new Error("the daemon did not answer in time")));
    up.on("error", onError);
    up.end();
    return up;
  }

  /** One GET, passed through as the daemon answered it. */
  private forward(path: string, res: ServerResponse): void {
    this.upstream(
      path,
      (up) => {
        res.writeHead(up.statusCode ?? 502, {
          ...SECURITY_HEADERS,
          "content-type": up.headers["content-type"] ?? "application/json",
        });
        up.pipe(res);
      },
      (err) => {
        if (!res.headersSent) replyError(res, 502, `the daemon is not reachable: ${err.message}`);
        else res.destroy();
      },
    );
  }

  /**
   * Server-sent events: the daemon's event and run streams, one SSE event
   * per line ("event" or "run"). The page reconnects by itself when the
   * daemon restarts.
   */
  private follow(req: IncomingMessage, res: ServerResponse): void {
    if (this.live.size >= MAX_LIVE) return replyError(res, 503, `at most ${MAX_LIVE} pages at once`);
    res.writeHead(200, { ...SECURITY_HEADERS, "content-type": "text/event-stream" });
    res.write("retry: 1000\n\n");
    this.live.add(res);
    const streams: ClientRequest[] = [];
    const end = () => {
      for (const s of streams) s.destroy();
      this.live.delete(res);
      res.end();
    };
    for (const kind of ["event", "run"] as const) {
      streams.push(
        this.upstream(
          `/v1/${kind}s?follow=1`,
          (up) => {
            readLines(
              up,
              (line) => {
                // A page that stopped reading is dropped, so it holds a bounded amount.
                if (res.writableLength > LIVE_BUFFER) return end();
                if (line) res.write(`event: ${kind}\ndata: ${line}\n\n`);
              },
              LIVE_BUFFER,
              end,
            );
            up.on("end", end);
          },
          end,
          true,
        ),
      );
    }
    req.on("close", end);
  }
}
