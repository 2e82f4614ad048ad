// `netevd validate` as an administrator runs it.
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { netevd } from "../helpers/cli";
import { tempDir } from "../helpers/tmp";

const fixtures = join(__dirname, "..", "fixtures", "config");

describe("netevd validate", () => {
  it("accepts an empty file", () => {
    const file = join(tempDir(), "netevd.yaml");
    writeFileSync(file, "");
    const r = netevd(["validate", "--config", file, "--format", "json"]);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ valid: true, errors: [], warnings: [] });
  });

  it("exits 78 naming line 7 and the key of a wrong type", () => {
    const file = join(fixtures, "wrong-type-line7.yaml");
    const r = netevd(["validate", "--config", file, "--format", "table"]);
    expect(r.status).toBe(78);
    expect(r.stderr).toContain(
      `${file}:7:15: routing.table_base: expected a number, got string "two hundred" (allowed: a number)`,
    );
  });

  it("loads the Rust netevd's example config with warnings for its changed keys", () => {
    const r = netevd([
      "validate",
      "--config",
      join(fixtures, "rust-netevd-example.yaml"),
      "--format",
      "json",
    ]);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { valid: boolean; warnings: { path: string; message: string }[] };
    expect(out.valid).toBe(true);
    // Links of this machine the file's monitoring.interfaces (eth0, eth1) leaves out: the Rust netevd served them.
    const silenced = readdirSync("/sys/class/net").filter((n) => !["lo", "eth0", "eth1"].includes(n));
    expect(out.warnings.map((w) => w.path)).toEqual([
      ...(silenced.length ? ["monitoring.interfaces"] : []),
      "api.enabled",
      "api.bind_address",
      "api.port",
      "metrics.port",
      "audit.log_path",
      "audit.retention_days",
    ]);
    if (silenced.length)
      expect(out.warnings[0]?.message).toBe(
        `leaves out ${silenced.sort().join(", ")}, present here: the Rust netevd ignored this key and ran scripts for every link`,
      );
    expect(out.warnings.find((w) => w.path === "audit.log_path")?.message).toBe(
      "read as audit.path; the Rust netevd read only audit.path (its documentation said log_path), so it ignored this value",
    );
  });

  it("reads the file named by NETEVD_CONFIG when --config is absent", () => {
    const file = join(tempDir(), "x.yaml");
    writeFileSync(file, "system:\n  backend: nope\n");
    const r = netevd(["validate"], { NETEVD_CONFIG: file });
    expect(r.status).toBe(78);
    expect(r.stderr).toContain(`${file}:2:12: system.backend:`);
  });

  it("reports a missing --config file as a configuration error", () => {
    const r = netevd(["validate", "--config", "/nonexistent/netevd.yaml"]);
    expect(r.status).toBe(78);
    expect(r.stderr).toContain("/nonexistent/netevd.yaml:1:1: cannot read: no such file");
  });
});
