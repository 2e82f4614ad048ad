// The published event schema (schema/netevd-event.v1.schema.json), compiled once:
// end-to-end tests check the JSON a real script received against it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv2020 from "ajv/dist/2020";
import { expect } from "vitest";

const schema = JSON.parse(
  readFileSync(join(__dirname, "..", "..", "schema", "netevd-event.v1.schema.json"), "utf8"),
) as object;
const validate = new Ajv2020({ allErrors: true, strict: false, validateFormats: false }).compile(schema);

/** Parses a script's JSON variable and asserts it matches the published schema. */
export function validEventJson(text: string | undefined): Record<string, unknown> {
  expect(text, "the script got a JSON variable").toBeDefined();
  const json = JSON.parse(text as string) as Record<string, unknown>;
  validate(json);
  expect(validate.errors ?? [], JSON.stringify(json)).toEqual([]);
  return json;
}
