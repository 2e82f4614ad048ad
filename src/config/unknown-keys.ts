// Unknown keys are warnings, not errors: a newer or older config still loads.
// The known keys are read from the generated JSON Schema, so they cannot drift
// from the schema.
import { nearest } from "../util/suggest";

export interface JsonSchemaNode {
  type?: string | string[];
  properties?: Record<string, JsonSchemaNode>;
  items?: JsonSchemaNode;
  anyOf?: JsonSchemaNode[];
  [key: string]: unknown;
}

export interface UnknownKey {
  path: (string | number)[];
  message: string;
}

export function findUnknownKeys(data: unknown, schema: JsonSchemaNode): UnknownKey[] {
  const out: UnknownKey[] = [];
  const everyPath = allKeyPaths(schema);
  walk(data, schema, [], out, everyPath);
  return out;
}

function walk(
  value: unknown,
  schema: JsonSchemaNode,
  path: (string | number)[],
  out: UnknownKey[],
  everyPath: Map<string, string[]>,
): void {
  if (Array.isArray(value)) {
    if (schema.items)
      for (const [i, item] of value.entries()) walk(item, schema.items, [...path, i], out, everyPath);
    return;
  }
  if (typeof value !== "object" || value === null || !schema.properties) return;
  const known = schema.properties;
  for (const [key, child] of Object.entries(value)) {
    const sub = known[key];
    if (sub) {
      walk(child, sub, [...path, key], out, everyPath);
      continue;
    }
    const typo = nearest(key, Object.keys(known));
    const elsewhere = (everyPath.get(key) ?? []).filter((p) => p !== [...path, key].join("."));
    let message = `unknown key "${key}", ignored`;
    if (typo) message += ` (did you mean "${typo}"?)`;
    else if (elsewhere.length > 0) message += ` (it belongs in ${elsewhere.join(" or ")})`;
    else if (Object.keys(known).length > 0) message += ` (known here: ${Object.keys(known).join(", ")})`;
    out.push({ path: [...path, key], message });
  }
}

/** key name → every dotted path where the schema has it, for "misplaced key" hints. */
function allKeyPaths(schema: JsonSchemaNode, prefix: string[] = [], acc = new Map<string, string[]>()) {
  for (const [key, sub] of Object.entries(schema.properties ?? {})) {
    const path = [...prefix, key];
    acc.set(key, [...(acc.get(key) ?? []), path.join(".")]);
    allKeyPaths(sub, path, acc);
  }
  return acc;
}
