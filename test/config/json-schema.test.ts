import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { configJsonSchema, configJsonSchemaText } from "../../src/config/json-schema";

describe("published JSON Schema", () => {
  it("is the one generated from the config schema (run `npm run generate` when this fails)", () => {
    const committed = readFileSync(join(__dirname, "..", "..", "schema", "netevd.schema.json"), "utf8");
    expect(committed).toBe(configJsonSchemaText());
  });

  it("documents every section with its defaults", () => {
    const s = configJsonSchema();
    expect(Object.keys(s.properties ?? {})).toEqual([
      "system",
      "monitoring",
      "routing",
      "backends",
      "scripts",
      "api",
      "metrics",
      "audit",
      "filters",
    ]);
    const routing = s.properties?.routing?.properties ?? {};
    expect(routing.table_base?.default).toBe(200);
  });
});
