// JSON as Python's json.dumps() writes it by default: ", " and ": "
// separators, every non-ASCII character as a \u escape (ensure_ascii), keys sorted
// by code point when asked. Scripts that compare the text see the same bytes.
export function pythonJson(value: unknown, sortKeys: boolean): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") return pyString(value);
  if (typeof value === "number" || typeof value === "boolean") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => pythonJson(v, sortKeys)).join(", ")}]`;
  const keys = Object.keys(value);
  if (sortKeys) keys.sort(byCodePoint);
  return `{${keys.map((k) => `${pyString(k)}: ${pythonJson((value as Record<string, unknown>)[k], sortKeys)}`).join(", ")}}`;
}

function pyString(s: string): string {
  return JSON.stringify(s).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** Python's order of str: by code point (not UTF-16 unit: characters beyond U+FFFF sort last). */
function byCodePoint(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = (x[i] as string).codePointAt(0)! - (y[i] as string).codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}
