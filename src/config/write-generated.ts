// `npm run generate`: rewrites the files generated from the config schema:
// schema/netevd.schema.json and man/netevd.yaml.5. Tests fail when they are stale.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { configJsonSchemaText } from "./json-schema";
import { renderConfigManPage } from "./man-page";

const root = join(__dirname, "..", "..", "..");
mkdirSync(join(root, "schema"), { recursive: true });
writeFileSync(join(root, "schema", "netevd.schema.json"), configJsonSchemaText());
writeFileSync(
  join(root, "man", "netevd.yaml.5"),
  renderConfigManPage(readFileSync(join(root, "man", "netevd.yaml.5.in"), "utf8")),
);
console.log("wrote schema/netevd.schema.json and man/netevd.yaml.5");
