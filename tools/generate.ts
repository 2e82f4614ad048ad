// `npm run generate`: rewrites the files generated from the code's own schemas:
// schema/netevd.schema.json and man/netevd.yaml.5 (the configuration), and
// schema/netevd-event.v1.schema.json (the event JSON). Tests fail when any is stale.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { configJsonSchemaText } from "../src/config/json-schema";
import { renderConfigManPage } from "../src/config/man-page";
import { eventJsonSchemaText } from "../src/events/json-schema";

const root = join(__dirname, "..", "..");
mkdirSync(join(root, "schema"), { recursive: true });
writeFileSync(join(root, "schema", "netevd.schema.json"), configJsonSchemaText());
writeFileSync(join(root, "schema", "netevd-event.v1.schema.json"), eventJsonSchemaText());
writeFileSync(
  join(root, "man", "netevd.yaml.5"),
  renderConfigManPage(readFileSync(join(root, "man", "netevd.yaml.5.in"), "utf8")),
);
console.log("wrote schema/netevd.schema.json, schema/netevd-event.v1.schema.json and man/netevd.yaml.5");
