import { describe, expect, it } from "vitest";
import type { ValueType } from "../../src/core/expr/ast.js";
import { type ExprScope, analyzeExpression } from "../../src/core/expr/index.js";

const columns = new Map<string, ValueType>();
for (let i = 0; i < 40; i++) columns.set(`col${i}`, (["integer", "string", "date", "float"] as const)[i % 4]!);
const scope: ExprScope = {
  tables: [
    { alias: "s", columns },
    { alias: "c", columns: new Map<string, ValueType>([["concept_id", "integer"], ["concept_code", "string"], ["vocabulary_id", "string"]]) },
    { alias: "m", columns: "any" },
  ],
};

/** ~20 expressions typical of a transform step. */
const EXPRESSIONS = [
  "s.col0",
  "col1",
  "coalesce(s.col4, 0)",
  "CASE WHEN s.col1 = 'M' THEN 8507 WHEN s.col1 = 'F' THEN 8532 ELSE 0 END",
  "c.concept_id",
  "concat('visit-', s.col8, '-', s.col9)",
  "s.col2 - s.col6",
  "date_add(s.col2, 1, 'month')",
  "s.col0 IS NOT NULL AND s.col1 <> ''",
  "c.vocabulary_id = 'ICD10CM' AND c.concept_code = s.col5",
  "CAST(s.col13 AS integer)",
  "EXTRACT(YEAR FROM s.col10)",
  "upper(trim(s.col17))",
  "s.col3 * 2.5 + 1",
  "s.col2 BETWEEN DATE '2010-01-01' AND '2020-12-31'",
  "s.col1 IN ('a', 'b', 'c')",
  "lower(s.col21) LIKE 'abc%'",
  "m.anything",
  "nullif(s.col25, '')",
  "to_date(s.col29, '%Y%m%d')",
];

// Speed is measured by `npm run bench`, never asserted here; this checks that a large batch of distinct texts all
// analyze correctly (no state leaks between calls).
describe("scale", () => {
  it("analyzes 10,000 steps x 20 expressions (all distinct texts)", () => {
    for (let step = 0; step < 10_000; step++) {
      for (const e of EXPRESSIONS) {
        const r = analyzeExpression(`${e} -- step ${step}`, scope, { allowAggregates: false });
        if (r.expr === undefined) throw new Error(`${e}: ${JSON.stringify(r.issues)}`);
      }
    }
    expect(analyzeExpression("s.col1 -- last", scope).expr?.type).toBeDefined();
  });
});
