import type { ColumnDef, FileFormat } from "../../core/model/plan.js";
import { indent } from "./sql-text.js";
import { varcharTooLongMessage } from "./varchar-length.js";

/**
 * What turning a file's text into typed values needs of a generator: pure SQL text. Each engine's CAST accepts its
 * own extras (DuckDB reads '1.5' into an integer as 2, '0x10' as 16, '1e400' as a double infinity; PostgreSQL 15
 * refuses all three), so a value is first checked against one grammar, the same SQL on every engine, and only a
 * value that passes is cast: a file loads the same everywhere, or fails the same way.
 */
export interface LoadValueDialect {
  stringLiteral(s: string): string;
  /** True when the whole of `x` matches the regular expression `pattern` (POSIX ERE, anchored by the hook). */
  fullMatch(x: string, pattern: string): string;
  /** `x` compared in byte order (equal-length digit strings compare as numbers under it). */
  binary(x: string): string;
  /** For a value matching {@link FLOAT_PATTERN}: true when it is a finite double that does not underflow to 0. */
  floatInRange(v: string): string;
  /** `x` without trailing characters of `chars` (SQL text of a literal), the generator's trimTrailing hook. */
  trimTrailing(x: string, chars: string): string;
  /** Text of `x` (a number), the generator's textCast hook. */
  textCast(x: string): string;
}

/** Leading/trailing spaces are allowed around numbers (both engines' casts skip them). */
export const INTEGER_PATTERN = " *[+-]?[0-9]+ *";
/** Integers of at most 9 digits: always within range, so most values skip the range arithmetic. */
const SHORT_INTEGER_PATTERN = " *[+-]?[0-9]{1,9} *";
/** Decimal numbers with an optional exponent (at most 3 digits); no NaN, Infinity, hex or digit separators. */
export const FLOAT_PATTERN = " *[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]{1,3})? *";
const PLAIN_DECIMAL_PATTERN = " *[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+) *";
/** ISO 8601 calendar date with a month 01-12 and a day 01-31 (whether the month has that day is checked apart). */
export const ISO_DATE_PATTERN = "[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])";
/** Dates that exist whatever the year (all but February 29th): most dates need no calendar arithmetic. */
const ISO_DATE_SURE = "[0-9]{4}-((0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|(0[13-9]|1[0-2])-(29|30)|(0[13578]|1[02])-31)";
/** The time of an ISO 8601 datetime: `T` or a space, seconds and up to 6 fractional digits optional, a trailing Z allowed. */
const ISO_TIME = "([ T]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9]([.][0-9]{1,6})?)?Z?)?";
export const ISO_DATETIME_PATTERN = `${ISO_DATE_PATTERN}${ISO_TIME}`;
const TRUE_WORDS = ["true", "t", "yes", "y", "1"];
const FALSE_WORDS = ["false", "f", "no", "n", "0"];

/** A column's check: `ok` is SQL true when the (NULL-handled) value is NULL or converts; `reason` ends the message. */
export interface ValueCheck {
  ok: string;
  code: "LOAD_BAD_VALUE" | "LOAD_BAD_DATE";
  reason: string;
}

/**
 * True when year `y`, month `m` and day `d` (SQL integers) form a date of the proleptic Gregorian calendar from
 * year 1: PostgreSQL refuses 2008-04-31 and the year 0, and a CAST would fail with the engine's own message.
 */
export function calendarDateOk(y: string, m: string, d: string): string {
  const last = `CASE WHEN ${m} IN (4, 6, 9, 11) THEN 30 WHEN ${m} = 2 THEN CASE WHEN ${y} % 4 = 0 AND (${y} % 100 <> 0 OR ${y} % 400 = 0) THEN 29 ELSE 28 END ELSE 31 END`;
  return `(${y} >= 1 AND ${m} BETWEEN 1 AND 12 AND ${d} BETWEEN 1 AND ${last})`;
}

const int = (s: string): string => `CAST(${s} AS INTEGER)`;

/**
 * The check of an ISO date (or datetime, `time` its time pattern) `v`: its pattern, then (for February 29th only)
 * the calendar; the year 0 does not exist.
 */
function isoDateCheck(d: LoadValueDialect, v: string, time: string): string {
  return [
    `CASE WHEN ${d.fullMatch(v, ISO_DATE_SURE + time)} THEN left(${v}, 4) <> '0000'`,
    `WHEN ${d.fullMatch(v, ISO_DATE_PATTERN + time)} THEN ${calendarDateOk(int(`substr(${v}, 1, 4)`), int(`substr(${v}, 6, 2)`), int(`substr(${v}, 9, 2)`))}`,
    "ELSE FALSE END",
  ].join(" ");
}

/** Integers of `digits` decimal digits at most `max` (as text, for the sign-less magnitude). */
function integerCheck(d: LoadValueDialect, v: string, digits: number, max: string): string {
  const mag = `regexp_replace(trim(${v}), '^[+-]?0*', '')`;
  const min = (BigInt(max) + 1n).toString();
  return [
    `CASE WHEN ${d.fullMatch(v, SHORT_INTEGER_PATTERN)} THEN TRUE`,
    `WHEN NOT ${d.fullMatch(v, INTEGER_PATTERN)} THEN FALSE`,
    `WHEN length(${mag}) < ${digits} THEN TRUE`,
    `WHEN length(${mag}) > ${digits} THEN FALSE`,
    `WHEN left(trim(${v}), 1) = '-' THEN ${d.binary(mag)} <= ${d.stringLiteral(min)}`,
    `ELSE ${d.binary(mag)} <= ${d.stringLiteral(max)} END`,
  ].join(" ");
}

/**
 * The check of column `col` for the value `v` (after NULL handling), or undefined when every text converts
 * (unbounded varchar). Dates and datetimes with a file format are checked by their parser (see the generator).
 */
export function valueCheck(d: LoadValueDialect, v: string, col: ColumnDef, format: FileFormat): ValueCheck | undefined {
  switch (col.type.kind) {
    case "varchar": {
      const n = col.type.length;
      if (n === undefined) return undefined;
      // PostgreSQL's rule, on every engine (varchar-length.ts): longer is refused unless the excess is all spaces,
      // which the load cuts.
      return {
        ok: `(${v} IS NULL OR length(${v}) <= ${n} OR length(${d.trimTrailing(v, "' '")}) <= ${n})`,
        code: "LOAD_BAD_VALUE",
        reason: `is longer than ${n} characters (${varcharTooLongMessage(n)})`,
      };
    }
    case "integer":
      return { ok: `(${v} IS NULL OR ${integerCheck(d, v, 10, "2147483647")})`, code: "LOAD_BAD_VALUE", reason: "is not an integer (-2147483648 to 2147483647)" };
    case "bigint":
      return { ok: `(${v} IS NULL OR ${integerCheck(d, v, 19, "9223372036854775807")})`, code: "LOAD_BAD_VALUE", reason: "is not a bigint (a whole number of at most 19 digits)" };
    case "float":
      // Without an exponent and within 300 characters a number can neither overflow nor underflow a double.
      return { ok: `(${v} IS NULL OR CASE WHEN ${d.fullMatch(v, PLAIN_DECIMAL_PATTERN)} AND length(${v}) <= 300 THEN TRUE WHEN ${d.fullMatch(v, FLOAT_PATTERN)} THEN ${d.floatInRange(v)} ELSE FALSE END)`, code: "LOAD_BAD_VALUE", reason: "is not a decimal number (digits, a point, an optional exponent) within the range of a double" };
    case "boolean":
      return { ok: `(${v} IS NULL OR lower(trim(${v})) IN (${[...TRUE_WORDS, ...FALSE_WORDS].map((w) => d.stringLiteral(w)).join(", ")}))`, code: "LOAD_BAD_VALUE", reason: `is not a boolean (${TRUE_WORDS.join("/")} or ${FALSE_WORDS.join("/")})` };
    case "date":
      if (format.dateFormat) return undefined;
      return {
        ok: `(${v} IS NULL OR ${isoDateCheck(d, v, "")})`,
        code: "LOAD_BAD_DATE",
        reason: "is not an ISO date (YYYY-MM-DD, a day of the calendar); give the load a date_format if the file writes dates another way",
      };
    case "datetime":
      if (format.datetimeFormat) return undefined;
      return {
        ok: `(${v} IS NULL OR ${isoDateCheck(d, v, ISO_TIME)})`,
        code: "LOAD_BAD_DATE",
        reason: "is not an ISO datetime (YYYY-MM-DD HH:MM:SS, T or a space, optional fraction and Z); give the load a datetime_format if the file writes them another way",
      };
  }
}

/** The typed value of a checked boolean text (a CAST would accept more words on PostgreSQL than on DuckDB). */
export function booleanValue(d: LoadValueDialect, v: string): string {
  const words = (ws: string[]): string => ws.map((w) => d.stringLiteral(w)).join(", ");
  return `CASE WHEN lower(trim(${v})) IN (${words(TRUE_WORDS)}) THEN TRUE WHEN lower(trim(${v})) IN (${words(FALSE_WORDS)}) THEN FALSE END`;
}

/** Columns of the staging table besides the target's: the file a row came from and its order among all rows. */
export const STAGE_FILE_COLUMN = "omopetl_file";
export const STAGE_ROW_COLUMN = "omopetl_row";

/** One checked column of a load: its name (as SQL, `ident`), its NULL-handled value, and its check over {@link CHECKED_ALIAS}. */
export interface CheckedColumn {
  ident: string;
  name: string;
  /** The value with the file format's NULLs applied, over the staged row (alias `s`). */
  value: string;
  check: ValueCheck;
}

/** The alias under which {@link CheckedColumn.check} reads the NULL-handled values, each named by the column. */
export const CHECKED_ALIAS = "v";

/**
 * A query returning one row with a `msg` for the first value of the staged files that does not convert to its
 * column's type (in file order, then declared column order), else no row. `stage` holds the files' rows as text
 * with {@link STAGE_FILE_COLUMN} and {@link STAGE_ROW_COLUMN} (increasing in file order across all files); the row
 * number shown counts the data rows of that file from 1 (the header is not a row), which is the file's line number
 * minus one when no quoted field spans lines. Each row's values are NULL-handled once (the innermost query), each
 * row is given the position of its first bad column, and only the first bad row is turned into the message, built
 * here so that it is the same text on every engine. `rowsInFileOrder` false (files copied into a table first, in no
 * defined order) leaves the row number out of the message.
 */
export function badValueSelect(d: LoadValueDialect, stage: string, checks: readonly CheckedColumn[], rejectHint: string, rowsInFileOrder = true): string {
  const lit = (s: string): string => d.stringLiteral(s);
  const byK = (f: (c: CheckedColumn) => string): string => `CASE b.k ${checks.map((c, i) => `WHEN ${i + 1} THEN ${f(c)}`).join(" ")} END`;
  const values = [
    `SELECT s.${STAGE_FILE_COLUMN}, s.${STAGE_ROW_COLUMN},`,
    indent(checks.map((c) => `${c.value} AS ${c.ident}`).join(",\n")),
    `FROM ${stage} AS s`,
  ].join("\n");
  const flagged = [
    `SELECT ${CHECKED_ALIAS}.${STAGE_FILE_COLUMN} AS file, ${CHECKED_ALIAS}.${STAGE_ROW_COLUMN} AS rn, ${checks.map((c) => `${CHECKED_ALIAS}.${c.ident}`).join(", ")},`,
    `  CASE\n${indent(checks.map((c, i) => `WHEN NOT ${c.check.ok} THEN ${i + 1}`).join("\n"), 4)}\n    ELSE 0\n  END AS k`,
    `FROM (\n${indent(values)}\n) AS ${CHECKED_ALIAS}`,
  ].join("\n");
  const rowInFile = `b.rn - (SELECT min(s2.${STAGE_ROW_COLUMN}) FROM ${stage} AS s2 WHERE s2.${STAGE_FILE_COLUMN} = b.file) + 1`;
  // Line breaks in a value are shown as \n, so the message stays one line.
  // An empty field (NULL as read) is shown as "" (a NOT NULL column's check reports it), not a NULL message.
  const value = `replace(replace(coalesce(${byK((c) => `b.${c.ident}`)}, ''), chr(13), ${lit("\\r")}), chr(10), ${lit("\\n")})`;
  const msg = [
    byK((c) => lit(c.check.code)),
    lit(": "),
    "b.file",
    // Files copied into a table first (COPY INTO on Databricks) come back in no defined order: no row number then.
    ...(rowsInFileOrder
      ? [lit(" row "), d.textCast(rowInFile), lit(" (data rows counted from 1, after the header), column ")]
      : [lit(" (a row of the file: the load copies it with COPY INTO, which keeps no line order), column ")]),
    byK((c) => lit(c.name)),
    lit(': "'),
    value,
    lit('" '),
    byK((c) => lit(c.check.reason)),
    lit(`. Fix the value in the file, or declare the column varchar and convert it in a transform${rejectHint}.`),
  ].join("\n  || ");
  return [`SELECT ${msg} AS msg`, `FROM (\n${indent(flagged)}\n) AS b`, "WHERE b.k > 0", "ORDER BY b.rn", "LIMIT 1"].join("\n");
}
