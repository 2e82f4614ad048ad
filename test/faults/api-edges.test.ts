// Small hostile requests to the control API, and a CLI that may not open the
// socket: clear answers, no error-log flood.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type ApiHandlers, ApiServer } from "../../src/api/server";
import { getLogger } from "../../src/log/logger";
import { CLI } from "../helpers/cli";
import { captureLogs } from "../helpers/logs";
import { isRoot, tempDir } from "../helpers/tmp";

const handlers: ApiHandlers = {
  status: () => ({
    version: "x",
    backend: "none",
    backend_mode: "configured",
    backend_reason: "configured",
    backend_problem: null,
    state: "running",
    ready: true,
    dry_run: false,
    config: "",
    uptime_seconds: 0,
    links: 0,
    policy_rules: 0,
    policy_routes: 0,
    namespaces: 0,
  }),
  links: () => [],
  link: () => undefined,
  namespaces: () => [],
  routes: () => [],
  rules: () => [],
  scripts: () => [],
  recentEvents: () => [],
  subscribe: () => () => undefined,
  recentRuns: () => [],
  subscribeRuns: () => () => undefined,
  reload: () => ({ ok: true, errors: [], warnings: [] }),
  metrics: () => Promise.resolve({ contentType: "text/plain", text: "" }),
};

const get = (opts: { socketPath?: string; port?: number; path: string; auth?: string }) =>
  new Promise<number>((resolve, reject) => {
    const req = request(
      {
        ...(opts.socketPath ? { socketPath: opts.socketPath } : { host: "127.0.0.1", port: opts.port }),
        path: opts.path,
        headers: opts.auth ? { authorization: opts.auth } : {},
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end();
  });

describe("control API edges", () => {
  const logs = captureLogs();

  it("a malformed link name is a 400, logged as nothing; the bearer scheme is case-insensitive", async () => {
    const dir = tempDir();
    const token = join(dir, "token");
    writeFileSync(token, "s3cret\n");
    const port = 20000 + (process.pid % 20000);
    const api = new ApiServer({
      socket: join(dir, "api.sock"),
      listen: `127.0.0.1:${port}`,
      tokenFile: token,
      handlers,
      log: getLogger("api"),
    });
    await api.start();
    try {
      for (let i = 0; i < 20; i++)
        expect(await get({ socketPath: join(dir, "api.sock"), path: "/v1/links/%" })).toBe(400);
      expect(logs.filter((r) => r.level === "error")).toEqual([]);
      expect(await get({ port, path: "/healthz", auth: "bearer s3cret" })).toBe(200);
      expect(await get({ port, path: "/healthz", auth: "BEARER s3cret" })).toBe(200);
      expect(await get({ port, path: "/healthz", auth: "Bearer S3CRET" })).toBe(401);
    } finally {
      api.close();
    }
  });

  it.runIf(isRoot)("netevd status on a socket it may not open: exit 77, permission denied", async () => {
    const dir = tempDir();
    const socket = join(dir, "api.sock");
    const server = createServer((c) => c.destroy());
    await new Promise<void>((r) => server.listen(socket, r));
    try {
      const config = join(dir, "netevd.yaml");
      writeFileSync(config, `api: { socket: ${socket} }\n`);
      const r = spawnSync(
        "setpriv",
        [
          "--reuid=65534",
          "--regid=65534",
          "--clear-groups",
          process.execPath,
          CLI,
          "status",
          "--config",
          config,
        ],
        { encoding: "utf8", timeout: 20_000 },
      );
      expect(r.status, r.stderr).toBe(77);
      expect(r.stderr).toContain("permission denied");
    } finally {
      server.close();
    }
  });
});
