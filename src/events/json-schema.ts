import { z } from "zod";
import { EventJsonSchema } from "./event-schema";

const EVENT_SCHEMA_ID = "urn:netevd:event:netevd.event.v1";

/** schema/netevd-event.v1.schema.json: the JSON variable of scripts and the API's events, from EventJsonSchema. */
export function eventJsonSchemaText(): string {
  const schema = {
    ...(z.toJSONSchema(EventJsonSchema, { io: "output" }) as Record<string, unknown>),
    $id: EVENT_SCHEMA_ID,
    title: "netevd.event.v1",
    description:
      "The JSON environment variable netevd gives scripts, and the objects of GET /v1/events. Every key is present; unknown values are null.",
  };
  return `${JSON.stringify(schema, null, 2)}\n`;
}
