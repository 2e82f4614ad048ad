import { z } from "zod";
import { ConfigSchema } from "./schema";
import type { JsonSchemaNode } from "./unknown-keys";

const JSON_SCHEMA_ID = "urn:netevd:config:netevd.yaml";

let cached: JsonSchemaNode | undefined;

/** The published JSON Schema of netevd.yaml (for editors), generated from ConfigSchema. */
export function configJsonSchema(): JsonSchemaNode {
  cached ??= {
    ...(z.toJSONSchema(ConfigSchema, { io: "input", unrepresentable: "any" }) as JsonSchemaNode),
    $id: JSON_SCHEMA_ID,
    title: "netevd.yaml",
  };
  return cached;
}

export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
