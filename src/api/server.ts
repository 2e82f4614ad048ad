// The control API (netevd.8, CONTROL API AND METRICS): HTTP/1.1 + JSON on a Unix socket (mode 0660,
// the daemon's group), optionally on TCP when api.listen is set, and then every
// request needs the bearer token from api.token_file. Read-only endpoints plus
// POST /v1/reload; /v1/events?follow=1 and /v1/runs?follow=1 stream
// newline-delimited JSON.
import { chmodSync, existsSync, rmSync } from "node:fs";
import { readRegularFile } from "../util/read-regular";
import { bearerToken, tokenMatches } from "../util/bearer";
import { HTTP_TIMEOUTS, limitConnections } from "../util/http-guard";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { connect } from "node:net";
import type { Logger } from "../log/logger";
import type {
  EventBody,
  LinkBody,
  NamespaceBody,
  ReloadBody,
  RouteBody,
  RuleBody,
  RunBody,
  ScriptsBody,
  StatusBody,
} from "./types";

export interface EventFilter {
  link?: string;
  event?: string;
}

export interface ApiHandlers {
  status(): StatusBody;
  /** Links of netevd's own namespace, or of a watched one (undefined: not watched). */
  links(netns?: string): LinkBody[] | undefined;
  link(name: string, netns?: string): LinkBody | undefined;
  namespaces(): NamespaceBody[];
  routes(): RouteBody[];
  rules(): RuleBody[];
  scripts(): ScriptsBody[];
  recentEvents(f: EventFilter): EventBody[];
  /** Calls `send` for every new event matching the filter; returns the unsubscribe. */
  subscribe(f: EventFilter, send: (e: EventBody) => void): () => void;
  /** The last script runs, and new ones as they finish. */
  recentRuns(f: EventFilter): RunBody[];
  subscribeRuns(f: EventFilter, send: (r: RunBody) => void): () => void;
  reload(): ReloadBody;
  metrics(): Promise<{ contentType: string; text: string }>;
}

/** What /v1/events and /v1/runs serve: the recent entries, and new ones as they come. */
interface Feed {
  recent: (f: EventFilter) => object[];
  subscribe: (f: EventFilter, send: (e: object) => void) => () => void;
}

export interface ApiOptions {
  socket: string;
  /** "host:port" or "" (off). */
  listen: string;
  tokenFile: string;
  /** "host:port" serving only /metrics and /healthz, without a token; "" (off). */
  metricsListen?: string;
  handlers: ApiHandlers;
  log: Logger;
}

/** Followers of /v1/events at once, and the bytes one may leave unread before it is dropped. */
export const MAX_FOLLOWERS = 64;
const FOLLOWER_BUFFER = 1 << 20;
/** Open connections per listener, and from one TCP address (see util/http-guard); a Unix socket's peers are one. */
const LIMITS = { total: 256, perAddress: 64 };
const LOCAL_LIMITS = { total: 256, perAddress: 256 };

/** One event's line, serialized once however many follow it. */
const lines = new WeakMap<object, string>();
const lineOf = (e: object): string => {
  let line = lines.get(e);
  if (line === undefined) {
    line = `${JSON.stringify(e)}\n`;
    lines.set(e, line);
  }
  return line;
};

const decodeName = (text: string): string | null => {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
};

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body, null, 2)}\n`;
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** A socket file no one listens on (left by a killed daemon) is removed; a live one is an error. */
async function clearStaleSocket(path: string): Promise<void> {
  if (!existsSync(path)) return;
  const alive = await new Promise<boolean>((resolve) => {
    const s = connect(path);
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
  if (alive) throw new Error(`${path}: another netevd is listening there`);
  rmSync(path, { force: true });
}

export class ApiServer {
  private readonly servers: Server[] = [];
  private readonly streams = new Set<ServerResponse>();
  private token: Buffer | null = null;

  constructor(private readonly opts: ApiOptions) {}

  async start(): Promise<void> {
    await clearStaleSocket(this.opts.socket);
    const local = createServer(HTTP_TIMEOUTS, (req, res) => void this.handle(req, res, "socket"));
    limitConnections(local, LOCAL_LIMITS);
    await new Promise<void>((resolve, reject) => {
      local.once("error", reject);
      local.listen(this.opts.socket, () => resolve());
    });
    chmodSync(this.opts.socket, 0o660);
    this.servers.push(local);
    if (this.opts.listen) {
      this.token = Buffer.from(readRegularFile(this.opts.tokenFile, 4096).toString("utf8").trim());
      if (this.token.length === 0) throw new Error(`api.token_file ${this.opts.tokenFile} is empty`);
      await this.listenTcp(this.opts.listen, (req, res) => void this.handle(req, res, "tcp"));
    }
    if (this.opts.metricsListen)
      await this.listenTcp(this.opts.metricsListen, (req, res) => void this.handle(req, res, "metrics"));
  }

  private async listenTcp(
    address: string,
    handler: (req: IncomingMessage, res: ServerResponse) => void,
  ): Promise<void> {
    const i = address.lastIndexOf(":");
    const host = address.slice(0, i).replace(/^\[|\]$/g, "");
    const port = Number(address.slice(i + 1));
    const tcp = createServer(HTTP_TIMEOUTS, handler);
    limitConnections(tcp, LIMITS);
    await new Promise<void>((resolve, reject) => {
      tcp.once("error", reject);
      tcp.listen(port, host, () => resolve());
    });
    this.servers.push(tcp);
  }

  private authorized(req: IncomingMessage): boolean {
    return tokenMatches(bearerToken(req.headers), this.token);
  }

  /** `via`: the Unix socket, the API's TCP listener (token), or the metrics-only one. */
  private async handle(
    req: IncomingMessage,
    res: ServerResponse,
    via: "socket" | "tcp" | "metrics",
  ): Promise<void> {
    try {
      if (via === "tcp" && !this.authorized(req)) {
        res.setHeader("www-authenticate", "Bearer");
        send(res, 401, { error: "a bearer token (api.token_file) is required" });
        return;
      }
      const url = new URL(req.url ?? "/", "http://netevd");
      const path = url.pathname.replace(/\/+$/, "") || "/";
      const get = req.method === "GET" || req.method === "HEAD";
      const h = this.opts.handlers;
      if (via === "metrics" && path !== "/metrics" && path !== "/healthz")
        return send(res, 404, { error: "this address serves only /metrics and /healthz" });
      if (path === "/v1/reload") {
        if (req.method !== "POST") return send(res, 405, { error: "use POST" });
        const r = h.reload();
        return send(res, r.ok ? 200 : 422, r);
      }
      if (!get) return send(res, 405, { error: "use GET" });
      if (path === "/healthz") {
        res.writeHead(200, { "content-type": "text/plain" });
        res.end("ok\n");
        return;
      }
      if (path === "/metrics") {
        const m = await h.metrics();
        res.writeHead(200, { "content-type": m.contentType });
        res.end(m.text);
        return;
      }
      if (path === "/v1/status") return send(res, 200, h.status());
      const netns = url.searchParams.get("netns") ?? undefined;
      const noNetns = { error: `namespace ${JSON.stringify(netns)} is not watched (monitoring.namespaces)` };
      if (path === "/v1/links") {
        const links = h.links(netns);
        return links ? send(res, 200, links) : send(res, 404, noNetns);
      }
      if (path === "/v1/namespaces") return send(res, 200, h.namespaces());
      if (path.startsWith("/v1/links/")) {
        const name = decodeName(path.slice("/v1/links/".length));
        if (name === null) return send(res, 400, { error: "the link name is not valid percent-encoding" });
        const link = h.link(name, netns);
        return link ? send(res, 200, link) : send(res, 404, { error: "no such link" });
      }
      if (path === "/v1/routes") return send(res, 200, h.routes());
      if (path === "/v1/rules") return send(res, 200, h.rules());
      if (path === "/v1/scripts") return send(res, 200, h.scripts());
      if (path === "/v1/events" || path === "/v1/runs") {
        const f: EventFilter = {
          ...(url.searchParams.get("link") ? { link: url.searchParams.get("link") as string } : {}),
          ...(url.searchParams.get("event") ? { event: url.searchParams.get("event") as string } : {}),
        };
        const feed: Feed =
          path === "/v1/events"
            ? { recent: (x) => h.recentEvents(x), subscribe: (x, s) => h.subscribe(x, s) }
            : { recent: (x) => h.recentRuns(x), subscribe: (x, s) => h.subscribeRuns(x, s) };
        if (url.searchParams.get("follow") !== "1") return send(res, 200, feed.recent(f));
        return this.follow(res, f, feed);
      }
      send(res, 404, { error: `no endpoint ${path}` });
    } catch (err) {
      this.opts.log.error(`API ${req.method} ${req.url}: ${(err as Error).message}`);
      if (!res.headersSent) send(res, 500, { error: (err as Error).message });
      else res.end();
    }
  }

  /**
   * A follower gets every new event, written as it comes. One that stops
   * reading is dropped once FOLLOWER_BUFFER bytes wait for it, so a stalled
   * reader costs a bounded amount of memory; at most MAX_FOLLOWERS at once.
   */
  private follow(res: ServerResponse, f: EventFilter, { recent, subscribe }: Feed): void {
    if (this.streams.size >= MAX_FOLLOWERS)
      return send(res, 503, { error: `too many event followers (at most ${MAX_FOLLOWERS})` });
    res.writeHead(200, { "content-type": "application/x-ndjson" });
    // The answer starts now, events or not: a client knows it is following.
    res.flushHeaders();
    for (const e of recent(f)) res.write(`${JSON.stringify(e)}\n`);
    this.streams.add(res);
    const off = subscribe(f, (e) => {
      if (res.writableLength > FOLLOWER_BUFFER) {
        this.opts.log.warn(
          `an event follower stopped reading (${res.writableLength} bytes waiting); dropped`,
        );
        off();
        res.destroy();
        return;
      }
      res.write(lineOf(e));
    });
    res.on("close", () => {
      off();
      this.streams.delete(res);
    });
  }

  close(): void {
    for (const s of this.streams) s.end();
    for (const s of this.servers) s.close();
    rmSync(this.opts.socket, { force: true });
  }
}
