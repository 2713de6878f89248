import { boundMessage } from "../../core/diagnostics/safe-text.js";
import type { LookupCoverageReport } from "../../orchestrators/orchestrator-api.js";
import type { Style } from "./format.js";

/** How many unmapped codes the short (terminal) report names; --metrics-out and the ledger have the full list. */
const SHORT_TOP = 3;

const n = (x: number) => x.toLocaleString("en-US");
const pct = (part: number, whole: number) => (whole === 0 ? "0%" : `${((100 * part) / whole).toFixed(1)}%`);

/**
 * One line per lookup under a step's outcome:
 * `lookup dx: 7 of 9 codes mapped (10 of 12 rows, 83.3%) · unmapped: C3 2, ZZ9 1 (+1 more code)`.
 * Codes come from data: each is printed bounded and escaped.
 */
export function coverageLines(reports: readonly LookupCoverageReport[] | undefined, style: Style): string[] {
  const lines: string[] = [];
  for (const r of reports ?? []) {
    const name = r.select !== undefined ? `${r.lookup} (select ${r.select})` : r.lookup;
    const parts = [`lookup ${name}: ${n(r.codesMapped)} of ${n(r.codes)} codes mapped (${n(r.rowsMapped)} of ${n(r.rows)} rows, ${pct(r.rowsMapped, r.rows)})`];
    if (r.codesUnmapped > 0) {
      const shown = r.topUnmapped.slice(0, SHORT_TOP).map((u) => `${boundMessage(u.code).slice(0, 60)} ${n(u.rows)}`);
      const more = r.codesUnmapped - shown.length;
      parts.push(`unmapped: ${shown.join(", ")}${more > 0 ? ` (+${n(more)} more code${more === 1 ? "" : "s"})` : ""}`);
    }
    if (r.rowsWithoutCode > 0) parts.push(`${n(r.rowsWithoutCode)} rows without a code`);
    lines.push(style.dim(`    ${parts.join(" · ")}`));
  }
  return lines;
}
