import type { Expr } from "../../core/expr/ast.js";

/**
 * varchar(n) enforced the same on every engine. PostgreSQL refuses a value longer than n characters on insert
 * ("value too long for type character varying(50)"), except that excess characters which are all spaces are cut
 * (SQL's rule for character varying); DuckDB accepts VARCHAR(n) in DDL but ignores the length, so it kept the long
 * value and the two engines' tables differed with no error. For engines that do not enforce it, every value written
 * to a varchar(n) column goes through {@link renderVarcharLength}: PostgreSQL's rule, PostgreSQL's message.
 *
 * Inline in the write (the INSERT/MERGE source, the load's SELECT) rather than a check of the table afterwards: it
 * looks only at the rows written, needs no scan, and can cut trailing spaces as PostgreSQL does — a later check
 * could only fail, and the engines would then disagree on a value padded with spaces.
 */

/** PostgreSQL's message for a too-long value, which every engine reports. */
export function varcharTooLongMessage(length: number): string {
  return `value too long for type character varying(${length})`;
}

/**
 * `value` (SQL text of a string expression) checked against varchar(`length`): NULL and values of at most `length`
 * characters as they are, values whose excess is all spaces cut to `length`, others failing the statement through
 * `fail` (an expression of type VARCHAR that raises its message). `value` is repeated: engines evaluate the common
 * case (`length(value) > n` false) once per row and the rest only for the rare long values.
 */
export function renderVarcharLength(
  value: string,
  length: number,
  fail: (messageSql: string) => string,
  literal: (s: string) => string,
  trimTrailing: (x: string, chars: string) => string = (x, chars) => `rtrim(${x}, ${chars})`,
): string {
  return [
    `CASE WHEN length(${value}) > ${length} THEN`,
    `  CASE WHEN length(${trimTrailing(value, "' '")}) > ${length} THEN ${fail(literal(varcharTooLongMessage(length)))} ELSE left(${value}, ${length}) END`,
    `ELSE ${value} END`,
  ].join("\n");
}

/** True when `e` needs no check for varchar(`length`): NULL (a missing column), or a literal that fits. */
export function fitsVarchar(e: Expr, length: number): boolean {
  const x = e.k === "cast" ? e.arg : e;
  return x.k === "lit" && (x.value === null || (typeof x.value === "string" && [...x.value].length <= length));
}
