type Severity = "error" | "warning";

/** One finding in a configuration file, with where it is. */
export interface Diagnostic {
  severity: Severity;
  file: string;
  line: number;
  col: number;
  /** Dotted key path, e.g. "monitoring.interfaces[2]"; "" for the whole file. */
  path: string;
  message: string;
  /** What would be accepted, for errors. */
  allowed?: string;
}

/**
 * errors:   file:line:col: key.path: problem (allowed: …)
 * warnings: file:line:col: warning: key.path: problem
 */
export function formatDiagnostic(d: Diagnostic): string {
  const where = `${d.file}:${d.line}:${d.col}:`;
  const key = d.path ? ` ${d.path}:` : "";
  const allowed = d.allowed ? ` (allowed: ${d.allowed})` : "";
  return d.severity === "error"
    ? `${where}${key} ${d.message}${allowed}`
    : `${where} warning:${key} ${d.message}${allowed}`;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

/** Where system.backend is set, for messages: "FILE line N", or the file and what to add. */
export function backendWhere(r: { file: string; backendLine?: number | null | undefined }): string {
  return r.backendLine ? `${r.file} line ${r.backendLine}` : `${r.file} (add system.backend)`;
}
