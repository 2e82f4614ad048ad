// netevd's HTTP listeners under clients that connect and never finish a
// request: while 300 such connections are held against each of the metrics
// listener, the API over TCP and `netevd dashboard`, /healthz, the API and the
// page keep answering. The dashboard also refuses a Host that is not its own
// (DNS rebinding) and takes a token that ends in "=". Before: 65 silent
// clients locked the dashboard out, 257 the metrics listener, for a minute.
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CLI } from "../helpers/cli";
import { apiConfig, startDaemon } from "../helpers/daemon";
import { canNetns, createNetns } from "../helpers/netns";
import { waitFor } from "../helpers/proc";

const HELD = 300;

let dashboard: ChildProcess | undefined;
const held: Socket[] = [];
afterEach(() => {
  dashboard?.kill();
  dashboard = undefined;
  for (const s of held.splice(0)) s.destroy();
});

/**
 * Run inside the namespace: hold HELD half-sent requests on each port, then
 * ask each for `path` and print its status per port, then let go.
 */
const SLOW_CLIENTS = `
const net = require("node:net"), http = require("node:http");
const [ports, paths, token] = [process.argv[1].split(","), process.argv[2].split(","), process.argv[3]];
const open = (port) => new Promise((r) => {
  const s = net.connect(port, "127.0.0.1", () => { s.write("GET /healthz HTTP/1.1\\r\\nHo"); r(s); });
  s.on("error", () => r(s));
});
const get = (port, path) => new Promise((r) => {
  const req = http.get({ host: "127.0.0.1", port, path, agent: false, headers: { authorization: "Bearer " + token } },
    (res) => { res.resume(); r(res.statusCode); });
  req.on("error", (e) => r(e.code));
});
(async () => {
  const socks = [];
  for (const p of ports) for (let i = 0; i < ${HELD}; i++) socks.push(await open(Number(p)));
  const answers = [];
  for (let i = 0; i < ports.length; i++) answers.push(await get(Number(ports[i]), paths[i]));
  console.log(JSON.stringify({ answers, open: socks.filter((s) => !s.destroyed).length }));
  for (const s of socks) s.destroy();
})();
`;

function inNamespace(ns: string, args: string[]): Promise<string> {
  const child = spawn("ip", ["netns", "exec", ns, process.execPath, "-e", SLOW_CLIENTS, ...args]);
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  return new Promise((r) => child.on("exit", () => r(out)));
}

/** One request, its status code (or the error's code). */
function get(port: number, path: string, headers: Record<string, string> = {}): Promise<number | string> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1", () => {
      const lines = Object.entries({ host: `127.0.0.1:${port}`, ...headers }).map(([k, v]) => `${k}: ${v}`);
      s.write(`GET ${path} HTTP/1.1\r\n${lines.join("\r\n")}\r\nconnection: close\r\n\r\n`);
    });
    let text = "";
    s.on("data", (d: Buffer) => (text += d.toString()));
    s.on("end", () => resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1] ?? 0)));
    s.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? "error"));
  });
}

describe.runIf(canNetns)("HTTP listeners under slow clients", () => {
  it("metrics and the API over TCP answer while 300 half-sent requests are held against each", async () => {
    const ns = createNetns();
    const { dir, config } = apiConfig();
    const token = join(dir, "token");
    writeFileSync(token, "s3cret-token\n");
    writeFileSync(
      config,
      `${readFileSync(config, "utf8")}metrics: { listen: "127.0.0.1:9189" }\n`.replace(
        /api: \{ socket: ([^}]+) \}/,
        `api: { socket: $1, listen: "127.0.0.1:9188", token_file: ${token} }`,
      ),
    );
    const d = startDaemon(ns, config);
    expect(await waitFor(() => d.output().includes("ready: ")), d.output()).toBe(true);
    const out = await inNamespace(ns, ["9189,9188", "/healthz,/v1/status", "s3cret-token"]);
    const r = JSON.parse(out) as { answers: (number | string)[]; open: number };
    expect(r.answers, out).toEqual([200, 200]);
    d.child.kill("SIGTERM");
    expect(await d.exit).toBe(0);
  });

  it("the dashboard serves its page while 300 are held; refuses a foreign Host; takes a token ending in =", async () => {
    const { dir, config } = apiConfig();
    const ns = createNetns();
    const d = startDaemon(ns, config);
    expect(await waitFor(() => d.output().includes("ready: ")), d.output()).toBe(true);
    const tokenFile = join(dir, "dashboard-token");
    writeFileSync(tokenFile, "c2VjcmV0LXRva2VuLTE=\n");
    dashboard = spawn(
      process.execPath,
      [CLI, "--config", config, "dashboard", "--listen", "127.0.0.1:0", "--token-file", tokenFile],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let printed = "";
    dashboard.stdout?.on("data", (b: Buffer) => (printed += b.toString()));
    dashboard.stderr?.on("data", (b: Buffer) => (printed += b.toString()));
    expect(await waitFor(() => /open (http\S+)/.test(printed)), printed).toBe(true);
    const url = new URL(/open (http\S+)/.exec(printed)?.[1] as string);
    const port = Number(url.port);
    const cookie = `netevd_dashboard_${port}=c2VjcmV0LXRva2VuLTE=`;

    // The printed URL works, and its cookie (named with the port) carries the whole token.
    const first = await new Promise<{ status: number; setCookie: string }>((resolve) => {
      const s = connect(port, "127.0.0.1", () =>
        s.write(
          `GET ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\nconnection: close\r\n\r\n`,
        ),
      );
      let text = "";
      s.on("data", (b: Buffer) => (text += b.toString()));
      s.on("end", () =>
        resolve({
          status: Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1]),
          setCookie: /^set-cookie: ([^;]+)/im.exec(text)?.[1] ?? "",
        }),
      );
    });
    expect(first).toEqual({ status: 303, setCookie: cookie });
    expect(await get(port, "/", { cookie: `other=1; ${cookie}` })).toBe(200);

    // DNS rebinding: the right cookie, a foreign name.
    expect(await get(port, "/", { cookie, host: `rebind.example:${port}` })).toBe(421);
    expect(await get(port, "/", { cookie, host: `localhost:${port}` })).toBe(200);

    for (let i = 0; i < HELD; i++) {
      const s = connect(port, "127.0.0.1", () => s.write("GET / HTTP/1.1\r\nHo"));
      s.on("error", () => undefined);
      held.push(s);
    }
    await Promise.all(held.map((s) => new Promise((r) => (s.connecting ? s.once("connect", r) : r(null)))));
    expect(await get(port, "/", { cookie })).toBe(200);
    expect(await get(port, "/api/status", { cookie })).toBe(200);
    d.child.kill("SIGTERM");
    expect(await d.exit).toBe(0);
  });
});
