import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { formatDiagnostic } from "../../src/core/diagnostics/format.js";
import { compileFixtureDir, workflowFixtures } from "../helpers/compile.js";
import { expectGolden } from "../helpers/golden.js";
import { fixturesDir, repoRoot } from "../helpers/paths.js";

/**
 * Error fixtures: each folder of test/fixtures/errors is a workflow with mistakes; `_expected/diagnostics.txt` lists
 * exactly the diagnostics (with file:line:col) the compiler must report.
 */
const root = path.join(fixturesDir, "errors");
const cases = workflowFixtures(root);

describe("error fixtures", () => {
  it("has at least 30 cases", () => expect(cases.length).toBeGreaterThanOrEqual(30));
  for (const name of cases) {
    it(name, async () => {
      const dir = path.join(root, name);
      const result = await compileFixtureDir(dir);
      expect(result.diagnostics.length).toBeGreaterThan(0);
      // Errors never come with a plan: nothing half-compiled is emitted.
      if (result.diagnostics.some((d) => d.severity === "error")) expect(result.plan).toBeUndefined();
      for (const d of result.diagnostics) {
        expect(d.location, `${d.code} has a location`).toBeDefined();
      }
      // Absolute paths (a missing data file) are shown relative to the fixture, so the golden file fits any checkout.
      const text = result.diagnostics.map((d) => formatDiagnostic(d)).join("\n").replaceAll(dir.split(path.sep).join("/"), "<fixture>");
      expectGolden(path.join(dir, "_expected/diagnostics.txt"), text + "\n");
    });
  }

  it("covers every diagnostic code of the compiler and the expression language", () => {
    const sources = ["src/core/compile/compile-errors.ts", "src/core/expr/expr-errors.ts", "src/core/yaml/yaml-errors.ts"];
    const codes = new Set<string>();
    for (const s of sources) {
      for (const m of readFileSync(path.join(repoRoot, s), "utf8").matchAll(/(?:error|warning|issue)\(\s*"([A-Z_]+)"/g)) codes.add(m[1]!);
    }
    const expected = cases.map((c) => readFileSync(path.join(root, c, "_expected/diagnostics.txt"), "utf8")).join("\n");
    const missing = [...codes].filter((c) => !new RegExp(`\\b(error|warning) ${c}:`).test(expected)).sort();
    expect(codes.size).toBeGreaterThan(30);
    expect(missing).toEqual([]);
  });
});
