import type { CheckResult } from "./evaluate-results.js";

/** DQD's `Overview` (summarizeResults), computed the same way from the results. */
export interface DqOverview {
  countTotal: number;
  countPassed: number;
  countErrorFailed: number;
  countThresholdFailed: number;
  countOverallFailed: number;
  percentPassed: number;
  percentFailed: number;
  countTotalPlausibility: number;
  countTotalConformance: number;
  countTotalCompleteness: number;
  countFailedPlausibility: number;
  countFailedConformance: number;
  countFailedCompleteness: number;
  countPassedPlausibility: number;
  countPassedConformance: number;
  countPassedCompleteness: number;
}

/** A check of the selection omopetl did not run, and why (a type it does not compile yet). */
export interface CheckNotRun {
  checkId: string;
  checkName: string;
  reason: string;
}

/**
 * The results file, in the shape of DQD's results JSON (startTimestamp, endTimestamp, executionTime, CheckResults,
 * Metadata, Overview) so DQD's viewer can read it, plus an `omopetl` section. Differences: each check result also
 * has `status`, its `sampleRows` when asked for, and no `sqlFile` SQL (omopetl's own query is in `queryText`);
 * errors are the engine's messages; Metadata has no cdm_source row unless the table is filled.
 */
export interface DqResultsJson {
  startTimestamp: string;
  endTimestamp: string;
  executionTime: string;
  CheckResults: DqdCheckResult[];
  Metadata: Record<string, unknown>[];
  Overview: DqOverview;
  /**
   * `rowCountDrift`: each table's row count against the previous successful run's (not a DQD check: kept out of
   * CheckResults so the Overview stays DQD's), with `rowCount` and `baselineRunId`.
   */
  omopetl: { checkRunId: string; target: string; dqdDefinitions: string; checksNotRun: CheckNotRun[]; rowCountDrift?: DqdCheckResult[] };
}

/** A check result with DQD's field names: `category`, `subcategory`, `context` for the Kahn terms. */
export type DqdCheckResult = Omit<CheckResult, "kahnCategory" | "kahnSubcategory" | "kahnContext"> & {
  category: string;
  subcategory: string;
  context: string;
  sampleRows?: Record<string, unknown>[];
};

/** `r` as DQD's results JSON names its fields (with `sampleRows` when given). */
export function dqdCheckResult(r: CheckResult, sampleRows?: Record<string, unknown>[]): DqdCheckResult {
  const { kahnCategory, kahnSubcategory, kahnContext, ...rest } = r;
  return { ...rest, category: kahnCategory, subcategory: kahnSubcategory, context: kahnContext, ...(sampleRows ? { sampleRows } : {}) };
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

/** DQD's Overview of `results` (a not-applicable check counts as passed in countPassed, as in DQD). */
export function overviewOf(results: readonly CheckResult[]): DqOverview {
  const count = (f: (r: CheckResult) => boolean): number => results.filter(f).length;
  const countTotal = results.length;
  const countOverallFailed = count((r) => r.failed === 1);
  const countPassed = countTotal - countOverallFailed;
  const total = countPassed + countOverallFailed;
  const cat = (c: string, f: (r: CheckResult) => boolean = () => true): number => count((r) => r.kahnCategory === c && f(r));
  return {
    countTotal,
    countPassed,
    countErrorFailed: count((r) => r.error !== null),
    countThresholdFailed: count((r) => r.failed === 1 && r.error === null),
    countOverallFailed,
    percentPassed: total === 0 ? 0 : round2((countPassed / total) * 100),
    percentFailed: total === 0 ? 0 : round2((countOverallFailed / total) * 100),
    countTotalPlausibility: cat("Plausibility"),
    countTotalConformance: cat("Conformance"),
    countTotalCompleteness: cat("Completeness"),
    countFailedPlausibility: cat("Plausibility", (r) => r.failed === 1),
    countFailedConformance: cat("Conformance", (r) => r.failed === 1),
    countFailedCompleteness: cat("Completeness", (r) => r.failed === 1),
    countPassedPlausibility: cat("Plausibility", (r) => r.passed === 1),
    countPassedConformance: cat("Conformance", (r) => r.passed === 1),
    countPassedCompleteness: cat("Completeness", (r) => r.passed === 1),
  };
}

/** Per Kahn category: how many checks passed, failed, were not applicable, or errored. */
export function summaryByCategory(results: readonly CheckResult[]): { category: string; passed: number; failed: number; notApplicable: number; errors: number }[] {
  const by = new Map<string, { category: string; passed: number; failed: number; notApplicable: number; errors: number }>();
  for (const r of results) {
    const s = by.get(r.kahnCategory) ?? { category: r.kahnCategory, passed: 0, failed: 0, notApplicable: 0, errors: 0 };
    if (r.status === "passed") s.passed++;
    else if (r.status === "failed") s.failed++;
    else if (r.status === "not_applicable") s.notApplicable++;
    else s.errors++;
    by.set(r.kahnCategory, s);
  }
  return [...by.values()].sort((a, b) => a.category.localeCompare(b.category));
}
