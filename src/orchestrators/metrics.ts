import type { RenderedStep, StepExecution } from "../providers/provider-api.js";
import type { RunTotals, StepMetrics, StepRows } from "./orchestrator-api.js";

/** The statement's verb: its first keyword, after comments and a leading WITH clause are skipped. */
function verbOf(sql: string): string {
  const text = sql.replace(/--[^\n]*\n?/g, " ").replace(/\/\*[\s\S]*?\*\//g, " ").trim().toUpperCase();
  const first = /^[A-Z]+/.exec(text)?.[0] ?? "";
  if (first !== "WITH") return first;
  // WITH ... INSERT/UPDATE/DELETE/MERGE: the data-modifying keyword that follows the CTEs at depth 0.
  let depth = 0;
  for (let i = 4; i < text.length; i++) {
    const c = text[i]!;
    if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (depth === 0 && /[A-Z]/.test(c) && !/[A-Z0-9_]/.test(text[i - 1] ?? " ")) {
      const word = /^[A-Z]+/.exec(text.slice(i))![0];
      if (["INSERT", "UPDATE", "DELETE", "MERGE", "SELECT"].includes(word)) return word;
    }
  }
  return first;
}

/**
 * Rows a step changed, from the counts the driver reported: the result statement's count (what "27 inserted" shows)
 * and, per verb, the sums over the step's statements. Inserts count only the result statement when there is one,
 * so rows added to the surrogate id map do not inflate a transform's count; statements the generator marks as
 * bookkeeping (id map, merge ledger) are not counted at all. A merge's rows deleted because their source is gone are
 * `sourceGone` (and in `deleted`).
 */
export function stepRows(rendered: RenderedStep, execution: StepExecution): StepRows {
  const rows: StepRows = {};
  const add = (k: "inserted" | "updated" | "deleted", n: number) => {
    rows[k] = (rows[k] ?? 0) + n;
  };
  const bookkeeping = new Set(rendered.bookkeepingStatements ?? []);
  // Result statement -> the statement whose count is its rows (itself, or a later count statement).
  const results = new Map<number, number>();
  for (const p of rendered.partResults ?? (rendered.resultStatement !== undefined ? [{ resultStatement: rendered.resultStatement, countStatement: rendered.countStatement }] : [])) {
    results.set(p.resultStatement, p.countStatement ?? p.resultStatement);
  }
  const countStatements = new Set([...results].filter(([r, c]) => r !== c).map(([, c]) => c));
  for (const [i, sql] of rendered.statements.entries()) {
    // A result statement whose engine returns no count is counted by a later statement (countStatement).
    const n = execution.rowCounts[results.get(i) ?? i];
    if (n === undefined || bookkeeping.has(i) || countStatements.has(i)) continue;
    const verb = verbOf(sql);
    const isResult = results.has(i);
    if (verb === "INSERT" && (isResult || rendered.resultStatement === undefined)) add("inserted", n);
    else if (verb === "UPDATE") add("updated", n);
    else if (verb === "DELETE") add("deleted", n);
  }
  const stale = rendered.staleRowsStatement !== undefined ? execution.rowCounts[rendered.staleRowsStatement] : undefined;
  if (stale !== undefined) rows.sourceGone = stale;
  if (rendered.resultStatement !== undefined && execution.rowCount !== undefined) {
    rows.affected = execution.rowCount;
    const verb = verbOf(rendered.statements[rendered.resultStatement] ?? "");
    const named = ({ INSERT: "inserted", MERGE: "merged", UPDATE: "updated", DELETE: "deleted" } as const)[verb as "INSERT"];
    if (named) rows.verb = named;
  } else if (rendered.resultStatement === undefined) {
    // sql steps: their own DML counts are the best there is.
    const sum = (rows.inserted ?? 0) + (rows.updated ?? 0) + (rows.deleted ?? 0);
    if (rows.inserted !== undefined || rows.updated !== undefined || rows.deleted !== undefined) rows.affected = sum;
  }
  return rows;
}

/** Run totals over step metrics. */
export function totalsOf(steps: readonly StepMetrics[]): RunTotals {
  const t: RunTotals = {
    steps: steps.length,
    succeeded: 0,
    failed: 0,
    skipped: 0,
    reused: 0,
    cancelled: 0,
    attempts: 0,
    rowsAffected: 0,
    rowsInserted: 0,
    rowsUpdated: 0,
    rowsDeleted: 0,
  };
  for (const s of steps) {
    t[s.status]++;
    t.attempts += s.attempts;
    t.rowsAffected += s.rows.affected ?? 0;
    t.rowsInserted += s.rows.inserted ?? 0;
    t.rowsUpdated += s.rows.updated ?? 0;
    t.rowsDeleted += s.rows.deleted ?? 0;
  }
  return t;
}
