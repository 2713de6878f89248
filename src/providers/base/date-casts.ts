import { calendarDateOk, ISO_DATETIME_PATTERN } from "./load-values.js";

/**
 * Text turned into a date or datetime in transforms, by one grammar on every engine. Each engine's CAST accepts its
 * own extras: DuckDB read '2020-01-05junk' and '2020-01-05 junk' as 2020-01-05 and '20-01-05' as the year 20,
 * PostgreSQL read '20200105' as 2020-01-05, both read '2020-1-5' and ' 2020-01-05', DuckDB read '0000-01-05' as
 * 1 BC, and both dropped an offset such as '+02:00' from a datetime without a word. A cast now accepts exactly what a
 * load accepts without a date_format (load-values.ts): an ISO date, optionally followed by an ISO time (`T` or a
 * space, HH:MM[:SS[.ffffff]], an optional Z), a day of the calendar from the year 1. A cast to date drops the time
 * (the Synthea workflow casts '2019-02-17T05:07:38Z' to a date). Anything else fails the statement with
 * PostgreSQL's message, the same text on every engine.
 */
export interface DateCastDialect {
  stringLiteral(s: string): string;
  /** True when the whole of `x` matches `pattern` (anchored by the hook). */
  fullMatch(x: string, pattern: string): string;
  /** An expression of SQL type `type` that fails the statement with `message` (SQL text). */
  failValue(message: string, type: string): string;
  /** A checked ISO text (`YYYY-MM-DD`, or a date and a time) as a date or timestamp. */
  isoValue(text: string, kind: "date" | "datetime"): string;
  /** `x` without trailing characters of `chars` (SQL text of a literal): `rtrim(x, chars)` where the engine reads it so. */
  trimTrailing(x: string, chars: string): string;
}

const int = (s: string): string => `CAST(${s} AS INTEGER)`;

/** SQL true when `x` is NULL or an ISO date or datetime of the calendar: what a cast of text to a date reads (try_cast). */
export function isoTextOk(d: Pick<DateCastDialect, "fullMatch">, x: string): string {
  return `(${x} IS NULL OR ${isoOk(d, x)})`;
}

/** SQL true when `x` (not NULL) is an ISO date or datetime of the calendar. */
function isoOk(d: Pick<DateCastDialect, "fullMatch">, x: string): string {
  const day = calendarDateOk(int(`substr(${x}, 1, 4)`), int(`substr(${x}, 6, 2)`), int(`substr(${x}, 9, 2)`));
  return `CASE WHEN ${d.fullMatch(x, ISO_DATETIME_PATTERN)} THEN ${day} ELSE FALSE END`;
}

/**
 * `x` (SQL text of a string expression) cast to a date (`DATE`) or datetime (`TIMESTAMP`) by the one grammar; a
 * text outside it fails with `invalid input syntax for type date: "<x>"` (or timestamp).
 */
export function textToDate(d: DateCastDialect, x: string, kind: "date" | "datetime"): string {
  const type = kind === "date" ? "DATE" : "TIMESTAMP";
  const msg = `${d.stringLiteral(`invalid input syntax for type ${kind === "date" ? "date" : "timestamp"}: "`)} || ${x} || '"'`;
  // The checked text's first 10 characters are the date; a trailing Z says UTC, which a timestamp without a zone is.
  const value = kind === "date" ? d.isoValue(`substr(${x}, 1, 10)`, "date") : d.isoValue(d.trimTrailing(x, "'Z'"), "datetime");
  return `(CASE WHEN ${x} IS NULL THEN NULL WHEN ${isoOk(d, x)} THEN ${value} ELSE ${d.failValue(msg, type)} END)`;
}
