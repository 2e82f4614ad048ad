import { afterEach, beforeEach } from "vitest";
import { configureLogging, type LogSettings, logSettings } from "../../src/log/logger";

export interface Captured {
  level: string;
  module: string;
  msg: string;
  [key: string]: unknown;
}

/** Captures every log record of the test as parsed JSON. */
export function captureLogs(): Captured[] {
  const lines: Captured[] = [];
  let saved: LogSettings;
  beforeEach(() => {
    saved = { ...logSettings() };
    lines.length = 0;
    configureLogging({ format: "json", level: "trace", write: (l) => lines.push(JSON.parse(l) as Captured) });
  });
  afterEach(() => configureLogging(saved));
  return lines;
}
