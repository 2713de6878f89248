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

  it("give every field of a DML file and of a workflow a description (editors show it on hover)", () => {
    for (const file of ["dml.schema.json", "workflow.schema.json"]) {
      const missing = new Set<string>();
      const walk = (n: unknown, at: string): void => {
        if (!n || typeof n !== "object") return;
        if (Array.isArray(n)) return n.forEach((x) => walk(x, at));
        const o = n as Record<string, unknown>;
        for (const [k, v] of Object.entries((o["properties"] ?? {}) as Record<string, Record<string, unknown>>)) {
          if (v["description"] === undefined && v["$ref"] === undefined) missing.add(`${at}.${k}`);
          walk(v, `${at}.${k}`);
        }
        for (const k of ["anyOf", "oneOf", "allOf", "items", "additionalProperties", "$defs"]) walk(o[k], at);
      };
      walk(JSON.parse(readFileSync(path.join(repoRoot, "schemas", file), "utf8")), file);
      expect([...missing]).toEqual([]);
    }
  });

  it("describe the plan's required top-level fields", () => {
    const schema = JSON.parse(readFileSync(path.join(repoRoot, "schemas/compiled-workflow-plan.schema.json"), "utf8"));
    expect(schema.required).toEqual(expect.arrayContaining(["planVersion", "steps", "tables", "fingerprint"]));
  });
});
