// The control API and metrics of the running daemon; an API that cannot
// listen is logged, not fatal (say, `netevd run` by hand without /run/netevd).
import { ApiServer } from "../api/server";
import type { ReloadBody } from "../api/types";
import { formatDiagnostic } from "../config/diagnostic";
import type { LoadResult } from "../config/load";
import type { Config } from "../config/schema";
import { getLogger } from "../log/logger";
import { apiHandlers, type DaemonView } from "./api-view";

const log = getLogger("daemon");

export async function startControlApi(c: Config, view: DaemonView): Promise<ApiServer | undefined> {
  const handlers = apiHandlers(view);
  const api = new ApiServer({
    socket: c.api.socket,
    listen: c.api.listen,
    tokenFile: c.api.token_file,
    metricsListen: c.metrics.enabled ? c.metrics.listen : "",
    handlers: c.metrics.enabled
      ? handlers
      : { ...handlers, metrics: () => Promise.reject(new Error("metrics.enabled is false")) },
    log: getLogger("api"),
  });
  try {
    await api.start();
    log.info(`control API on ${c.api.socket}${c.api.listen ? ` and ${c.api.listen}` : ""}`);
    if (c.metrics.enabled && c.metrics.listen) log.info(`metrics on http://${c.metrics.listen}/metrics`);
    return api;
  } catch (err) {
    log.warn(`control API off: ${(err as Error).message}`);
    api.close();
    return undefined;
  }
}

/** POST /v1/reload's answer from the reload's result. */
export function reloadBody(r: LoadResult): ReloadBody {
  const text = (severity: string) =>
    r.diagnostics.filter((d) => d.severity === severity).map((d) => formatDiagnostic(d));
  return { ok: r.config !== undefined, errors: text("error"), warnings: text("warning") };
}
