import type { TableDef, TableRef } from "../../core/model/plan.js";
import { CHECKED_ALIAS, STAGE_FILE_COLUMN, STAGE_ROW_COLUMN, type CheckedColumn } from "./load-values.js";
import { indent } from "./sql-text.js";

/**
 * `on_error: reject`: a load diverts the rows holding a value that does not convert to a rejects table instead of
 * failing, engine-side (the rows never pass through omopetl). The values are checked by the same grammar and the
 * same NULL handling as the failing probe (load-values.ts), so a row is rejected exactly when `on_error: fail`
 * would have failed on it, and rows are numbered the same way (data rows of each file, counted from 1).
 */

/** The rejects table's columns, in order: one row per value that does not convert. */
export const REJECTS_COLUMNS = ["file", "row", "column", "value", "reason"] as const;

/** The connection-local table of a load's bad values (with the staged row they come from), dropped with the step. */
export const BAD_VALUES_TABLE = "omopetl_load_bad";

/** The definition of a load's rejects table (recreated at every run of the load, so a re-run equals a fresh run). */
export function rejectsTableDef(ref: TableRef): TableDef {
  const text = { kind: "varchar" } as const;
  return {
    schema: ref.schema,
    name: ref.name,
    cdm: false,
    columns: [
      { name: "file", type: text, required: true },
      { name: "row", type: { kind: "bigint" }, required: true },
      { name: "column", type: text, required: true },
      { name: "value", type: text, required: false },
      { name: "reason", type: text, required: true },
    ],
    primaryKey: [],
    foreignKeys: [],
    indexes: [],
  };
}

/** What the rejects SQL needs of a generator: pure SQL text. */
export interface RejectsDialect {
  stringLiteral(s: string): string;
  ident(name: string): string;
}

/**
 * A query over the staged rows `stage` returning one row per value that does not convert, in file order then
 * declared column order: `rn` (the staged row), `pos` (the column's position among the checks), and the rejects
 * table's columns (the data row counted from 1 in its file, after the header). Rows with a bad value are found in
 * one pass over the staged rows; only those are split into one row per bad value.
 */
export function badValuesSelect(d: RejectsDialect, stage: string, checks: readonly CheckedColumn[]): string {
  const lit = (s: string): string => d.stringLiteral(s);
  const v = CHECKED_ALIAS;
  const notOk = checks.map((c) => `NOT ${c.check.ok}`);
  const values = [
    `SELECT s.${STAGE_FILE_COLUMN}, s.${STAGE_ROW_COLUMN},`,
    indent(checks.map((c) => `${c.value} AS ${c.ident}`).join(",\n")),
    `FROM ${stage} AS s`,
  ].join("\n");
  // The rows with at least one bad value (NOT ok is TRUE), as the failing probe's CASE finds them.
  const badRows = `SELECT * FROM (\n${indent(values)}\n) AS ${v}\nWHERE ${notOk.map((x) => `(${x})`).join("\n   OR ")}`;
  const col = (name: string): string => d.ident(name);
  const perValue = checks.map((c, i) =>
    [
      `SELECT ${v}.${STAGE_ROW_COLUMN} AS rn, ${i + 1} AS pos, ${v}.${STAGE_FILE_COLUMN} AS ${col("file")},`,
      `  ${lit(c.name)} AS ${col("column")}, ${v}.${c.ident} AS ${col("value")}, ${lit(c.check.reason)} AS ${col("reason")}`,
      `FROM bad_rows AS ${v}`,
      `WHERE ${notOk[i]}`,
    ].join("\n"),
  );
  return [
    `WITH bad_rows AS (\n${indent(badRows)}\n),`,
    `bad AS (\n${indent(perValue.join("\nUNION ALL\n"))}\n)`,
    `SELECT b.rn, b.pos, b.${col("file")}, b.rn - m.first_row + 1 AS ${col("row")}, b.${col("column")}, b.${col("value")}, b.${col("reason")}`,
    "FROM bad AS b",
    `JOIN (SELECT ${STAGE_FILE_COLUMN}, min(${STAGE_ROW_COLUMN}) AS first_row FROM ${stage} GROUP BY ${STAGE_FILE_COLUMN}) AS m ON m.${STAGE_FILE_COLUMN} = b.${col("file")}`,
  ].join("\n");
}

/** The INSERT filling the rejects table `rejects` (a qualified name) from the bad values table `bad`. */
export function insertRejects(d: RejectsDialect, rejects: string, bad: string): string {
  const cols = REJECTS_COLUMNS.map((c) => d.ident(c)).join(", ");
  return `INSERT INTO ${rejects} (${cols})\nSELECT ${REJECTS_COLUMNS.map((c) => `b.${d.ident(c)}`).join(", ")}\nFROM ${bad} AS b\nORDER BY b.rn, b.pos`;
}

/** The condition keeping a staged row (alias `alias`) that holds no bad value. */
export function keepRow(bad: string, alias: string): string {
  return `NOT EXISTS (SELECT 1 FROM ${bad} AS b WHERE b.rn = ${alias}.${STAGE_ROW_COLUMN})`;
}

/**
 * The query an orchestrator runs after the load committed: one row with `rows_rejected` (distinct file rows) and
 * `values_rejected` (rows of the rejects table).
 */
export function rejectsCountSelect(d: RejectsDialect, rejects: string): string {
  return [
    `SELECT (SELECT count(*) FROM (SELECT DISTINCT ${d.ident("file")}, ${d.ident("row")} FROM ${rejects}) AS r) AS rows_rejected,`,
    `  (SELECT count(*) FROM ${rejects}) AS values_rejected`,
  ].join("\n");
}

/** What the base generator's `loadRejects` renders for a load with `on_error: reject`. */
export interface LoadRejects {
  statements: string[];
  /** The condition keeping a staged row; absent when nothing is checked. */
  keep?: string;
  cleanup: string[];
  staged: boolean;
}
