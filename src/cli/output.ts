// --format table|json|yaml: table is the default on a terminal, JSON otherwise
// (so scripts that pipe the output get something machine-readable).
import { lazy } from "../util/lazy";

const yaml = lazy(() => require("yaml") as typeof import("yaml"));

export const FORMATS = ["table", "json", "yaml"] as const;
export type Format = (typeof FORMATS)[number];

export function resolveFormat(flag: string | undefined, isTTY = process.stdout.isTTY === true): Format {
  if (flag) return flag as Format;
  return isTTY ? "table" : "json";
}

export interface Column<Row> {
  header: string;
  value: (row: Row) => string | number | boolean | null | undefined;
}

/** Fixed-width text columns, headers in capitals, like `ip -br` or `networkctl`. */
export function renderTable<Row>(rows: readonly Row[], columns: readonly Column<Row>[]): string {
  const cells = rows.map((row) => columns.map((c) => cellText(c.value(row))));
  const headers = columns.map((c) => c.header.toUpperCase());
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] as string).length)));
  const line = (parts: string[]) =>
    parts
      .map((p, i) => (i === parts.length - 1 ? p : p.padEnd(widths[i] as number)))
      .join("  ")
      .trimEnd();
  return `${[line(headers), ...cells.map(line)].join("\n")}\n`;
}

function cellText(v: string | number | boolean | null | undefined): string {
  return v === null || v === undefined || v === "" ? "-" : String(v);
}

/** Structured data as JSON or YAML; `table` is rendered by the caller. */
export function renderData(data: unknown, format: Exclude<Format, "table">): string {
  return format === "json" ? `${JSON.stringify(data, null, 2)}\n` : yaml().stringify(data);
}
