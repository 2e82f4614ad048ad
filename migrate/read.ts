// Reading network-broker's file the way network-broker did (by extension:
// TOML 1.0, INI, JSON, the fork's YAML) and, when that fails, leniently as
// key=value lines, to learn what the administrator meant. Keys keep their
// spelling here; matching is case-insensitive later.
import { parse as parseIni } from "ini";
import type * as SmolToml from "smol-toml" with { "resolution-mode": "import" };
import { parse as parseYaml } from "yaml";
import { EXIT, FatalError } from "../src/errors";

// smol-toml (TOML 1.0, kept up to date) ships CommonJS next to its ES module;
// TypeScript only sees the latter's types from this CommonJS build. A plain
// require, so that the executable's bundler finds it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { parse: parseToml } = require("smol-toml") as typeof SmolToml;

export interface Entry {
  /** Section as written ("" = top level). */
  section: string;
  key: string;
  value: unknown;
  line: number | null;
}

export interface ReadResult {
  format: "toml" | "ini" | "json" | "yaml";
  /** Set when network-broker's own parser would have failed on the file. */
  syntaxError: { message: string; line: number | null } | null;
  /** What the file holds: from the strict parse, or from the lenient one after a syntax error. */
  entries: Entry[];
}

const FORMATS: Record<string, ReadResult["format"]> = {
  toml: "toml",
  ini: "ini",
  json: "json",
  yaml: "yaml",
  yml: "yaml",
};

/** The line of `key` in `section`, found in the text (1-based), or null. */
function lineOf(text: string, section: string, key: string, yaml: boolean): number | null {
  const lines = text.split(/\r?\n/);
  let current = "";
  const esc = key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const keyRe = yaml
    ? new RegExp(`^\\s*["']?${esc}["']?\\s*:`, "i")
    : new RegExp(`^\\s*["']?${esc}["']?\\s*=`, "i");
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] ?? "";
    const head = yaml ? /^([A-Za-z0-9_.-]+)\s*:\s*$/.exec(l) : /^\s*\[\s*([^\]]+?)\s*\]/.exec(l);
    if (head) {
      current = head[1] ?? "";
      continue;
    }
    if (current.toLowerCase() === section.toLowerCase() && keyRe.test(l)) return i + 1;
  }
  return null;
}

function entriesOf(data: unknown, text: string, yaml: boolean): Entry[] {
  const out: Entry[] = [];
  if (!data || typeof data !== "object" || Array.isArray(data)) return out;
  for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
    if (v && typeof v === "object" && !Array.isArray(v)) {
      for (const [key, value] of Object.entries(v as Record<string, unknown>))
        out.push({ section: k, key, value, line: lineOf(text, k, key, yaml) });
    } else {
      out.push({ section: "", key: k, value: v, line: lineOf(text, "", k, yaml) });
    }
  }
  return out;
}

/** Lenient: [Section] headers and key=value lines, quotes stripped (what a systemd-style file means). */
function lenient(text: string): Entry[] {
  const out: Entry[] = [];
  let section = "";
  text.split(/\r?\n/).forEach((raw, i) => {
    const l = raw.trim();
    if (l === "" || l.startsWith("#") || l.startsWith(";")) return;
    const head = /^\[\s*([^\]]+?)\s*\]$/.exec(l);
    if (head) {
      section = head[1] ?? "";
      return;
    }
    const kv = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(l);
    if (!kv) return;
    let value = (kv[2] ?? "").replace(/\s+[#;].*$/, "").trim();
    if (/^".*"$|^'.*'$/.test(value)) value = value.slice(1, -1);
    out.push({ section, key: (kv[1] ?? "").trim(), value, line: i + 1 });
  });
  return out;
}

export function readBrokerConfig(text: string, extension: string): ReadResult {
  const format = FORMATS[extension.toLowerCase()];
  if (!format)
    throw new FatalError(
      `.${extension} files are not supported: network-broker's file is read as TOML, INI, JSON or YAML`,
      EXIT.CONFIG,
    );
  const yaml = format === "yaml";
  try {
    let data: unknown;
    if (format === "toml") data = parseToml(text);
    else if (format === "json") data = JSON.parse(text);
    else if (format === "yaml") data = parseYaml(text, { uniqueKeys: false });
    else data = parseIni(text);
    if (data !== null && data !== undefined && (typeof data !== "object" || Array.isArray(data)))
      throw Object.assign(new Error("the document is not a table of sections"), { line: 1 });
    return { format, syntaxError: null, entries: entriesOf(data, text, yaml) };
  } catch (err) {
    const e = err as { message?: string; line?: number; linePos?: [{ line: number }] };
    const line = typeof e.line === "number" ? e.line : (e.linePos?.[0]?.line ?? null);
    const message = String(e.message ?? err).split("\n")[0] ?? "syntax error";
    const entries = yaml || format === "json" ? [] : lenient(text);
    return { format, syntaxError: { message, line }, entries };
  }
}
