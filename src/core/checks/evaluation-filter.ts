import type { DqdCheckDescription, DqdLevelRow } from "./dqd-definitions.js";
import { dqdParseError } from "./dqd-errors.js";

/** One comparison of an evaluation filter: `column == 'value'` or `column != 'value'`. */
export interface FilterTerm {
  column: string;
  op: "==" | "!=";
  value: string;
}

/**
 * Parses a check's `evaluationFilter` (R code DQD hands to dplyr::filter) in the closed form the files use: terms
 * `name == 'value'` / `name != 'value'` joined by `&`. Anything else is DQD_PARSE_ERROR rather than a guess, since a
 * misread filter would silently run the wrong checks.
 */
export function parseEvaluationFilter(d: Pick<DqdCheckDescription, "evaluationFilter" | "checkName" | "file" | "line">): FilterTerm[] {
  const terms: FilterTerm[] = [];
  for (const part of d.evaluationFilter.split("&")) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(==|!=)\s*'([^']*)'\s*$/.exec(part);
    if (!m) {
      throw dqdParseError(
        { file: d.file, line: d.line, column: 1 },
        `the evaluationFilter of check ${d.checkName} ("${d.evaluationFilter}") is not of the form name == 'value' & name != 'value'.`,
      );
    }
    terms.push({ column: m[1]!, op: m[2] as FilterTerm["op"], value: m[3]! });
  }
  return terms;
}

/**
 * Whether a row passes the filter as dplyr::filter evaluates it: an empty cell is NA, and a comparison with NA is NA,
 * which drops the row whatever the operator (so `fkDomain != ''` selects the rows that have a domain).
 */
export function rowMatches(terms: readonly FilterTerm[], row: DqdLevelRow): boolean {
  return terms.every((t) => {
    const v = row.values[t.column];
    if (v === undefined || v === "") return false;
    return t.op === "==" ? v === t.value : v !== t.value;
  });
}
