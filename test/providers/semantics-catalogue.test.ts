import path from "node:path";
import { describe, expect, it } from "vitest";
import { FUNCTIONS } from "../../src/core/expr/functions.js";
import { SEMANTICS_CATALOGUE } from "../../src/providers/conformance/semantics-catalogue.js";
import { renderSemanticsMarkdown } from "../../src/providers/conformance/semantics-doc.js";
import { expectGolden } from "../helpers/golden.js";
import { repoRoot } from "../helpers/paths.js";

/**
 * The semantics catalogue (docs/semantics.md) is complete and current: every function the compiler accepts has an
 * entry with cases (the cases themselves run on the engines in the conformance suite), and the document is the one
 * rendered from the catalogue.
 */
describe("semantics catalogue", () => {
  it("has an entry for every function the compiler accepts", () => {
    const covered = new Set(SEMANTICS_CATALOGUE.flatMap((e) => e.functions ?? []));
    const missing = FUNCTIONS.map((f) => f.name).filter((n) => !covered.has(n));
    expect(missing, "add an entry (with cases) to the category file under src/providers/conformance/semantics/").toEqual([]);
    const unknown = [...covered].filter((n) => !FUNCTIONS.some((f) => f.name === n));
    expect(unknown).toEqual([]);
  });

  it("has at least one case per entry, and each function is called by a case of its entry", () => {
    for (const e of SEMANTICS_CATALOGUE) {
      expect(e.cases.length, e.construct).toBeGreaterThan(0);
      for (const f of e.functions ?? []) {
        const names = [f, ...(FUNCTIONS.find((d) => d.name === f)?.aliases ?? [])];
        const called = e.cases.some((c) => names.some((n) => new RegExp(`\\b${n}\\s*\\(`, "i").test(c.dml)) || (f === "current_date" && /current_date/.test(c.dml)) || (f === "mod" && /%/.test(c.dml)));
        expect(called, `${e.construct}: no case calls ${f}()`).toBe(true);
      }
    }
  });

  it("docs/semantics.md is rendered from the catalogue", () => {
    expectGolden(path.join(repoRoot, "docs/semantics.md"), renderSemanticsMarkdown());
  });
});
