// Property tests: whatever bytes arrive, the loader answers with a config or
// with positioned diagnostics; it never throws, hangs or loses the position.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { loadConfigBytes } from "../../src/config/load";
import { ConfigSchema } from "../../src/config/schema";

const load = (bytes: Uint8Array) => loadConfigBytes("f.yaml", bytes);

function wellFormed(r: ReturnType<typeof load>, text?: string): void {
  const lines = text === undefined ? Number.POSITIVE_INFINITY : text.split("\n").length + 1;
  for (const d of r.diagnostics) {
    expect(d.line).toBeGreaterThanOrEqual(1);
    expect(d.line).toBeLessThanOrEqual(lines);
    expect(d.col).toBeGreaterThanOrEqual(1);
    expect(d.message.length).toBeGreaterThan(0);
  }
  expect(r.config !== undefined || r.diagnostics.some((d) => d.severity === "error")).toBe(true);
}

// YAML-looking text built from the tokens that make parsers fall over.
const yamlish = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        "system:",
        "routing:",
        "  ",
        "\n",
        "- ",
        ": ",
        "[",
        "]",
        "{",
        "}",
        "&a ",
        "*a",
        "<<: ",
        "!!str ",
        "'",
        '"',
        "#",
        "---\n",
        "...",
        "|\n",
        ">\n",
        "\t",
        "?",
        ",",
        "%YAML 1.2\n",
      ),
      fc.string({ maxLength: 8 }),
    ),
    { maxLength: 60 },
  )
  .map((parts) => parts.join(""));

const sectionKeys = [
  "system",
  "monitoring",
  "routing",
  "backends",
  "scripts",
  "api",
  "metrics",
  "audit",
  "filters",
];

describe("config loader properties", () => {
  it("never throws on arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => wellFormed(load(bytes))),
      { numRuns: 2000 },
    );
  });

  it("never throws on YAML-like text", () => {
    fc.assert(
      fc.property(yamlish, (text) => wellFormed(load(Buffer.from(text)), text)),
      { numRuns: 3000 },
    );
  });

  it("agrees with the schema on arbitrary structured documents", () => {
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: "small" },
        fc.string({ maxLength: 10 }),
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie("node"), { maxLength: 3 }),
        fc.dictionary(fc.constantFrom(...sectionKeys, "interfaces", "backend", "timeout", "x"), tie("node"), {
          maxKeys: 3,
        }),
      ),
    })).node;
    const doc = fc.dictionary(fc.constantFrom(...sectionKeys), value, { maxKeys: 4 });
    fc.assert(
      fc.property(doc, (data) => {
        const text = stringify(data);
        const r = load(Buffer.from(text));
        wellFormed(r, text);
        // The loader accepts exactly what the schema accepts (unknown keys aside).
        expect(r.config !== undefined).toBe(ConfigSchema.safeParse(JSON.parse(JSON.stringify(data))).success);
      }),
      { numRuns: 1500 },
    );
  });

  it("round-trips every valid configuration written back as YAML", () => {
    const cfg = fc.record({
      system: fc.record({
        log_level: fc.constantFrom("trace", "debug", "info", "warn", "error"),
        backend: fc.constantFrom("systemd-networkd", "NetworkManager", "dhclient", "none"),
      }),
      monitoring: fc.record({
        interfaces: fc.array(fc.constantFrom("eth0", "eth*", "wl?", "en[ops]*", "br-lan"), { maxLength: 3 }),
      }),
      routing: fc.record({ table_base: fc.integer({ min: 1, max: 100000 }), ipv6: fc.boolean() }),
      scripts: fc.record({ timeout: fc.constantFrom("1s", "30s", "2m", "1h", "250ms", 5) }),
    });
    fc.assert(
      fc.property(cfg, (data) => {
        const r = load(Buffer.from(stringify(data)));
        expect(r.diagnostics).toEqual([]);
        expect(r.config?.system).toMatchObject(data.system);
        expect(r.config?.routing.table_base).toBe(data.routing.table_base);
      }),
      { numRuns: 500 },
    );
  });
});
