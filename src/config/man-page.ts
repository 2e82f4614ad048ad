// The KEYS section of netevd.yaml(5), rendered from the JSON Schema that is
// itself generated from the config schema: the man page cannot drift.
import { configJsonSchema } from "./json-schema";
import type { JsonSchemaNode } from "./unknown-keys";

const roff = (text: string): string => text.replace(/\\/g, "\\e").replace(/-/g, "\\-").replace(/^\./, "\\&.");

function typeOf(node: JsonSchemaNode): string {
  if (Array.isArray(node.enum)) return (node.enum as unknown[]).map(String).join(" | ");
  if (node.anyOf) return node.anyOf.map(typeOf).join(" or ");
  if (node.oneOf) return (node.oneOf as JsonSchemaNode[]).map(typeOf).join(" or ");
  if (node.type === "array") return `list of ${node.items ? typeOf(node.items) : "values"}`;
  if (node.type === "integer") {
    const min = node.minimum as number | undefined;
    const max = node.maximum as number | undefined;
    return min !== undefined && max !== undefined ? `integer ${min}..${max}` : "integer";
  }
  if (Array.isArray(node.type)) return node.type.join(" or ");
  return typeof node.type === "string" ? node.type : "value";
}

function entries(node: JsonSchemaNode, path: string[]): string[] {
  const out: string[] = [];
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const p = [...path, key];
    if (child.type === "object" && child.properties && Object.keys(child.properties).length > 0) {
      out.push(...entries(child, p));
      continue;
    }
    if (p[0] === "filters") continue; // documented in FILTERS
    const def = child.default === undefined ? "" : ` (default: ${JSON.stringify(child.default)})`;
    const text = typeof child.description === "string" ? `\n${roff(child.description)}.` : "";
    out.push(`.TP\n.B ${roff(p.join("."))}\n${roff(typeOf(child))}${roff(def)}.${text}`);
  }
  return out;
}

export function renderConfigManPage(template: string): string {
  return template.replace("@KEYS@", entries(configJsonSchema(), []).join("\n"));
}
