// Every fixture under test/fixtures/migrate/<name>/ is a fake root with
// network-broker's configuration (and `links`: the links present). Both
// readings' YAML and the report are compared with the checked-in expectations
// (NETEVD_UPDATE_FIXTURES=1 rewrites them; review the diff).
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { migrate } from "../../migrate/main";
import { validateYaml } from "../../migrate/translate";
import { fixture } from "../helpers/fixtures";

const DIR = fixture("migrate");
const update = process.env.NETEVD_UPDATE_FIXTURES === "1";

function run(name: string, intent: boolean) {
  const root = join(DIR, name);
  const links = existsSync(join(root, "links"))
    ? readFileSync(join(root, "links"), "utf8").trim().replace(/\s+/g, ",")
    : undefined;
  const { report, code } = migrate({
    root,
    links,
    intent,
    apply: false,
    force: false,
    switchService: false,
    format: "json",
  });
  const norm = (v: unknown) => JSON.parse(JSON.stringify(v).split(root).join("<root>")) as unknown;
  const { stale_rules: _s, stale_rules_error: _e, ...stable } = report;
  return { code, yaml: (report.config?.yaml ?? "").split(root).join("<root>"), report: norm(stable) };
}

function check(path: string, actual: string): void {
  if (update || !existsSync(path)) writeFileSync(path, actual);
  expect(actual).toBe(readFileSync(path, "utf8"));
}

describe("netevd-migrate fixtures", () => {
  const names = readdirSync(DIR).filter((n) => !n.includes("."));
  it("has the shipped TOML, the Photon example and at least ten more", () => {
    expect(names).toContain("shipped");
    expect(names).toContain("photon-dhclient");
    expect(names.length).toBeGreaterThanOrEqual(12);
  });
  for (const name of names) {
    it(`${name}: both readings validate and match the expected YAML and report`, () => {
      const actual = run(name, false);
      const intent = run(name, true);
      expect(actual.code).toBe(0);
      expect(validateYaml(actual.yaml)).toEqual([]);
      expect(validateYaml(intent.yaml)).toEqual([]);
      check(join(DIR, name, "expected.yaml"), actual.yaml);
      check(join(DIR, name, "expected-intent.yaml"), intent.yaml);
      check(join(DIR, name, "expected-report.json"), `${JSON.stringify(actual.report, null, 2)}\n`);
    });
  }
});
