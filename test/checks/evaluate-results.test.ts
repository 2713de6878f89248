import { describe, expect, it } from "vitest";
import type { CompiledCheck } from "../../src/core/checks/check-model.js";
import { evaluateChecks, type CheckMeasurement } from "../../src/core/checks/evaluate-results.js";

/** A check of DQD's shape; only what the evaluation reads matters. */
function check(checkId: string, checkName: string, table: string, field: string | undefined, threshold: number | undefined): CompiledCheck {
  return {
    checkId,
    checkName,
    checkLevel: field ? "FIELD" : "TABLE",
    checkDescription: "",
    kahnContext: "Verification",
    kahnCategory: "Plausibility",
    kahnSubcategory: "",
    severity: "characterization",
    sqlFile: "",
    cdmTableName: table,
    ...(field ? { cdmFieldName: field } : {}),
    ...(threshold !== undefined ? { threshold } : {}),
    measure: { kind: "unsupported", reason: "not measured here" },
    reads: [],
    definedAt: "test:1",
  };
}

const statusOf = (checks: CompiledCheck[], m: Record<string, CheckMeasurement>) =>
  Object.fromEntries(evaluateChecks(checks, new Map(Object.entries(m))).map((r) => [r.checkId, [r.status, r.pctViolatedRows, r.notApplicableReason]]));

describe("DQD's evaluation of check results", () => {
  it("fails past the threshold, not at it; without a threshold (or 0) any violating row fails; an error wins", () => {
    const checks = [
      check("at", "plausibleValueLow", "T", "A", 50),
      check("past", "plausibleValueLow", "T", "B", 50),
      check("none", "plausibleValueLow", "T", "C", undefined),
      check("zero", "plausibleValueLow", "T", "D", 0),
      check("err", "plausibleValueLow", "T", "E", 100),
      check("empty", "plausibleValueLow", "T", "F", 0),
    ];
    expect(
      statusOf(checks, {
        at: { numViolatedRows: 1, numDenominatorRows: 2 },
        past: { numViolatedRows: 2, numDenominatorRows: 3 },
        none: { numViolatedRows: 1, numDenominatorRows: 1000 },
        zero: { numViolatedRows: 0, numDenominatorRows: 5 },
        err: { error: "no such column" },
        empty: { numViolatedRows: 0, numDenominatorRows: 0 },
      }),
    ).toEqual({
      at: ["passed", 0.5, null],
      past: ["failed", 2 / 3, null],
      none: ["failed", 0.001, null],
      zero: ["passed", 0, null],
      err: ["error", null, null],
      // A denominator of 0 is 0% violated (DQD's CASE WHEN num_rows = 0 THEN 0).
      empty: ["passed", 0, null],
    });
  });

  it("with cdmTable, cdmField and measureValueCompleteness run: not applicable for an empty table, a missing field, an unfilled field", () => {
    const checks = [
      check("t_ok", "cdmTable", "T", undefined, undefined),
      check("u_ok", "cdmTable", "U", undefined, undefined),
      check("t_a", "cdmField", "T", "A", undefined),
      check("t_b", "cdmField", "T", "B", undefined),
      check("u_c", "cdmField", "U", "C", undefined),
      check("mvc_t_a", "measureValueCompleteness", "T", "A", 100),
      check("mvc_u_c", "measureValueCompleteness", "U", "C", 100),
      check("low_t_a", "plausibleValueLow", "T", "A", 0),
      check("low_t_b", "plausibleValueLow", "T", "B", 0),
      check("low_u_c", "plausibleValueLow", "U", "C", 0),
      check("era", "measureConditionEraCompleteness", "CONDITION_ERA", undefined, 0),
    ];
    const r = statusOf(checks, {
      t_ok: { numViolatedRows: 0, numDenominatorRows: 1 },
      u_ok: { numViolatedRows: 0, numDenominatorRows: 1 },
      t_a: { numViolatedRows: 0, numDenominatorRows: 1 },
      t_b: { numViolatedRows: 1, numDenominatorRows: 1 },
      u_c: { numViolatedRows: 0, numDenominatorRows: 1 },
      // T.A: every value NULL; U is empty.
      mvc_t_a: { numViolatedRows: 3, numDenominatorRows: 3 },
      mvc_u_c: { numViolatedRows: 0, numDenominatorRows: 0 },
      low_t_a: { numViolatedRows: 1, numDenominatorRows: 0 },
      low_t_b: { skipped: "fieldMissing" },
      low_u_c: { numViolatedRows: 0, numDenominatorRows: 0 },
      era: { numViolatedRows: 2, numDenominatorRows: 2 },
    });
    expect(r).toEqual({
      t_ok: ["passed", 0, null],
      u_ok: ["passed", 0, null],
      t_a: ["passed", 0, null],
      t_b: ["failed", 1, null],
      u_c: ["passed", 0, null],
      mvc_t_a: ["passed", 1, null],
      // measureValueCompleteness is not made not applicable by its own empty field, only by an empty table.
      mvc_u_c: ["not_applicable", 0, "Table U is empty."],
      low_t_a: ["not_applicable", 0, "Field T.A is not populated."],
      low_t_b: ["not_applicable", null, "Field T.B does not exist."],
      low_u_c: ["not_applicable", 0, "Table U is empty."],
      // CONDITION_OCCURRENCE has no cdmTable or measureValueCompleteness result: not missing, not empty.
      era: ["failed", 1, null],
    });
  });

  it("a skipped check is an error, never a pass, when the existence checks did not run", () => {
    const r = statusOf([check("x", "isRequired", "T", "A", 0)], { x: { skipped: "tableMissing" } });
    expect(r.x![0]).toBe("error");
  });
});
