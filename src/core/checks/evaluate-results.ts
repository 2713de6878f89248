import type { CompiledCheck } from "./check-model.js";

/** What running one check's measure gave: its counts, or the engine's error, or that it was not run. */
export interface CheckMeasurement {
  numViolatedRows?: number;
  numDenominatorRows?: number;
  /** The engine's error message (the check is then in error, as DQD's). */
  error?: string;
  /** Not run because the check's table or field is missing (see {@link evaluateChecks}). */
  skipped?: "tableMissing" | "fieldMissing";
  /** Something the engine said without failing, kept as DQD keeps warnings. */
  warning?: string;
  /** Milliseconds the measure took. */
  executionMs?: number;
  /** The SQL run, when one was. */
  queryText?: string;
}

/** A check's outcome, in the order of precedence the summary uses. */
export type CheckStatus = "error" | "not_applicable" | "failed" | "passed";

/** One check's result, with DQD's result fields (results JSON `CheckResults[]`). */
export interface CheckResult extends Omit<CompiledCheck, "measure" | "reads" | "definedAt"> {
  numViolatedRows: number | null;
  pctViolatedRows: number | null;
  numDenominatorRows: number | null;
  executionTime: string | null;
  queryText: string | null;
  warning: string | null;
  error: string | null;
  failed: 0 | 1;
  passed: 0 | 1;
  isError: 0 | 1;
  notApplicable: 0 | 1;
  notApplicableReason: string | null;
  /** The threshold applied (percent); null when the file gives none, then any violating row fails the check. */
  thresholdValue: number | null;
  notesValue: string | null;
  status: CheckStatus;
  /** rowCountDrift only (row-count-drift.ts): the table's row count now, and the run the earlier count is from. */
  rowCount?: number | null;
  baselineRunId?: string | null;
}

/**
 * DQD 2.8's evaluation (evaluateThresholds and calculateNotApplicableStatus), over checks that have a measure:
 * percent violated; an error wins; no threshold or 0 fails on any violating row, else fails past the threshold;
 * then, when cdmTable, cdmField and measureValueCompleteness were all run, **not applicable** for checks of a
 * missing or empty table, a missing field, or (but for measureValueCompleteness) an empty field, and
 * measureConditionEraCompleteness when CONDITION_OCCURRENCE is missing or empty. A not-applicable check is neither
 * failed nor passed.
 */
export function evaluateChecks(checks: readonly CompiledCheck[], measurements: ReadonlyMap<string, CheckMeasurement>): CheckResult[] {
  const results = checks.map((c) => firstPass(c, measurements.get(c.checkId)));
  const skipped = new Set(checks.filter((c) => measurements.get(c.checkId)?.skipped).map((c) => c.checkId));
  // A skipped check not made not applicable is an error, never a pass.
  const skippedError = (r: CheckResult): CheckResult =>
    skipped.has(r.checkId) && r.notApplicable === 0 ? { ...r, isError: 1, failed: 0, error: `not run: ${measurements.get(r.checkId)!.skipped === "tableMissing" ? "its table" : "its field"} is missing` } : r;
  const names = new Set(checks.map((c) => c.checkName));
  if (!["cdmTable", "cdmField", "measureValueCompleteness"].every((n) => names.has(n))) return results.map((r) => withStatus(skippedError(r)));

  const key = (t: string, f?: string | null): string => `${t}\u0000${f ?? ""}`;
  const tableMissing = new Map<string, boolean>();
  const fieldMissing = new Map<string, boolean>();
  const tableEmpty = new Map<string, boolean>();
  const fieldEmpty = new Map<string, boolean>();
  for (const r of results) {
    if (r.checkName === "cdmTable") tableMissing.set(r.cdmTableName, r.failed === 1);
    if (r.checkName === "cdmField") fieldMissing.set(key(r.cdmTableName, r.cdmFieldName), r.failed === 1);
    if (r.checkName === "measureValueCompleteness") {
      if (r.numDenominatorRows !== null) tableEmpty.set(r.cdmTableName, r.numDenominatorRows === 0);
      if (r.numDenominatorRows !== null && r.numViolatedRows !== null) fieldEmpty.set(key(r.cdmTableName, r.cdmFieldName), r.numDenominatorRows === r.numViolatedRows);
    }
  }
  const coMissing = tableMissing.get("CONDITION_OCCURRENCE") === true;
  const coEmpty = tableEmpty.get("CONDITION_OCCURRENCE") === true;

  return results.map((r) => {
    const hasField = r.cdmFieldName !== undefined;
    const flags = {
      tableIsMissing: tableMissing.get(r.cdmTableName) === true,
      // As DQD's coalesce: a field no cdmField result speaks of counts as missing, and as empty.
      fieldIsMissing: fieldMissing.get(key(r.cdmTableName, r.cdmFieldName)) ?? hasField,
      tableIsEmpty: tableEmpty.get(r.cdmTableName) === true,
      fieldIsEmpty: fieldEmpty.get(key(r.cdmTableName, r.cdmFieldName)) ?? hasField,
      conceptIsMissing: r.checkLevel === "CONCEPT" && r.unitConceptId === undefined && r.numDenominatorRows === 0,
      conceptAndUnitAreMissing: r.checkLevel === "CONCEPT" && r.unitConceptId !== undefined && r.numDenominatorRows === 0,
    };
    let na = false;
    let reason: string | null = null;
    if (r.checkName === "measureConditionEraCompleteness") {
      na = coMissing || coEmpty;
      if (na) reason = "Table CONDITION_OCCURRENCE is empty.";
    } else if (r.isError === 0 && r.checkName !== "cdmTable" && r.checkName !== "cdmField") {
      na = flags.tableIsMissing || flags.fieldIsMissing || flags.tableIsEmpty;
      if (!na && r.checkName !== "measureValueCompleteness") na = flags.fieldIsEmpty || flags.conceptIsMissing || flags.conceptAndUnitAreMissing;
    }
    if (na && reason === null) {
      const f = `${r.cdmTableName}.${r.cdmFieldName}`;
      if (flags.tableIsMissing) reason = `Table ${r.cdmTableName} does not exist.`;
      else if (flags.fieldIsMissing) reason = `Field ${f} does not exist.`;
      else if (flags.tableIsEmpty) reason = `Table ${r.cdmTableName} is empty.`;
      else if (flags.fieldIsEmpty) reason = `Field ${f} is not populated.`;
      else if (flags.conceptIsMissing) reason = `${r.cdmFieldName}=${r.conceptId} is missing from the ${r.cdmTableName} table.`;
      else reason = `Combination of ${r.cdmFieldName}=${r.conceptId}, unitConceptId=${r.unitConceptId} and VALUE_AS_NUMBER IS NOT NULL is missing from the ${r.cdmTableName} table.`;
    }
    const failed: 0 | 1 = na ? 0 : r.failed;
    return withStatus(skippedError({ ...r, notApplicable: na ? 1 : 0, notApplicableReason: reason, failed }));
  });
}

function firstPass(c: CompiledCheck, m: CheckMeasurement | undefined): CheckResult {
  const { measure: _m, reads: _r, definedAt: _d, ...meta } = c;
  // A check skipped for a missing table or field is made not applicable by evaluateChecks (or an error there).
  const error = m?.error ?? (m === undefined ? "the check was not run" : null);
  const num = m?.numViolatedRows ?? null;
  const den = m?.numDenominatorRows ?? null;
  const pct = num === null || den === null ? null : den === 0 ? 0 : num / den;
  const threshold = c.threshold ?? null;
  const isError: 0 | 1 = error !== null ? 1 : 0;
  let failed: 0 | 1 = 0;
  if (isError === 0) {
    if (threshold === null || threshold === 0) failed = num !== null && num > 0 ? 1 : 0;
    else failed = pct !== null && pct * 100 > threshold ? 1 : 0;
  }
  return {
    ...meta,
    numViolatedRows: num,
    pctViolatedRows: pct,
    numDenominatorRows: den,
    executionTime: m?.executionMs === undefined ? null : `${(m.executionMs / 1000).toFixed(6)} secs`,
    queryText: m?.queryText ?? null,
    warning: m?.warning ?? null,
    error,
    failed,
    passed: 0,
    isError,
    notApplicable: 0,
    notApplicableReason: null,
    thresholdValue: threshold,
    notesValue: c.notes ?? null,
    status: "passed",
  };
}

function withStatus(r: CheckResult): CheckResult {
  const passed: 0 | 1 = r.failed === 0 && r.isError === 0 && r.notApplicable === 0 ? 1 : 0;
  const status: CheckStatus = r.isError ? "error" : r.notApplicable ? "not_applicable" : r.failed ? "failed" : "passed";
  return { ...r, passed, status };
}
