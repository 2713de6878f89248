/**
 * The date format grammar of loads (`date_format`, `datetime_format`) and of to_date/to_timestamp: a strftime-style
 * format compiled into one regular expression with a group per field, so that every engine reads a value the same
 * way (DuckDB's strptime and PostgreSQL's to_date each accept their own extras: PostgreSQL reads '2020-01-05junk'
 * with 'YYYY-MM-DD' as 2020-01-05, both read '20-1-5' as the year 20, and '69' is 1969 on DuckDB but 2069 on
 * PostgreSQL). Providers turn a parsed format into SQL (src/providers/base/load-dates.ts); this module is pure.
 */

/** A directive of the grammar, what it reads, and its digits (fixed, or a range). */
interface DirectiveSpec {
  what: string;
  min: number;
  max: number;
  /** The field it sets: each may be set once. */
  field: DateField;
}

/** The fields a format can set. */
export type DateField = "year" | "month" | "day" | "hour" | "minute" | "second" | "fraction";

const DIRECTIVES: Readonly<Record<string, DirectiveSpec>> = {
  Y: { what: "year, 4 digits", min: 4, max: 4, field: "year" },
  y: { what: "year, 2 digits: 69-99 are 1969-1999, 00-68 are 2000-2068", min: 2, max: 2, field: "year" },
  m: { what: "month, 1 or 2 digits", min: 1, max: 2, field: "month" },
  d: { what: "day of the month, 1 or 2 digits", min: 1, max: 2, field: "day" },
  H: { what: "hour 0-23, 1 or 2 digits", min: 1, max: 2, field: "hour" },
  M: { what: "minute, 1 or 2 digits", min: 1, max: 2, field: "minute" },
  S: { what: "second, 1 or 2 digits", min: 1, max: 2, field: "second" },
  f: { what: "fraction of a second, 1 to 6 digits", min: 1, max: 6, field: "fraction" },
};

/** Fixed-width fields whose every value is valid whatever the other fields are (see {@link ParsedDateFormat.sureRegex}). */
const SURE: Readonly<Record<string, string>> = {
  m: "(0[1-9]|1[0-2])",
  d: "(0[1-9]|1[0-9]|2[0-8])",
  H: "([01][0-9]|2[0-3])",
  M: "[0-5][0-9]",
  S: "[0-5][0-9]",
};

/** The directives a date format may use, `%%` included, for messages and docs. */
export const DATE_FORMAT_DIRECTIVES: readonly string[] = [...Object.keys(DIRECTIVES).map((d) => `%${d}`), "%%"];

/** One field of a parsed format: its directive, regex group (1-based) and, when every text before it has a fixed width, its offset. */
export interface DateFormatPart {
  directive: string;
  field: DateField;
  group: number;
  /** Digits read: exactly `width` when fixed, else 1 to `width`. */
  width: number;
  fixed: boolean;
  /** 0-based character offset of the field in every matching value, when all before it is of fixed width. */
  offset?: number;
}

/** A format compiled for the engines. */
export interface ParsedDateFormat {
  format: string;
  /** POSIX ERE (and RE2) matching a whole value, without anchors; one capturing group per part, no other group. */
  regex: string;
  /**
   * When every field has a fixed width: a regex (groups not numbered as `regex`'s) matching only values that are
   * surely a day of the calendar and a time of the clock whatever the year (a day up to 28, a month 01-12, hours
   * 00-23, minutes and seconds 00-59), so that most values need no arithmetic; a year 0000 is still refused apart.
   */
  sureRegex?: string;
  parts: DateFormatPart[];
}

/** Why a format is refused, with the offset in the format text of the cause. */
export interface DateFormatProblem {
  offset: number;
  message: string;
  hint: string;
}

/** Characters that mean something in a regular expression, escaped in literal text (both RE2 and PostgreSQL read `\x` as x for punctuation). */
const REGEX_SPECIAL = /[.^$*+?()[\]{}|\\]/g;

const HINT = `Use ${Object.entries(DIRECTIVES)
  .map(([d, s]) => `%${d} (${s.what})`)
  .join(", ")}, %% for a percent sign; other characters match themselves.`;

type Token = { kind: "directive"; directive: string; offset: number } | { kind: "literal"; text: string; offset: number };

function tokenize(format: string): Token[] {
  const out: Token[] = [];
  let literal = "";
  let start = 0;
  for (let i = 0; i < format.length; i++) {
    const ch = format[i]!;
    if (ch !== "%") {
      if (!literal) start = i;
      literal += ch;
      continue;
    }
    if (format[i + 1] === "%") {
      if (!literal) start = i;
      literal += "%";
      i++;
      continue;
    }
    if (literal) out.push({ kind: "literal", text: literal, offset: start });
    literal = "";
    out.push({ kind: "directive", directive: format[i + 1] ?? "", offset: i });
    i++;
  }
  if (literal) out.push({ kind: "literal", text: literal, offset: start });
  return out;
}

/**
 * Parses `format` for a `kind` column (a date needs a year, month and day; a datetime too, and its time fields may
 * be left out from the right: hours, then minutes, seconds, fraction). A date format may read a time, which is
 * checked and dropped. Numeric fields of 1 or 2 digits read exactly 2 when a digit can precede or follow them
 * (`%Y%m%d` reads 20200105, never 202015), so a value matches in one way only, on every engine.
 * @returns the parsed format, or the first problem.
 */
export function parseDateFormat(format: string, kind: "date" | "datetime"): ParsedDateFormat | DateFormatProblem {
  if (format.length === 0) return { offset: 0, message: "is empty", hint: HINT };
  const tokens = tokenize(format);
  const seen = new Map<DateField, string>();
  for (const t of tokens) {
    if (t.kind !== "directive") continue;
    if (t.directive === "") return { offset: t.offset, message: 'ends with a lone "%"', hint: 'Write "%%" for a percent sign.' };
    const spec = DIRECTIVES[t.directive];
    if (!spec) return { offset: t.offset, message: `has "%${t.directive}", which is not a supported directive`, hint: HINT };
    const before = seen.get(spec.field);
    if (before !== undefined) {
      return { offset: t.offset, message: `sets the ${spec.field} twice (%${before} and %${t.directive})`, hint: "Keep one of them." };
    }
    seen.set(spec.field, t.directive);
  }
  for (const [field, d] of [["year", "%Y or %y"], ["month", "%m"], ["day", "%d"]] as const) {
    if (!seen.has(field)) return { offset: 0, message: `has no ${field} (${d})`, hint: `A ${kind} format needs a year, a month and a day, e.g. "%Y%m%d" or "%d/%m/%Y".` };
  }
  const chain: [DateField, DateField, string][] = [["minute", "hour", "%H"], ["second", "minute", "%M"], ["fraction", "second", "%S"]];
  for (const [field, needs, d] of chain) {
    if (seen.has(field) && !seen.has(needs)) {
      const at = tokens.find((t) => t.kind === "directive" && DIRECTIVES[t.directive]?.field === field)!;
      return { offset: at.offset, message: `reads the ${field} without the ${needs}`, hint: `Add ${d}.` };
    }
  }
  let regex = "";
  let sure: string | undefined = "";
  const parts: DateFormatPart[] = [];
  let offset: number | undefined = 0;
  for (const [i, t] of tokens.entries()) {
    if (t.kind === "literal") {
      regex += t.text.replace(REGEX_SPECIAL, (c) => `\\${c}`);
      if (sure !== undefined) sure += t.text.replace(REGEX_SPECIAL, (c) => `\\${c}`);
      if (offset !== undefined) offset += [...t.text].length;
      continue;
    }
    const spec = DIRECTIVES[t.directive]!;
    const prev = tokens[i - 1];
    const next = tokens[i + 1];
    // Variable width only between characters that cannot be digits (`%m/%d/%Y`): the split of a value is then
    // unique, and compact formats (`%Y%m%d`) read every field at its full width.
    const digitNext = next !== undefined && (next.kind === "directive" || /^[0-9]/.test(next.text));
    const digitPrev = prev !== undefined && (prev.kind === "directive" || /[0-9]$/.test(prev.text));
    const fixed = spec.min === spec.max || digitNext || digitPrev;
    parts.push({ directive: t.directive, field: spec.field, group: parts.length + 1, width: spec.max, fixed, ...(offset !== undefined ? { offset } : {}) });
    regex += fixed ? `([0-9]{${spec.max}})` : `([0-9]{${spec.min},${spec.max}})`;
    sure = fixed && sure !== undefined ? sure + (SURE[t.directive] ?? `[0-9]{${spec.max}}`) : undefined;
    offset = fixed && offset !== undefined ? offset + spec.max : undefined;
  }
  return { format, regex, parts, ...(sure !== undefined ? { sureRegex: sure } : {}) };
}

/** True when {@link parseDateFormat} refused the format. */
export function isDateFormatProblem(p: ParsedDateFormat | DateFormatProblem): p is DateFormatProblem {
  return "message" in p;
}

/** The plan's format value as a list (a load may give one format or several, tried in order). */
export function dateFormatList(f: string | readonly string[] | undefined): readonly string[] {
  return f === undefined ? [] : typeof f === "string" ? [f] : f;
}

/** The year of a two-digit `%y` (POSIX, as DuckDB's strptime): 69-99 are 1969-1999, 00-68 are 2000-2068. */
export function twoDigitYear(yy: number): number {
  return yy >= 69 ? 1900 + yy : 2000 + yy;
}
