import { isScannable, scanKey, type CheckMeasure, type CheckRowSet } from "../../core/checks/check-model.js";
import type { Expr } from "../../core/expr/ast.js";
import type { TableRef } from "../../core/model/plan.js";
import type { RenderContext } from "../provider-api.js";
import { UnsupportedFeatureError } from "../provider-errors.js";

/** What the check queries need of a generator (pure SQL text): expressions, identifiers and table names. */
export interface CheckSqlGenerator {
  readonly dialect: string;
  expr(e: Expr): string;
  ident(name: string): string;
  table(ref: TableRef, ctx: RenderContext): string;
}

/** The columns of a check query's one row. */
export const CHECK_QUERY_COLUMNS = ["num_violated_rows", "num_denominator_rows"] as const;

/** `FROM table AS alias [JOIN ...]` of a row set. */
function fromLines(g: CheckSqlGenerator, r: CheckRowSet, ctx: RenderContext): string[] {
  const lines = [`FROM ${g.table(r.from, ctx)} AS ${g.ident(r.alias)}`];
  for (const j of r.joins) lines.push(`${j.type === "left" ? "LEFT JOIN" : "INNER JOIN"} ${g.table(j.table, ctx)} AS ${g.ident(j.alias)} ON ${g.expr(j.on)}`);
  return lines;
}

/** The WHERE conditions of a row set: its own, and the duplicates restriction (DQD's `IN (... HAVING COUNT(*) > 1)`). */
function conditions(g: CheckSqlGenerator, r: CheckRowSet, ctx: RenderContext): string[] {
  const out: string[] = [];
  if (r.where) out.push(`(${g.expr(r.where)})`);
  if (r.duplicatesOf) {
    const c = g.ident(r.duplicatesOf);
    out.push(`${g.ident(r.alias)}.${c} IN (SELECT ${c} FROM ${g.table(r.from, ctx)} GROUP BY ${c} HAVING count(*) > 1)`);
  }
  return out;
}

/** The row set's rows (for samples) or its count (for the measure). */
function rowSetQuery(g: CheckSqlGenerator, r: CheckRowSet, ctx: RenderContext, select: string): string[] {
  const where = conditions(g, r, ctx);
  return [`SELECT ${select}`, ...fromLines(g, r, ctx), ...(where.length > 0 ? [`WHERE ${where.join("\n  AND ")}`] : [])];
}

/** `count(*)`, or the distinct values of `value` (NULL one more value when `nullIsValue`, as DQD counts them). */
function countOf(g: CheckSqlGenerator, r: CheckRowSet): string {
  if (r.count.kind === "rows") return "count(*)";
  const v = g.expr(r.count.value);
  const distinct = `count(DISTINCT ${v})`;
  return r.count.nullIsValue ? `${distinct} + CASE WHEN count(*) > count(${v}) THEN 1 ELSE 0 END` : distinct;
}

/** The two count columns of a `ratio` measure's SELECT list, each a scalar subquery over its row set. */
function countColumns(g: CheckSqlGenerator, measure: CheckMeasure, ctx: RenderContext): string[] {
  if (measure.kind !== "ratio") throw new UnsupportedFeatureError(g.dialect, `a ${measure.kind} check as a counting query`);
  const sub = (r: CheckRowSet, name: string): string =>
    [`  (`, ...rowSetQuery(g, r, ctx, countOf(g, r)).map((l) => `    ${l}`), `  ) AS ${g.ident(name)}`].join("\n");
  return [sub(measure.numerator, CHECK_QUERY_COLUMNS[0]), sub(measure.denominator, CHECK_QUERY_COLUMNS[1])];
}

/**
 * One SELECT returning one row `(num_violated_rows, num_denominator_rows)` for a `ratio` measure: each count a
 * scalar subquery over its row set, so nothing is written.
 * @throws UNSUPPORTED_FEATURE for measures that are not counted by a query (existence checks, unsupported types).
 */
export function renderCheckQuery(g: CheckSqlGenerator, measure: CheckMeasure, ctx: RenderContext): string {
  return [`SELECT`, countColumns(g, measure, ctx).join(",\n")].join("\n");
}

/**
 * Several `ratio` measures in one query, one row each `(check_index, num_violated_rows, num_denominator_rows)`,
 * `check_index` the measure's position in `measures`: fewer round trips for thousands of small checks. One failing
 * measure fails the whole query; callers then run the batch's measures one by one.
 */
export function renderCheckBatch(g: CheckSqlGenerator, measures: readonly CheckMeasure[], ctx: RenderContext): string {
  return measures.map((m, i) => [`SELECT`, [`  ${i} AS ${g.ident("check_index")}`, ...countColumns(g, m, ctx)].join(",\n")].join("\n")).join("\nUNION ALL\n");
}

/**
 * Up to `limit` violating rows of a `ratio` measure (the checked table's columns), for a failed check's sample:
 * `t.*` of the numerator's rows, in no particular order.
 */
export function renderCheckSample(g: CheckSqlGenerator, measure: CheckMeasure, ctx: RenderContext, limit: number): string {
  if (measure.kind !== "ratio") throw new UnsupportedFeatureError(g.dialect, `a sample of a ${measure.kind} check`);
  const n = measure.numerator;
  return [...rowSetQuery(g, n, ctx, `${g.ident(n.alias)}.*`), `LIMIT ${Math.max(0, Math.trunc(limit))}`].join("\n");
}

/** A query that fails when `column` is not a column of `table` and otherwise reads no row (DQD's cdmField). */
export function renderFieldProbe(g: CheckSqlGenerator, table: TableRef, column: string, ctx: RenderContext): string {
  return renderFieldsProbe(g, table, [column], ctx);
}

/** {@link renderFieldProbe} of several columns of one table in one query: it fails when any of them is missing. */
export function renderFieldsProbe(g: CheckSqlGenerator, table: TableRef, columns: readonly string[], ctx: RenderContext): string {
  return `SELECT ${columns.map((c) => `${g.ident("t")}.${g.ident(c)}`).join(", ")} FROM ${g.table(table, ctx)} AS ${g.ident("t")} WHERE 1 = 0`;
}

/**
 * Row sets over the same rows (equal {@link scanKey}: one FROM and the same joins; each {@link isScannable}) counted in
 * one query over those rows: `count(CASE WHEN cond THEN 1 END)` per row set (`count(*)` without a condition), which
 * counts exactly the rows `WHERE cond` keeps (NULL is not true), 0 when there are none. One row, columns
 * `count_<i>` for the row set at position `i`. A condition that fails (a cast) fails the query; callers then count
 * its measures the other way.
 * @throws UNSUPPORTED_FEATURE for row sets over different rows, or not counted by filters.
 */
export function renderCheckScan(g: CheckSqlGenerator, rowSets: readonly CheckRowSet[], ctx: RenderContext): string {
  const first = rowSets[0];
  if (!first || !rowSets.every((r) => isScannable(r) && scanKey(r) === scanKey(first))) {
    throw new UnsupportedFeatureError(g.dialect, "a scan of row sets over different rows, or not counted by filters");
  }
  const columns = rowSets.map((r, i) => `  ${r.where ? `count(CASE WHEN ${g.expr(r.where)} THEN 1 END)` : "count(*)"} AS ${g.ident(`count_${i}`)}`);
  return [`SELECT`, columns.join(",\n"), ...fromLines(g, first, ctx)].join("\n");
}
