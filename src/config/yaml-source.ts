// Reads a YAML file defensively: size cap, strict UTF-8, alias-expansion cap,
// nesting cap, duplicate keys refused. Keeps the parsed document so every later
// finding can point at a line and column.
import { type Document, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import { bytePosition, firstInvalidUtf8 } from "../util/utf8";
import type { Diagnostic } from "./diagnostic";

export const MAX_CONFIG_BYTES = 1024 * 1024;
/** A real config needs a handful of references at most; this stops "billion laughs". */
const MAX_ALIAS_COUNT = 100;
/** Bounds the parser's recursion: no legitimate config nests this deep. */
const MAX_NESTING = 64;

export interface YamlSource {
  file: string;
  doc: Document.Parsed;
  lines: LineCounter;
  /** The document as plain data; undefined for an empty document. */
  data: unknown;
}

export type Position = { line: number; col: number };

export function parseYamlBytes(file: string, bytes: Uint8Array): YamlSource | Diagnostic {
  const fail = (pos: Position, message: string, allowed?: string): Diagnostic => ({
    severity: "error",
    file,
    ...pos,
    path: "",
    message,
    ...(allowed ? { allowed } : {}),
  });
  if (bytes.length > MAX_CONFIG_BYTES) {
    return fail({ line: 1, col: 1 }, `file is larger than the limit of ${MAX_CONFIG_BYTES} bytes`);
  }
  const bad = firstInvalidUtf8(bytes);
  if (bad >= 0) {
    const hex = (bytes[bad] as number).toString(16).padStart(2, "0");
    return fail(bytePosition(bytes, bad), `byte 0x${hex} is not valid UTF-8`, "UTF-8 text");
  }
  let text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
  if (text.startsWith("\ufeff")) text = text.slice(1);
  const tooDeep = nestingBeyond(text, MAX_NESTING);
  if (tooDeep !== undefined) {
    return fail(offsetPosition(text, tooDeep), `nesting deeper than ${MAX_NESTING} levels`);
  }

  const lines = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: lines,
    uniqueKeys: true,
    prettyErrors: false,
    strict: true,
    // Collection keys become strings ("{ a: 1 }"), then unknown-key warnings; no process warnings.
    logLevel: "error",
  });
  const first = doc.errors[0];
  if (first) {
    const pos = lines.linePos(first.pos[0]);
    return fail(pos, first.message.split("\n")[0] as string);
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    const message = (err as Error).message;
    if (/alias/i.test(message)) {
      return fail(
        { line: 1, col: 1 },
        `YAML aliases expand to more than ${MAX_ALIAS_COUNT} nodes (an alias bomb?)`,
      );
    }
    return fail({ line: 1, col: 1 }, message);
  }
  return { file, doc, lines, data };
}

/**
 * Flow-style nesting is counted cheaply on the text before parsing. Block-style
 * nesting is bounded by the size cap: depth d costs about d²/2 bytes of indentation.
 */
function nestingBeyond(text: string, max: number): number | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x5b || ch === 0x7b) {
      if (++depth > max) return i;
    } else if (ch === 0x5d || ch === 0x7d) {
      depth = Math.max(0, depth - 1);
    }
  }
  return undefined;
}

function offsetPosition(text: string, offset: number): Position {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return { line, col: offset - before.lastIndexOf("\n") };
}

/**
 * Position of the node at `path`, or of its nearest existing ancestor.
 * With `key`, the position of the mapping key rather than its value.
 */
export function positionOf(src: YamlSource, path: readonly PropertyKey[], key = false): Position {
  let node: unknown = src.doc.contents;
  let at: Node | null | undefined = src.doc.contents;
  for (const part of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(part));
      if (!pair) break;
      at = (key && part === path[path.length - 1] ? pair.key : (pair.value ?? pair.key)) as Node;
      node = pair.value;
    } else if (isSeq(node) && typeof part === "number") {
      const item = node.items[part];
      if (!item) break;
      at = item as Node;
      node = item;
    } else {
      break;
    }
  }
  const offset = at?.range?.[0] ?? 0;
  return src.lines.linePos(offset);
}
