import { describe, expect, it } from "vitest";
import { getLogger, render } from "../../src/log/logger";
import { captureLogs } from "../helpers/logs";

const rec = (level: "info" | "error" | "debug", fields = {}) => ({
  time: new Date("2026-11-22T05:00:00.123Z"),
  level,
  module: "scripts",
  message: "ran\nscript",
  fields: { link: "eth0", ...fields },
});

describe("logging", () => {
  const logs = captureLogs();

  it("prefixes journald priorities and keeps one line per message", () => {
    expect(render(rec("error", { code: 3 }), "journal")).toBe("<3>scripts [eth0]: ran\\nscript code=3\n");
    expect(render(rec("info"), "journal")).toBe("<6>scripts [eth0]: ran\\nscript\n");
    expect(render(rec("debug"), "journal").startsWith("<7>")).toBe(true);
  });

  it("never writes a control character raw: a hostile link name or message is escaped", () => {
    const hostile = { ...rec("info"), message: "x\x1b[31mred\x07", fields: { link: "e\x1b]0;t\x07" } };
    for (const format of ["text", "journal"] as const) {
      const line = render(hostile, format);
      expect(line.slice(0, -1)).not.toMatch(/[\x00-\x1f\x7f]/);
      expect(line).toContain("x\\x1b[31mred\\x07");
    }
  });

  it("renders readable text and JSON", () => {
    expect(render(rec("info", { path: "/a b" }), "text")).toBe(
      '05:00:00.123 INFO  scripts [eth0]: ran\\nscript path="/a b"\n',
    );
    expect(JSON.parse(render(rec("info"), "json"))).toEqual({
      time: "2026-11-22T05:00:00.123Z",
      level: "info",
      module: "scripts",
      msg: "ran\nscript",
      link: "eth0",
    });
  });

  it("gives each module a logger that carries the link", () => {
    const log = getLogger("routing").child({ link: "eth1" });
    log.info("table 203 complete", { table: 203 });
    log.trace("detail");
    expect(logs[0]).toMatchObject({ module: "routing", link: "eth1", msg: "table 203 complete", table: 203 });
    expect(logs).toHaveLength(2);
  });
});
