import type { CheckResult } from "./evaluate-results.js";

/** The name of omopetl's own check of row counts between runs (not one of DQD's: its id says `rowcountdrift`). */
export const ROW_COUNT_DRIFT = "rowCountDrift";

/** The default change of a table's row count that is flagged, in percent of the earlier count. */
export const DEFAULT_DRIFT_PERCENT = 20;

/** A table's row count recorded by an earlier check run. */
export interface RowCountBaseline {
  rows: number;
  /** The run (or standalone check run) that recorded it. */
  runId: string;
}

/**
 * Each checked table's row count, read off DQD's own measures: measureValueCompleteness counts every row of its
 * table in its denominator, and DQD selects it for every field. Null when the table was not counted (missing).
 */
export function rowCountsOf(results: readonly CheckResult[]): Map<string, number | null> {
  const counts = new Map<string, number | null>();
  for (const r of results) {
    if (r.checkName !== "measureValueCompleteness") continue;
    if (!counts.has(r.cdmTableName) || counts.get(r.cdmTableName) === null) counts.set(r.cdmTableName, r.numDenominatorRows);
  }
  return counts;
}

/**
 * One result per table: its row count against the count an earlier successful run recorded (`baselines`),
 * **failed** when it changed by more than `thresholdPercent` of that count (from none to some rows is a change of
 * 100%), **not applicable** without an earlier count or when the table is missing. `numViolatedRows` is the size of
 * the change, `numDenominatorRows` the earlier count, `rowCount` the count now (what the next run compares with).
 */
export function rowCountDriftResults(counts: ReadonlyMap<string, number | null>, baselines: ReadonlyMap<string, RowCountBaseline>, thresholdPercent: number): CheckResult[] {
  return [...counts.keys()].sort().map((table) => {
    const rows = counts.get(table) ?? null;
    const base = baselines.get(table);
    const threshold = thresholdPercent;
    const result: CheckResult = {
      checkId: `table_rowcountdrift_${table.toLowerCase()}`,
      checkName: ROW_COUNT_DRIFT,
      checkLevel: "TABLE",
      checkDescription: `The number of rows in ${table} changed by more than ${threshold}% since the previous successful run.`,
      kahnContext: "Verification",
      kahnCategory: "Plausibility",
      kahnSubcategory: "Temporal",
      severity: "characterization",
      sqlFile: "",
      cdmTableName: table,
      numViolatedRows: null,
      pctViolatedRows: null,
      numDenominatorRows: null,
      executionTime: null,
      queryText: null,
      warning: null,
      error: null,
      failed: 0,
      passed: 0,
      isError: 0,
      notApplicable: 0,
      notApplicableReason: null,
      thresholdValue: threshold,
      notesValue: null,
      status: "passed",
      rowCount: rows,
      baselineRunId: base?.runId ?? null,
    };
    if (rows === null) return { ...result, notApplicable: 1, status: "not_applicable", notApplicableReason: `Table ${table} was not counted (it does not exist).` };
    if (!base) return { ...result, notApplicable: 1, status: "not_applicable", notApplicableReason: `No earlier successful run recorded the rows of ${table}.` };
    const change = Math.abs(rows - base.rows);
    const pct = base.rows === 0 ? (change === 0 ? 0 : 1) : change / base.rows;
    const failed = pct * 100 > threshold;
    return { ...result, numViolatedRows: change, numDenominatorRows: base.rows, pctViolatedRows: pct, failed: failed ? 1 : 0, passed: failed ? 0 : 1, status: failed ? "failed" : "passed" };
  });
}

/** `PERSON: 27 -> 40 rows (+48.15%, threshold 20%, against run R)`. */
export function describeDrift(r: CheckResult): string {
  const before = r.numDenominatorRows ?? 0;
  const now = r.rowCount ?? 0;
  const sign = now >= before ? "+" : "-";
  return `${r.cdmTableName}: ${before} -> ${now} rows (${sign}${((r.pctViolatedRows ?? 0) * 100).toFixed(2)}%, threshold ${r.thresholdValue}%, against run ${r.baselineRunId})`;
}
