import { describe, expect, it } from "vitest";
import type { CheckResult } from "../../src/core/checks/evaluate-results.js";
import { rowCountDriftResults, rowCountsOf } from "../../src/core/checks/row-count-drift.js";

const mvc = (table: string, field: string, den: number | null) => ({ checkName: "measureValueCompleteness", cdmTableName: table, cdmFieldName: field, numDenominatorRows: den }) as CheckResult;

describe("row count drift", () => {
  it("reads each table's rows off measureValueCompleteness's denominators (null: not counted)", () => {
    const counts = rowCountsOf([mvc("PERSON", "A", 27), mvc("PERSON", "B", 27), mvc("NOTE", "A", null), { checkName: "isRequired", cdmTableName: "DEATH", numDenominatorRows: 5 } as CheckResult]);
    expect([...counts]).toEqual([["PERSON", 27], ["NOTE", null]]);
  });

  it("flags a change past the threshold, not at it; from none to some is 100%; no earlier count or no table is not applicable", () => {
    const counts = new Map<string, number | null>([["AT", 12], ["PAST", 13], ["SHRUNK", 5], ["FROM_ZERO", 1], ["ZERO", 0], ["NEW", 4], ["MISSING", null]]);
    const base = (rows: number) => ({ rows, runId: "r1" });
    const baselines = new Map([["AT", base(10)], ["PAST", base(10)], ["SHRUNK", base(10)], ["FROM_ZERO", base(0)], ["ZERO", base(0)], ["MISSING", base(3)]]);
    const byTable = Object.fromEntries(rowCountDriftResults(counts, baselines, 20).map((r) => [r.cdmTableName, [r.status, r.numViolatedRows, r.numDenominatorRows, r.pctViolatedRows, r.rowCount, r.baselineRunId]]));
    expect(byTable).toEqual({
      AT: ["passed", 2, 10, 0.2, 12, "r1"],
      PAST: ["failed", 3, 10, 0.3, 13, "r1"],
      SHRUNK: ["failed", 5, 10, 0.5, 5, "r1"],
      FROM_ZERO: ["failed", 1, 0, 1, 1, "r1"],
      ZERO: ["passed", 0, 0, 0, 0, "r1"],
      NEW: ["not_applicable", null, null, null, 4, null],
      MISSING: ["not_applicable", null, null, null, null, "r1"],
    });
    expect(rowCountDriftResults(counts, baselines, 20).map((r) => r.checkId)).toContain("table_rowcountdrift_from_zero");
  });
});
