import type { z } from "zod";
import { NotRegularFileError } from "../errors";
import { readRegularFile } from "../util/read-regular";
import { nearest } from "../util/suggest";
import { type Diagnostic, formatPath } from "./diagnostic";
import { configJsonSchema } from "./json-schema";
import { unmatchedFilterScripts } from "./filter-scripts";
import { silencedLinks } from "./monitoring";
import { styleProblems } from "./script-styles";
import { translateLegacyKeys } from "./legacy";
import { type Config, ConfigSchema } from "./schema";
import { findUnknownKeys } from "./unknown-keys";
import { MAX_CONFIG_BYTES, parseYamlBytes, positionOf, type YamlSource } from "./yaml-source";

export interface LoadResult {
  file: string;
  /** Set when there are no errors. */
  config?: Config;
  diagnostics: Diagnostic[];
  /** False when the default file is absent and built-in defaults were used. */
  fileFound: boolean;
  /** The file uses keys of the Rust netevd (its configuration, carried over). */
  rustStyle?: boolean;
  /** The line of system.backend, when the file sets it. */
  backendLine?: number;
}

/** Where to change system.backend, for a message: "FILE line N", or the key to add. */
export interface LoadOptions {
  /** The links present: a Rust netevd configuration is warned about those monitoring.interfaces leaves out. */
  links?: string[];
}

export function loadConfigFile(file: string, explicit = true, o: LoadOptions = {}): LoadResult {
  let bytes: Buffer;
  try {
    bytes = readRegularFile(file, MAX_CONFIG_BYTES);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && !explicit)
      return { file, config: ConfigSchema.parse({}), diagnostics: [], fileFound: false };
    const why =
      err instanceof NotRegularFileError
        ? `not a regular file (${err.kind})`
        : code === "ENOENT"
          ? "no such file"
          : code === "EACCES"
            ? "permission denied"
            : (err as Error).message;
    return {
      file,
      fileFound: code !== "ENOENT",
      diagnostics: [{ severity: "error", file, line: 1, col: 1, path: "", message: `cannot read: ${why}` }],
    };
  }
  return { ...loadConfigBytes(file, bytes, o), fileFound: true };
}

export function loadConfigBytes(
  file: string,
  bytes: Uint8Array,
  o: LoadOptions = {},
): Omit<LoadResult, "fileFound"> {
  const src = parseYamlBytes(file, bytes);
  if ("severity" in src) return { file, diagnostics: [src] };
  const data = src.data ?? {};
  if (typeof data !== "object" || Array.isArray(data) || data === null) {
    const pos = positionOf(src, []);
    return {
      file,
      diagnostics: [
        {
          severity: "error",
          file,
          ...pos,
          path: "",
          message: "the top level must be a mapping of sections",
          allowed: "system:, monitoring:, routing:, …",
        },
      ],
    };
  }
  const record = data as Record<string, unknown>;
  const diagnostics: Diagnostic[] = [];
  const warn = (path: (string | number)[], message: string) =>
    diagnostics.push({
      severity: "warning",
      file,
      ...positionOf(src, path, true),
      path: formatPath(path),
      message,
    });

  const legacy = translateLegacyKeys(record);
  for (const l of legacy) warn(l.path, l.message);
  for (const unknown of findUnknownKeys(record, configJsonSchema())) warn(unknown.path, unknown.message);

  const parsed = ConfigSchema.safeParse(record);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) diagnostics.push(issueDiagnostic(src, issue, record));
    return { file, diagnostics: sortDiagnostics(diagnostics) };
  }
  for (const u of unmatchedFilterScripts(parsed.data)) warn(u.path, u.message);
  for (const p of styleProblems(parsed.data))
    diagnostics.push({
      severity: p.severity,
      file,
      ...positionOf(src, p.path, true),
      path: formatPath(p.path),
      message: p.message,
    });
  if (diagnostics.some((d) => d.severity === "error"))
    return { file, diagnostics: sortDiagnostics(diagnostics) };
  const silenced = legacy.length && o.links ? silencedLinks(parsed.data, o.links) : [];
  if (silenced.length)
    warn(
      ["monitoring", "interfaces"],
      `leaves out ${silenced.join(", ")}, present here: the Rust netevd ignored this key and ran scripts for every link`,
    );
  const system = record.system as Record<string, unknown> | undefined;
  const setsBackend = typeof system === "object" && system !== null && "backend" in system;
  return {
    file,
    config: parsed.data,
    diagnostics: sortDiagnostics(diagnostics),
    rustStyle: legacy.length > 0,
    ...(setsBackend ? { backendLine: positionOf(src, ["system", "backend"]).line } : {}),
  };
}

function sortDiagnostics(list: Diagnostic[]): Diagnostic[] {
  return list.sort((a, b) => a.line - b.line || a.col - b.col);
}

/**
 * A value that fits none of a union's shapes: the shape it came closest to
 * (whose first complaint is deepest) speaks; when none got past the type,
 * the types allowed are listed together.
 */
function unionIssue(issue: z.core.$ZodIssueInvalidUnion): z.core.$ZodIssue {
  const branches = issue.errors.filter((b) => b.length > 0);
  const depth = (b: z.core.$ZodIssue[]) => Math.max(...b.map((i) => i.path.length));
  const best = [...branches].sort((a, b) => depth(b) - depth(a))[0];
  const first = best?.[0];
  if (!first) return issue;
  if (depth(best) === 0) {
    const nouns = branches.map((b) => {
      const i = b[0] as z.core.$ZodIssue;
      if (i.code === "invalid_value") return i.values.map((v) => JSON.stringify(v)).join(", ");
      if (i.code !== "invalid_type") return undefined;
      return i.expected === "boolean" ? "true, false" : (TYPE_NOUN[i.expected] ?? `a ${i.expected}`);
    });
    if (nouns.every((n) => n !== undefined))
      return {
        ...first,
        path: issue.path,
        code: "custom",
        message: "",
        params: { allowed: nouns.join(" or ") },
      };
  }
  const inner = { ...first, path: [...issue.path, ...first.path] };
  return inner.code === "invalid_union" ? unionIssue(inner) : inner;
}

function issueDiagnostic(src: YamlSource, raw: z.core.$ZodIssue, data: unknown): Diagnostic {
  const issue = raw.code === "invalid_union" ? unionIssue(raw) : raw;
  const path = issue.path as (string | number)[];
  const value = valueAt(data, path);
  const shown = describeValue(value);
  let message: string;
  let allowed: string | undefined;
  switch (issue.code) {
    case "invalid_value": {
      const values = issue.values.map((v) => String(v));
      const typo = typeof value === "string" ? nearest(value, values) : undefined;
      message = `${shown} is not allowed${typo ? ` (did you mean "${typo}"?)` : ""}`;
      allowed = values.join(", ");
      break;
    }
    case "invalid_type": {
      const noun = TYPE_NOUN[issue.expected] ?? `a ${issue.expected}`;
      message = `expected ${noun}, got ${shown}`;
      allowed = issue.expected === "boolean" ? "true, false" : noun;
      if (issue.expected === "boolean" && typeof value === "string" && /^(yes|no|on|off|y|n)$/i.test(value)) {
        message += " (YAML 1.2 reads yes/no/on/off as strings)";
      }
      break;
    }
    case "too_small":
    case "too_big": {
      message = `${shown} is too ${issue.code === "too_small" ? "small" : "large"}`;
      allowed = rangeOf(issue);
      break;
    }
    case "custom":
      allowed = (issue.params as { allowed?: string } | undefined)?.allowed;
      message = issue.message || `expected ${allowed ?? "another value"}, got ${shown}`;
      break;
    default:
      message = issue.message;
  }
  return {
    severity: "error",
    file: src.file,
    ...positionOf(src, path),
    path: formatPath(path),
    message,
    ...(allowed ? { allowed } : {}),
  };
}

const TYPE_NOUN: Record<string, string> = {
  array: "a list",
  object: "a mapping",
  string: "a string",
  number: "a number",
  boolean: "a boolean",
};

function rangeOf(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig): string {
  const bound = String(issue.code === "too_small" ? issue.minimum : issue.maximum);
  const kind = issue.origin === "number" ? "a number" : `${issue.origin} length`;
  return issue.code === "too_small" ? `${kind} of at least ${bound}` : `${kind} of at most ${bound}`;
}

function valueAt(data: unknown, path: readonly (string | number)[]): unknown {
  let node = data;
  for (const part of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string | number, unknown>)[part];
  }
  return node;
}

function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  const text = JSON.stringify(value);
  return `${typeof value} ${text.length > 60 ? `${text.slice(0, 57)}...` : text}`;
}
