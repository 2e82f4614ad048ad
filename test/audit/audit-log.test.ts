// The audit log: one JSON line per change, rotated by size, never fatal.
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AuditLog } from "../../src/audit/audit-log";
import { getLogger } from "../../src/log/logger";
import { tempDir } from "../helpers/tmp";

describe("audit log", () => {
  it("appends one JSON line per entry and rotates by size, keeping N files", () => {
    const dir = tempDir();
    const path = join(dir, "audit.jsonl");
    const log = new AuditLog({
      path,
      log: getLogger("test"),
      maxBytes: 300,
      keep: 2,
      now: () => new Date(0),
    });
    for (let i = 0; i < 10; i++) log.record({ action: "rule.add", detail: `rule ${i}` });
    const lines = (f: string) =>
      readFileSync(f, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { detail: string });
    expect(lines(path).at(-1)).toEqual({
      schema: "netevd.audit.v1",
      time: "1970-01-01T00:00:00.000Z",
      action: "rule.add",
      detail: "rule 9",
    });
    expect(existsSync(`${path}.1`) && existsSync(`${path}.2`)).toBe(true);
    expect(existsSync(`${path}.3`)).toBe(false);
    const all = [...lines(`${path}.2`), ...lines(`${path}.1`), ...lines(path)].map((l) => l.detail);
    expect(all).toEqual(all.slice().sort((a, b) => Number(a.split(" ")[1]) - Number(b.split(" ")[1])));
    expect(all.at(-1)).toBe("rule 9");
  });

  it("a path it cannot write is a warning, not a failure", () => {
    const log = new AuditLog({ path: "/nonexistent/dir/audit.jsonl", log: getLogger("test") });
    expect(() => log.record({ action: "script.run" })).not.toThrow();
  });
});
