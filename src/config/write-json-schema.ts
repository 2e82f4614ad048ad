// `npm run schema`: rewrites schema/netevd.schema.json from the config schema.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { configJsonSchemaText } from "./json-schema";

const target = join(__dirname, "..", "..", "..", "schema", "netevd.schema.json");
mkdirSync(dirname(target), { recursive: true });
writeFileSync(target, configJsonSchemaText());
console.log(`wrote ${target}`);
