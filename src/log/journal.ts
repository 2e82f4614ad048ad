// systemd's native journal protocol: one datagram per message to
// /run/systemd/journal/socket, with fields of our own beside MESSAGE, so
// `journalctl INTERFACE=eth0` shows netevd's lines next to networkd's and
// `journalctl -x` finds the catalog text by MESSAGE_ID.
// Field names: `link` becomes INTERFACE (networkd's field); any other
// lower-case field becomes NETEVD_<NAME>; an upper-case one (MESSAGE_ID,
// NETEVD_EVENT) is passed as it is and shown only in the journal.
import { oneLine } from "../util/control";

export const JOURNAL_SOCKET = "/run/systemd/journal/socket";

/** syslog priorities, as journald's PRIORITY= and the stream's "<N>" prefix. */
export const PRIORITY = { trace: 7, debug: 7, info: 6, warn: 4, error: 3 } as const;

/**
 * A field's value is capped so a datagram stays far below the socket's send
 * buffer (journald's own limit is larger; a send that fails falls back to
 * stderr anyway).
 */
const MAX_VALUE = 16 * 1024;
const MAX_FIELDS = 64;

/** Journal field names: A–Z, 0–9 and _, not starting with a digit or _, at most 64 bytes. */
function journalKey(name: string): string | undefined {
  if (name === "link") return "INTERFACE";
  if (isJournalOnly(name)) return /^[A-Z][A-Z0-9_]{0,63}$/.test(name) ? name : undefined;
  const key = `NETEVD_${name.toUpperCase().replace(/[^A-Z0-9]+/g, "_")}`.slice(0, 64);
  return /^NETEVD_[A-Z0-9]/.test(key) ? key : undefined;
}

/** Upper-case fields are for the journal only; the text and JSON lines leave them out. */
export function isJournalOnly(name: string): boolean {
  return /^[A-Z]/.test(name);
}

function text(value: unknown): string {
  if (typeof value === "string") return value;
  if (value instanceof Error) return value.message;
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)) ?? "";
}

/**
 * One field in the protocol's form, KEY=value. Every value is escaped as the
 * message is (newline as \\n, other control characters as \\xNN): a link name
 * or a hook's output can hold any byte, and a field must not carry one that
 * fakes a line or drives a terminal reading `journalctl -o verbose`.
 */
function field(key: string, value: string): Buffer {
  let data = Buffer.from(oneLine(value), "utf8");
  if (data.length > MAX_VALUE) data = Buffer.concat([data.subarray(0, MAX_VALUE), Buffer.from("…")]);
  return Buffer.concat([Buffer.from(`${key}=`), data, Buffer.from("\n")]);
}

interface JournalRecord {
  level: keyof typeof PRIORITY;
  module: string;
  fields: Record<string, unknown>;
}

/** The datagram for a log record; `message` is the line as the other outputs show it. */
export function journalDatagram(rec: JournalRecord, message: string, identifier: string): Buffer {
  const parts = [
    field("MESSAGE", message),
    field("PRIORITY", String(PRIORITY[rec.level])),
    field("SYSLOG_IDENTIFIER", identifier),
    field("NETEVD_MODULE", rec.module),
  ];
  const seen = new Set(["MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER", "NETEVD_MODULE"]);
  for (const [name, value] of Object.entries(rec.fields)) {
    if (value === undefined || parts.length >= MAX_FIELDS) continue;
    const key = journalKey(name);
    if (!key || seen.has(key)) continue;
    seen.add(key);
    parts.push(field(key, text(value)));
  }
  return Buffer.concat(parts);
}
