// Regenerates schemas/*.json from the zod schemas (run `npm run build` first).
import { writeFileSync } from "node:fs";
import { jsonSchemas } from "../dist/core/model/json-schemas.js";

for (const [file, text] of Object.entries(jsonSchemas())) {
  writeFileSync(new URL(`../schemas/${file}`, import.meta.url), text);
  console.log(`wrote schemas/${file}`);
}
