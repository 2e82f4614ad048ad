import type { Command } from "commander";
import { EXIT, FatalError } from "../../errors";
import { contextOf, requireConfig } from "../context";
import { apiCall } from "../daemon-client";
import { lazy } from "../../util/lazy";

const dashboard = lazy(() => require("../../dashboard/server") as typeof import("../../dashboard/server"));
const tokens = lazy(() => require("../../util/read-regular") as typeof import("../../util/read-regular"));

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/** "host:port", "[v6]:port" or a port alone (on 127.0.0.1). */
function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(text) ?? /^()()(\d+)$/.exec(text);
  const port = Number(m?.[3]);
  if (!m || !Number.isInteger(port) || port > 65535)
    throw new FatalError(`netevd dashboard: --listen ${text}: expected HOST:PORT or PORT`, EXIT.USAGE);
  return { host: m[1] || m[2] || "127.0.0.1", port };
}

export function registerDashboard(program: Command): void {
  program
    .command("dashboard")
    .description(
      "serve a live page of links, policy routing, events and script runs (from the control socket)",
    )
    .option(
      "--listen <host:port>",
      "where to serve it; another address than loopback needs care",
      "127.0.0.1:8091",
    )
    .option("--token-file <path>", "the access token (default: a new random one, printed in the URL)")
    .action(async (o: { listen: string; tokenFile?: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const { host, port } = parseListen(o.listen);
      if (!LOOPBACK.test(host))
        ctx.err(
          `netevd dashboard: serving on ${host}, not loopback: anyone who can reach it and has the token sees your network's state\n`,
        );
      const { config } = requireConfig(ctx);
      // Fail now, with the reason (permission, not running), rather than on the page.
      await apiCall(config.api.socket, "dashboard", "GET", "/v1/status");
      const token = o.tokenFile
        ? tokens().readRegularFile(o.tokenFile, 4096).toString("utf8").trim()
        : undefined;
      if (token === "") throw new FatalError(`netevd dashboard: ${o.tokenFile} is empty`, EXIT.CONFIG);
      const server = new (dashboard().DashboardServer)({
        socket: config.api.socket,
        host,
        port,
        ...(token ? { token } : {}),
      });
      const url = await server.start().catch((err: NodeJS.ErrnoException) => {
        throw new FatalError(`netevd dashboard: cannot listen on ${o.listen}: ${err.message}`, EXIT.FAILURE);
      });
      ctx.out(`netevd dashboard: open ${url}\n`);
      await new Promise<void>((resolve) => {
        for (const sig of ["SIGINT", "SIGTERM"] as const)
          process.once(sig, () => {
            server.close();
            resolve();
          });
      });
    });
}
