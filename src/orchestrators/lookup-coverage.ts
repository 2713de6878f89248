/** How many of a lookup's codes and rows mapped to a standard concept in one run of its step. */
export interface LookupCoverageReport {
  /** The lookup's name in the DML. */
  lookup: string;
  /** 1-based index of the select (union branch) the lookup belongs to; absent when the transform has one select. */
  select?: number;
  /** Distinct non-NULL codes read, and how many of them mapped / did not map. */
  codes: number;
  codesMapped: number;
  codesUnmapped: number;
  /** Rows read with a code (each source row once, however many concepts its code maps to). */
  rows: number;
  rowsMapped: number;
  rowsUnmapped: number;
  /** Rows whose code is NULL (never mapped; not in `rows`). */
  rowsWithoutCode: number;
  /** The most frequent unmapped codes, by rows (then by code, in UTF-8 byte order). */
  topUnmapped: { code: string; rows: number }[];
}

/** How many unmapped codes a report lists. */
export const TOP_UNMAPPED = 10;

/**
 * Summarises the rows of a coverage query (per distinct code: `n` rows joined, `targets` standard concepts). A code
 * mapping to k concepts was joined k times per source row, so its rows are n / k.
 */
export function summariseCoverage(lookup: string, select: number | undefined, rows: readonly Record<string, unknown>[]): LookupCoverageReport {
  const report: LookupCoverageReport = {
    lookup,
    ...(select !== undefined ? { select } : {}),
    codes: 0,
    codesMapped: 0,
    codesUnmapped: 0,
    rows: 0,
    rowsMapped: 0,
    rowsUnmapped: 0,
    rowsWithoutCode: 0,
    topUnmapped: [],
  };
  const unmapped: { code: string; rows: number }[] = [];
  for (const r of rows) {
    const n = Number(r["n"] ?? 0);
    const targets = Number(r["targets"] ?? 0);
    const count = targets > 1 ? Math.round(n / targets) : n;
    if (r["code"] === null || r["code"] === undefined) {
      report.rowsWithoutCode += count;
      continue;
    }
    report.codes++;
    report.rows += count;
    if (targets > 0) {
      report.codesMapped++;
      report.rowsMapped += count;
    } else {
      report.codesUnmapped++;
      report.rowsUnmapped += count;
      unmapped.push({ code: String(r["code"]), rows: count });
    }
  }
  // Byte order of the UTF-8 text, so every engine's rows give the same list.
  unmapped.sort((a, b) => b.rows - a.rows || Buffer.compare(Buffer.from(a.code, "utf8"), Buffer.from(b.code, "utf8")));
  report.topUnmapped = unmapped.slice(0, TOP_UNMAPPED);
  return report;
}
