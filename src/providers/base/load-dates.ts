import { invalidDateFormat } from "../../core/diagnostics/date-format-errors.js";
import { OmopetlError } from "../../core/diagnostics/diagnostic.js";
import { dateFormatList, isDateFormatProblem, parseDateFormat, type DateField, type ParsedDateFormat } from "../../core/load/date-format.js";
import { calendarDateOk } from "./load-values.js";

/**
 * Dates read with a strftime-style format by one grammar on every engine (src/core/load/date-format.ts): a value is
 * matched by the format's regular expression, its fields are taken from the match and checked against the
 * calendar and the clock, and a value that passes is rewritten as ISO text and cast, which every engine reads the
 * same way. Neither DuckDB's strptime nor PostgreSQL's to_date is used: each accepts its own extras (trailing text,
 * short years, spaces) and reads two-digit years by its own rule.
 */
export interface DateParseDialect {
  stringLiteral(s: string): string;
  /** True when the whole of `x` matches `pattern` (anchored by the hook). */
  fullMatch(x: string, pattern: string): string;
  /** The text of capturing group `n` of `x`, which matches the whole of `regex`. */
  regexGroup(x: string, regex: string, n: number): string;
  /** A checked ISO text (`YYYY-MM-DD`, or `YYYY-MM-DD HH:MM:SS[.f]`) as a date or timestamp. */
  isoValue(text: string, kind: "date" | "datetime"): string;
  /** Text of `x` (a number), the generator's textCast hook. */
  textCast(x: string): string;
}

/** A date or datetime column's formats, parsed; a plan not made by the compiler may hold a refused one. */
export function parsedFormats(formats: string | readonly string[], kind: "date" | "datetime"): ParsedDateFormat[] {
  return dateFormatList(formats).map((f) => {
    const p = parseDateFormat(f, kind);
    if (isDateFormatProblem(p)) throw new OmopetlError(invalidDateFormat(undefined, `the ${kind} format`, f, p));
    return p;
  });
}

const int = (s: string): string => `CAST(${s} AS INTEGER)`;

/** The digits of `field` in `v` (a value matching `f`), or undefined when the format does not read it. */
function fieldText(d: DateParseDialect, v: string, f: ParsedDateFormat, field: DateField): string | undefined {
  const part = f.parts.find((p) => p.field === field);
  if (!part) return undefined;
  // Fields at a fixed offset are cut out; the others need the match's group.
  if (part.fixed && part.offset !== undefined) return `substr(${v}, ${part.offset + 1}, ${part.width})`;
  return d.regexGroup(v, f.regex, part.group);
}

/** The year of `v` as an SQL integer: %y by the POSIX rule, 69-99 -> 1969-1999, 00-68 -> 2000-2068. */
function yearSql(d: DateParseDialect, v: string, f: ParsedDateFormat): string {
  const y = int(fieldText(d, v, f, "year")!);
  return f.parts.some((p) => p.directive === "y") ? `(CASE WHEN ${y} >= 69 THEN 1900 + ${y} ELSE 2000 + ${y} END)` : y;
}

/** SQL true when `v` (not NULL) is read by `f`: it matches, is a day of the calendar and a time of the clock. */
export function formatReads(d: DateParseDialect, v: string, f: ParsedDateFormat): string {
  const checks = [calendarDateOk(yearSql(d, v, f), int(fieldText(d, v, f, "month")!), int(fieldText(d, v, f, "day")!))];
  for (const [field, max] of [["hour", 23], ["minute", 59], ["second", 59]] as const) {
    const t = fieldText(d, v, f, field);
    if (t !== undefined) checks.push(`${int(t)} <= ${max}`);
  }
  // CASE, not AND: the fields of a value that does not match are not numbers.
  const full = `WHEN ${d.fullMatch(v, f.regex)} THEN ${checks.join(" AND ")} ELSE FALSE END`;
  const year = f.parts.find((p) => p.field === "year")!;
  if (f.sureRegex === undefined || year.offset === undefined) return `(CASE ${full})`;
  // Most values (days up to the 28th) are settled by one regex; only the year 0000 is left (%y is 1969-2068).
  const yearOk = year.directive === "y" ? "TRUE" : `substr(${v}, ${year.offset + 1}, 4) <> '0000'`;
  return `(CASE WHEN ${d.fullMatch(v, f.sureRegex)} THEN ${yearOk} ${full})`;
}

/** The ISO text of `v`, a value `f` reads: a date, or a datetime with the fields the format lacks at zero. */
function isoText(d: DateParseDialect, v: string, f: ParsedDateFormat, kind: "date" | "datetime"): string {
  const lit = (s: string): string => d.stringLiteral(s);
  const two = (field: DateField): string => {
    const t = fieldText(d, v, f, field);
    if (t === undefined) return lit("00");
    // Portable zero-padding (not every engine has lpad).
    return f.parts.find((p) => p.field === field)!.fixed ? t : `CASE WHEN length(${t}) = 1 THEN '0' || ${t} ELSE ${t} END`;
  };
  const year = f.parts.some((p) => p.directive === "y") ? d.textCast(yearSql(d, v, f)) : fieldText(d, v, f, "year")!;
  const parts = [year, lit("-"), two("month"), lit("-"), two("day")];
  if (kind === "datetime") {
    parts.push(lit(" "), two("hour"), lit(":"), two("minute"), lit(":"), two("second"));
    const frac = fieldText(d, v, f, "fraction");
    if (frac !== undefined) parts.push(lit("."), frac);
  }
  return parts.join(" || ");
}

/** What a value no format reads is told, after the value: the formats tried. */
export function formatsReason(formats: readonly ParsedDateFormat[], key: string): string {
  const shown = formats.map((f) => JSON.stringify(f.format)).join(", ");
  return formats.length === 1
    ? `does not match the ${key} ${shown} (or is not a day of the calendar or a time of the clock)`
    : `matches none of the ${key} formats tried in order, ${shown} (or is not a day of the calendar or a time of the clock)`;
}

/** SQL true when the NULL-handled `v` is NULL or read by one of `formats` (the value check of a load). */
export function formatsCheck(d: DateParseDialect, v: string, formats: readonly ParsedDateFormat[]): string {
  return `(${v} IS NULL OR ${formats.map((f) => formatReads(d, v, f)).join(" OR ")})`;
}

/**
 * The date or timestamp of `v` by the first of `formats` that reads it. `fail` (SQL of the type that fails the
 * statement) is taken by a value no format reads; without it (the value was checked before) such a value reads as
 * the last format's fields would, which only a checked value may rely on.
 */
export function formatsValue(d: DateParseDialect, v: string, formats: readonly ParsedDateFormat[], kind: "date" | "datetime", fail?: string): string {
  const cast = (f: ParsedDateFormat): string => d.isoValue(isoText(d, v, f, kind), kind);
  if (fail === undefined && formats.length === 1) return cast(formats[0]!);
  const whens = formats.map((f, i) => (fail === undefined && i === formats.length - 1 ? `ELSE ${cast(f)}` : `WHEN ${formatReads(d, v, f)} THEN ${cast(f)}`));
  return `(CASE WHEN ${v} IS NULL THEN NULL ${whens.join(" ")}${fail !== undefined ? ` ELSE ${fail}` : ""} END)`;
}
