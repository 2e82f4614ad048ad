import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { eventJsonSchemaText } from "../../src/events/json-schema";
import { eventJson } from "../../src/events/event";
import { validEventJson } from "../helpers/event-schema";
import { makeEvent } from "../helpers/events";

describe("schema/netevd-event.v1.schema.json", () => {
  it("is the one generated from the event's own type (run `npm run generate` when this fails)", () => {
    const committed = readFileSync(
      join(__dirname, "..", "..", "schema", "netevd-event.v1.schema.json"),
      "utf8",
    );
    expect(committed).toBe(eventJsonSchemaText());
  });

  it("accepts what eventJson writes and refuses a missing key", () => {
    const json = eventJson(makeEvent());
    expect(validEventJson(JSON.stringify(json)).schema).toBe("netevd.event.v1");
    const { dns: _dropped, ...missing } = json;
    expect(() => validEventJson(JSON.stringify(missing))).toThrow();
  });
});
