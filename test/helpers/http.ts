// GET requests to the daemon's control API, over its Unix socket or TCP.
import { request } from "node:http";

export interface HttpTarget {
  socketPath?: string;
  host?: string;
  port?: number;
  headers?: Record<string, string>;
}

export function httpGet(
  target: HttpTarget,
  path: string,
): Promise<{ status: number; text: string; type: string }> {
  return new Promise((resolve, reject) => {
    // A fresh connection each time: a kept-alive one the daemon closed while
    // busy would fail the next request with EPIPE.
    const req = request({ ...target, path, method: "GET", agent: false }, (res) => {
      let text = "";
      res.on("data", (d: Buffer) => (text += d.toString()));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, text, type: String(res.headers["content-type"]) }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

/** One sample of a Prometheus counter or gauge, of netevd's own namespace (netns=""), from GET /metrics. */
export async function metric(socketPath: string, name: string): Promise<number> {
  const { text } = await httpGet({ socketPath }, "/metrics");
  const m = new RegExp(`^${name}(?:\\{netns=""\\})? (\\S+)$`, "m").exec(text);
  if (!m) throw new Error(`${name} is not in /metrics`);
  return Number(m[1]);
}
