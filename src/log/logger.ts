// One logger per module, carrying the link name where there is one
// (like networkd's log_link_*). Three outputs: the journal when stderr is the
// journal stream (native datagrams with fields when a sender is set, else
// priority prefixes on stderr), readable text on a terminal, JSON lines.
import { fstatSync } from "node:fs";
import { isJournalOnly, journalDatagram, PRIORITY } from "./journal";
import { oneLine } from "../util/control";

export const LEVELS = ["trace", "debug", "info", "warn", "error"] as const;
export type Level = (typeof LEVELS)[number];
export type LogFormat = "text" | "json" | "journal";
export type Fields = Record<string, unknown>;

export interface LogRecord {
  time: Date;
  level: Level;
  module: string;
  message: string;
  fields: Fields;
}

const COLOR: Record<Level, string> = { trace: "90", debug: "36", info: "32", warn: "33", error: "31" };

export interface LogSettings {
  level: Level;
  format: LogFormat;
  /** Where finished lines go; stderr by default. */
  write: (line: string) => void;
  color: boolean;
  /**
   * With the journal format: sends one native-protocol datagram, false when it
   * could not (the line then goes to stderr). Set by the daemon, which has the
   * native layer.
   */
  journal?: (datagram: Buffer) => boolean;
  /** SYSLOG_IDENTIFIER of native journal messages. */
  identifier: string;
}

const settings: LogSettings = {
  level: "info",
  format: detectFormat(),
  write: (line) => process.stderr.write(line),
  color: process.stderr.isTTY === true && !process.env.NO_COLOR,
  identifier: "netevd",
};

/** A level given on the command line (--log-level) wins over the configuration's, also on reload. */
let pinnedLevel: Level | undefined;

export function configureLogging(change: Partial<LogSettings> & { pinLevel?: boolean }): void {
  const { pinLevel, ...rest } = change;
  if (pinLevel && rest.level) pinnedLevel = rest.level;
  Object.assign(settings, rest);
  if (pinnedLevel) settings.level = pinnedLevel;
}

export function logSettings(): Readonly<LogSettings> {
  return settings;
}

/**
 * journald sets JOURNAL_STREAM=dev:ino for the stream it gave us; it only counts
 * when stderr is still that stream (not redirected by a wrapper).
 */
function detectFormat(env = process.env): LogFormat {
  const stream = env.JOURNAL_STREAM;
  if (stream) {
    try {
      const st = fstatSync(2);
      if (`${st.dev}:${st.ino}` === stream) return "journal";
    } catch {
      // stderr closed: fall through to text
    }
  }
  return "text";
}

/** "module [link]: message key=value…": the line every output shows (the journal adds time and process). */
function messageLine(rec: LogRecord): string {
  const extra = Object.entries(rec.fields).filter(
    ([k, v]) => v !== undefined && k !== "link" && !isJournalOnly(k),
  );
  const link = rec.fields.link === undefined ? "" : ` [${formatValue(rec.fields.link)}]`;
  const kv = extra.map(([k, v]) => ` ${k}=${formatValue(v)}`).join("");
  return `${rec.module}${link}: ${oneLine(rec.message)}${kv}`;
}

export function render(rec: LogRecord, format: LogFormat, color = false): string {
  switch (format) {
    case "json": {
      const fields = Object.fromEntries(Object.entries(rec.fields).filter(([k]) => !isJournalOnly(k)));
      return `${JSON.stringify({ time: rec.time.toISOString(), level: rec.level, module: rec.module, msg: rec.message, ...fields }, jsonSafe)}\n`;
    }
    case "journal":
      // One line per message is what the journal indexes.
      return `<${PRIORITY[rec.level]}>${messageLine(rec)}\n`;
    case "text": {
      const time = rec.time.toISOString().slice(11, 23);
      const level = rec.level.toUpperCase().padEnd(5);
      const lvl = color ? `\x1b[${COLOR[rec.level]}m${level}\x1b[0m` : level;
      return `${time} ${lvl} ${messageLine(rec)}\n`;
    }
  }
}

function formatValue(value: unknown): string {
  if (value instanceof Error) return JSON.stringify(value.message);
  const text = typeof value === "string" ? value : (JSON.stringify(value, jsonSafe) ?? "undefined");
  return /^[^\s"=\x00-\x1f\x7f]+$/.test(text) ? text : JSON.stringify(text);
}

function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Error) return { message: value.message, code: (value as NodeJS.ErrnoException).code };
  return value;
}

export class Logger {
  constructor(
    readonly module: string,
    private readonly fields: Fields = {},
  ) {}

  /** The same module's logger with more context, e.g. `log.child({ link: "eth0" })`. */
  child(fields: Fields): Logger {
    return new Logger(this.module, { ...this.fields, ...fields });
  }

  enabled(level: Level): boolean {
    return LEVELS.indexOf(level) >= LEVELS.indexOf(settings.level);
  }

  log(level: Level, message: string, fields?: Fields): void {
    if (!this.enabled(level)) return;
    const rec: LogRecord = {
      time: new Date(),
      level,
      module: this.module,
      message,
      fields: { ...this.fields, ...fields },
    };
    if (
      settings.format === "journal" &&
      settings.journal?.(journalDatagram(rec, messageLine(rec), settings.identifier))
    )
      return;
    settings.write(render(rec, settings.format, settings.color));
  }

  trace(message: string, fields?: Fields): void {
    this.log("trace", message, fields);
  }
  debug(message: string, fields?: Fields): void {
    this.log("debug", message, fields);
  }
  info(message: string, fields?: Fields): void {
    this.log("info", message, fields);
  }
  warn(message: string, fields?: Fields): void {
    this.log("warn", message, fields);
  }
  error(message: string, fields?: Fields): void {
    this.log("error", message, fields);
  }
}

export function getLogger(module: string, fields?: Fields): Logger {
  return new Logger(module, fields);
}
