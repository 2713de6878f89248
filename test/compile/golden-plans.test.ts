import { readFileSync } from "node:fs";
import path from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../src/core/compile/canonical-json.js";
import { formatDiagnostic } from "../../src/core/diagnostics/format.js";
import { CompiledWorkflowPlanSchema } from "../../src/core/model/plan.js";
import { compileFixtureDir, workflowFixtures } from "../helpers/compile.js";
import { expectGolden } from "../helpers/golden.js";
import { fixturesDir, repoRoot } from "../helpers/paths.js";

const planSchema = JSON.parse(readFileSync(path.join(repoRoot, "schemas/compiled-workflow-plan.schema.json"), "utf8"));
const validatePlan = new Ajv2020({ strict: false, allErrors: true }).compile(planSchema);

/**
 * Golden plans: each folder of test/fixtures/compile holds a workflow (and `_params.json` with --param values);
 * `_expected/plan.json` is the exact plan and `_expected/diagnostics.txt` the warnings.
 */
const root = path.join(fixturesDir, "compile");
const cases = workflowFixtures(root);

describe("golden plans", () => {
  it("has fixtures", () => expect(cases.length).toBeGreaterThan(0));
  for (const name of cases) {
    it(name, async () => {
      const dir = path.join(root, name);
      const result = await compileFixtureDir(dir);
      expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
      expect(result.plan).toBeDefined();
      const json = canonicalJson(result.plan, 2) + "\n";
      expectGolden(path.join(dir, "_expected/plan.json"), json);
      expectGolden(path.join(dir, "_expected/diagnostics.txt"), result.diagnostics.map((d) => formatDiagnostic(d)).join("\n") + "\n");
      // The plan is valid against its own schema, and compiling again gives the same bytes.
      expect(CompiledWorkflowPlanSchema.safeParse(JSON.parse(json)).success).toBe(true);
      // ... and against the published JSON Schema, with an independent validator.
      expect(validatePlan(JSON.parse(json)), JSON.stringify(validatePlan.errors)).toBe(true);
      const again = await compileFixtureDir(dir);
      expect(canonicalJson(again.plan, 2) + "\n").toBe(json);
    });
  }
});
