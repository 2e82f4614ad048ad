// Keys of the Rust netevd (v0.2) that changed here. Its configs keep loading;
// each such key gives one warning saying what it became.
type Obj = Record<string, unknown>;

export interface LegacyFinding {
  path: string[];
  message: string;
}

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

function scalarText(v: unknown, fallback: string): string {
  return typeof v === "string" || typeof v === "number" ? String(v) : fallback;
}

/** Rewrites legacy keys in place; returns one finding per key met. */
export function translateLegacyKeys(data: Obj): LegacyFinding[] {
  const found: LegacyFinding[] = [];
  const api = data.api;
  if (isObj(api)) {
    if ("enabled" in api) {
      found.push({
        path: ["api", "enabled"],
        message: "the control API is always served on api.socket (the CLI needs it); this key has no effect",
      });
      delete api.enabled;
    }
    if ("bind_address" in api || "port" in api) {
      const host = scalarText(api.bind_address, "127.0.0.1");
      const listen = `${host.includes(":") ? `[${host}]` : host}:${scalarText(api.port, "9090")}`;
      const tokenSet = typeof api.token_file === "string" && api.token_file !== "";
      for (const key of ["bind_address", "port"].filter((k) => k in api)) {
        found.push({
          path: ["api", key],
          message: tokenSet
            ? `became api.listen: "${listen}"`
            : `became api.listen: "${listen}", which also needs api.token_file; TCP stays off until both are set`,
        });
      }
      if (tokenSet && !api.listen) api.listen = listen;
      delete api.bind_address;
      delete api.port;
    }
  }
  const metrics = data.metrics;
  if (isObj(metrics)) {
    for (const key of ["port", "bind_address", "path"].filter((k) => k in metrics)) {
      found.push({
        path: ["metrics", key],
        message:
          "metrics are served at /metrics on the API (api.socket, or api.listen for TCP), and alone without a token on metrics.listen (the Rust netevd never served them, so netevd opens no port for this key); this key has no effect",
      });
      delete metrics[key];
    }
  }
  const audit = data.audit;
  if (isObj(audit)) {
    // The Rust netevd's documentation wrote log_path; its code read `path`
    // (as netevd does), so there this value was ignored.
    for (const key of ["log_path", "log_file", "file"].filter((k) => k in audit)) {
      found.push({
        path: ["audit", key],
        message:
          "read as audit.path; the Rust netevd read only audit.path (its documentation said log_path), so it ignored this value",
      });
      if (audit.path === undefined) audit.path = audit[key];
      delete audit[key];
    }
    if ("retention_days" in audit) {
      found.push({
        path: ["audit", "retention_days"],
        message: "the audit log is rotated by size (see netevd.yaml(5)); this key has no effect",
      });
      delete audit.retention_days;
    }
  }
  return found;
}
