// The layer rules (.dependency-cruiser.cjs) that `npm test` checks: the tree
// keeps them, and an upward import fails, naming the rule and the import.
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../helpers/tmp";

const ROOT = join(__dirname, "..", "..");
const depcruise = (cwd: string, dirs: string[]) =>
  spawnSync(
    process.execPath,
    [
      join(ROOT, "node_modules", ".bin", "depcruise"),
      ...dirs,
      "--config",
      join(ROOT, ".dependency-cruiser.cjs"),
    ],
    { cwd, encoding: "utf8" },
  );

describe("layers", () => {
  it("the tree imports only downward", () => {
    const r = depcruise(ROOT, ["src", "migrate", "tools"]);
    expect(r.stdout + r.stderr).toContain("no dependency violations found");
    expect(r.status).toBe(0);
  });

  it("an upward import fails, naming the rule and the import", () => {
    const dir = tempDir();
    for (const d of ["src/netlink", "src/daemon", "test/doubles"])
      mkdirSync(join(dir, d), { recursive: true });
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { module: "node16" } }));
    writeFileSync(join(dir, "src/daemon/daemon.ts"), "export const daemon = 1;\n");
    writeFileSync(join(dir, "test/doubles/fake.ts"), "export const fake = 1;\n");
    writeFileSync(
      join(dir, "src/netlink/client.ts"),
      'import { daemon } from "../daemon/daemon";\nimport { fake } from "../../test/doubles/fake";\nexport const x = daemon + fake;\n',
    );
    const r = depcruise(dir, ["src"]);
    expect(r.status).not.toBe(0);
    expect(r.stdout).toContain(
      "netlink-does-not-import-upward: src/netlink/client.ts → src/daemon/daemon.ts",
    );
    expect(r.stdout).toContain("no-test-code-in-the-product: src/netlink/client.ts → test/doubles/fake.ts");
  });

  it("the privileged executor may not reach into the scripts' adapter, nor migrate into adapters, nor the product into tools", () => {
    const dir = tempDir();
    for (const d of ["src/privileged", "src/scripts", "src/config", "migrate", "tools"])
      mkdirSync(join(dir, d), { recursive: true });
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { module: "node16" } }));
    writeFileSync(join(dir, "src/scripts/discover.ts"), "export const discover = 1;\n");
    writeFileSync(join(dir, "src/config/script-rules.ts"), "export const rules = 1;\n");
    writeFileSync(join(dir, "tools/build.ts"), "export const build = 1;\n");
    writeFileSync(
      join(dir, "src/privileged/executor.ts"),
      'import { rules } from "../config/script-rules";\nimport { discover } from "../scripts/discover";\nexport const x = rules + discover;\n',
    );
    writeFileSync(
      join(dir, "migrate/scripts.ts"),
      'import { rules } from "../src/config/script-rules";\nimport { discover } from "../src/scripts/discover";\nimport { build } from "../tools/build";\nexport const y = rules + discover + build;\n',
    );
    const r = depcruise(dir, ["src", "migrate", "tools"]);
    expect(r.status).not.toBe(0);
    expect(r.stdout).toContain(
      "privileged-does-not-import-upward: src/privileged/executor.ts → src/scripts/discover.ts",
    );
    expect(r.stdout).toContain("migrate-stands-apart: migrate/scripts.ts → src/scripts/discover.ts");
    expect(r.stdout).toContain("tools-build-the-product: migrate/scripts.ts → tools/build.ts");
    // The script rules are below both: importing them is no violation.
    expect(r.stdout).not.toContain("→ src/config/script-rules.ts");
  });
});
