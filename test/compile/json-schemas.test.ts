import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { jsonSchemas } from "../../src/core/model/json-schemas.js";
import { expectGolden } from "../helpers/golden.js";
import { repoRoot } from "../helpers/paths.js";

describe("JSON Schemas in schemas/", () => {
  it("match the zod schemas (regenerate with npm run build && npm run schemas)", () => {
    for (const [file, text] of Object.entries(jsonSchemas())) expectGolden(path.join(repoRoot, "schemas", file), text);
  });

  it("describe the plan's required top-level fields", () => {
    const schema = JSON.parse(readFileSync(path.join(repoRoot, "schemas/compiled-workflow-plan.schema.json"), "utf8"));
    expect(schema.required).toEqual(expect.arrayContaining(["planVersion", "steps", "tables", "fingerprint"]));
  });
});
