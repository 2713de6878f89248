/**
 * The documented, closed function catalogue of the expression language. Every provider must render each entry
 * with the semantics written here; anything not listed is rejected at compile time (UNKNOWN_FUNCTION).
 *
 * Conventions: names are canonical lower-case (aliases map to them); NULL and untyped (`any`) arguments are
 * accepted wherever a type is required; "unit" arguments must be string literals so providers can render them.
 */
import type { ValueType } from "./ast.js";
import { DatePartSchema } from "./ast.js";
import { isIntegral } from "./types.js";
import { common, concatArgs, format, int, num, str, temporal, typeOf, unit, want, type Def, type FunctionDef } from "./function-args.js";
import { MESSY_TEXT_FUNCTIONS, PARSE_DATE_FUNCTIONS } from "./messy-functions.js";

export type { CallContext, FunctionDef, FunctionKind } from "./function-args.js";
export { tryCastTarget } from "./messy-functions.js";

const ADD_UNITS = ["day", "month", "year"] as const;
const PARTS = DatePartSchema.options;

// ---- catalogue ------------------------------------------------------------------------------------------------

function stringFn(name: string, description: string, aliases?: string[]): Def {
  return { name, aliases, category: "string", minArgs: 1, maxArgs: 1, signature: `${name}(s string) -> string`, description, check: (c) => (str(c, 0) ? "string" : "any") };
}

const DEFS: Def[] = [
  // string
  stringFn("lower", "Lower-cases s."),
  stringFn("upper", "Upper-cases s."),
  stringFn("trim", "Removes leading and trailing spaces."),
  stringFn("ltrim", "Removes leading spaces."),
  stringFn("rtrim", "Removes trailing spaces."),
  stringFn("md5", "Lower-case hex MD5 digest of the UTF-8 bytes of s."),
  {
    name: "length", aliases: ["char_length", "character_length"], category: "string", minArgs: 1, maxArgs: 1,
    signature: "length(s string) -> integer", description: "Number of characters in s.",
    check: (c) => (str(c, 0) ? "integer" : "any"),
  },
  {
    name: "substr", aliases: ["substring"], category: "string", minArgs: 2, maxArgs: 3,
    signature: "substr(s string, start integer[, len integer]) -> string",
    description: "The characters of s from 1-based position start, len of them (to the end without len).",
    check: (c) => (str(c, 0) && int(c, 1) && (c.args.length < 3 || int(c, 2)) ? "string" : "any"),
  },
  {
    name: "replace", category: "string", minArgs: 3, maxArgs: 3, signature: "replace(s string, from string, to string) -> string",
    description: "s with every occurrence of from replaced by to (no patterns).",
    check: (c) => (str(c, 0) && str(c, 1) && str(c, 2) ? "string" : "any"),
  },
  {
    name: "concat", category: "string", minArgs: 1, maxArgs: Infinity, signature: "concat(a, b, ...) -> string",
    description: "Concatenation skipping NULLs. Non-string arguments are CAST to varchar by the checker, so the AST only has strings.",
    check: (c) => concatArgs(c, 0),
  },
  {
    name: "concat_ws", category: "string", minArgs: 2, maxArgs: Infinity, signature: "concat_ws(sep string, a, b, ...) -> string",
    description: "Concatenation with separator sep, skipping NULLs; non-string arguments are CAST to varchar.",
    check: (c) => (str(c, 0) ? concatArgs(c, 1) : "any"),
  },
  {
    name: "left", category: "string", minArgs: 2, maxArgs: 2, signature: "left(s string, n integer) -> string",
    description: "The first n characters of s.", check: (c) => (str(c, 0) && int(c, 1) ? "string" : "any"),
  },
  {
    name: "right", category: "string", minArgs: 2, maxArgs: 2, signature: "right(s string, n integer) -> string",
    description: "The last n characters of s.", check: (c) => (str(c, 0) && int(c, 1) ? "string" : "any"),
  },
  {
    name: "lpad", category: "string", minArgs: 2, maxArgs: 3, signature: "lpad(s string, n integer[, fill string]) -> string",
    description: "s left-padded with fill (default ' ') to n characters; truncated when longer than n.",
    check: (c) => (str(c, 0) && int(c, 1) && (c.args.length < 3 || str(c, 2)) ? "string" : "any"),
  },
  {
    name: "rpad", category: "string", minArgs: 2, maxArgs: 3, signature: "rpad(s string, n integer[, fill string]) -> string",
    description: "s right-padded with fill (default ' ') to n characters; truncated when longer than n.",
    check: (c) => (str(c, 0) && int(c, 1) && (c.args.length < 3 || str(c, 2)) ? "string" : "any"),
  },
  {
    name: "strpos", category: "string", minArgs: 2, maxArgs: 2, signature: "strpos(s string, sub string) -> integer",
    description: "1-based position of the first occurrence of sub in s; 0 when absent.",
    check: (c) => (str(c, 0) && str(c, 1) ? "integer" : "any"),
  },
  {
    name: "split_part", category: "string", minArgs: 3, maxArgs: 3, signature: "split_part(s string, delim string, n integer) -> string",
    description: "The n-th (1-based) field of s split on delim; '' when there are fewer fields.",
    check: (c) => (str(c, 0) && str(c, 1) && int(c, 2) ? "string" : "any"),
  },
  ...MESSY_TEXT_FUNCTIONS,
  // numeric
  {
    name: "abs", category: "numeric", minArgs: 1, maxArgs: 1, signature: "abs(x number) -> type of x",
    description: "Absolute value.", check: (c) => (num(c, 0) ? typeOf(c, 0) : "any"),
  },
  {
    name: "round", category: "numeric", minArgs: 1, maxArgs: 2, signature: "round(x number[, n integer]) -> type of x",
    description: "x rounded half away from zero to n decimals (default 0).",
    check: (c) => (num(c, 0) && (c.args.length < 2 || int(c, 1)) ? typeOf(c, 0) : "any"),
  },
  {
    name: "floor", category: "numeric", minArgs: 1, maxArgs: 1, signature: "floor(x number) -> type of x",
    description: "Largest integral value not greater than x.", check: (c) => (num(c, 0) ? typeOf(c, 0) : "any"),
  },
  {
    name: "ceil", aliases: ["ceiling"], category: "numeric", minArgs: 1, maxArgs: 1, signature: "ceil(x number) -> type of x",
    description: "Smallest integral value not less than x.", check: (c) => (num(c, 0) ? typeOf(c, 0) : "any"),
  },
  {
    name: "greatest", category: "numeric", minArgs: 1, maxArgs: Infinity, signature: "greatest(a, b, ...) -> common type",
    description: "Largest non-NULL argument (NULL only when all are NULL). Arguments must share a comparable type.",
    check: (c) => common(c, 0, "arguments") ?? "any",
  },
  {
    name: "least", category: "numeric", minArgs: 1, maxArgs: Infinity, signature: "least(a, b, ...) -> common type",
    description: "Smallest non-NULL argument (NULL only when all are NULL). Arguments must share a comparable type.",
    check: (c) => common(c, 0, "arguments") ?? "any",
  },
  {
    name: "mod", category: "numeric", minArgs: 2, maxArgs: 2, signature: "mod(a integer, b integer) -> wider integer type",
    description: "Remainder of a / b, with the sign of a (same as a % b).",
    check: (c) => (int(c, 0) && int(c, 1) ? common(c, 0, "arguments") ?? "any" : "any"),
  },
  {
    name: "power", aliases: ["pow"], category: "numeric", minArgs: 2, maxArgs: 2, signature: "power(x number, y number) -> float",
    description: "x raised to y.", check: (c) => (num(c, 0) && num(c, 1) ? "float" : "any"),
  },
  {
    name: "sqrt", category: "numeric", minArgs: 1, maxArgs: 1, signature: "sqrt(x number) -> float",
    description: "Square root.", check: (c) => (num(c, 0) ? "float" : "any"),
  },
  // null handling
  {
    name: "coalesce", aliases: ["ifnull"], category: "null", minArgs: 1, maxArgs: Infinity, signature: "coalesce(a, b, ...) -> common type",
    description: "The first non-NULL argument.", check: (c) => common(c, 0, "arguments") ?? "any",
  },
  {
    name: "nullif", category: "null", minArgs: 2, maxArgs: 2, signature: "nullif(a, b) -> type of a",
    description: "NULL when a = b, else a.", check: (c) => (common(c, 0, "argument") === undefined ? "any" : typeOf(c, 0)),
  },
  // date
  {
    name: "date_add", category: "date", minArgs: 3, maxArgs: 3,
    signature: "date_add(d date|datetime, n integer, unit 'day'|'month'|'year') -> type of d",
    description: "d plus n units (n may be negative). Adding months/years clamps to the month's last day (2020-01-31 + 1 month = 2020-02-29).",
    check: (c) => (temporal(c, 0) && int(c, 1) && unit(c, 2, ADD_UNITS) ? typeOf(c, 0) : "any"),
  },
  {
    name: "date_diff", aliases: ["datediff"], category: "date", minArgs: 3, maxArgs: 3,
    signature: "date_diff(unit 'day'|'month'|'year', a date|datetime, b date|datetime) -> integer",
    description:
      "b - a in units: 'day' counts calendar days between the dates (time of day ignored); 'month'/'year' count complete months/years elapsed (as age() does), negative when b < a.",
    check: (c) => (unit(c, 0, ADD_UNITS) && temporal(c, 1) && temporal(c, 2) ? "integer" : "any"),
  },
  {
    name: "date_part", category: "date", minArgs: 2, maxArgs: 2,
    signature: "date_part(part 'year'|'month'|'day'|'hour'|'minute'|'second', d date|datetime) -> integer",
    description: "A field of d as an integer (seconds truncated). EXTRACT(part FROM d) is the same call.",
    check: (c) => (unit(c, 0, PARTS) && temporal(c, 1) ? "integer" : "any"),
  },
  {
    name: "date_trunc", category: "date", minArgs: 2, maxArgs: 2,
    signature: "date_trunc(unit 'year'|'month'|'day'|'hour'|'minute'|'second', d date|datetime) -> type of d",
    description: "d truncated to the start of its unit. Returns the type of d (providers cast back where the engine returns a timestamp).",
    check: (c) => (unit(c, 0, PARTS) && temporal(c, 1) ? typeOf(c, 1) : "any"),
  },
  {
    name: "current_date", category: "date", minArgs: 0, maxArgs: 0, signature: "current_date -> date",
    description: "Today's date in the session time zone (parentheses optional).", check: () => "date",
  },
  {
    name: "make_date", category: "date", minArgs: 3, maxArgs: 3, signature: "make_date(y integer, m integer, d integer) -> date",
    description: "The date y-m-d; an invalid date is a runtime error.",
    check: (c) => (int(c, 0) && int(c, 1) && int(c, 2) ? "date" : "any"),
  },
  {
    name: "to_date", category: "date", minArgs: 2, maxArgs: 2, signature: "to_date(s string, format string literal) -> date",
    description:
      "Parses s with a strftime-style format, the grammar of load date formats: %Y %y %m %d (a time %H %M %S %f is read and dropped), %% for a percent sign; other characters match literally. The whole of s must match and be a day of the calendar, else a runtime error; %y: 69-99 are 19xx, 00-68 20xx.",
    check: (c) => (str(c, 0) && format(c, 1, "date") ? "date" : "any"),
  },
  {
    name: "to_timestamp", category: "date", minArgs: 2, maxArgs: 2, signature: "to_timestamp(s string, format string literal) -> datetime",
    description: "Parses s with a strftime-style format as to_date does, the time too: %H %M %S %f (a fraction of 1 to 6 digits); no time zones.",
    check: (c) => (str(c, 0) && format(c, 1, "datetime") ? "datetime" : "any"),
  },
  ...PARSE_DATE_FUNCTIONS,
  // aggregate (count(*) is a count call with no arguments)
  {
    name: "count", kind: "aggregate", category: "aggregate", minArgs: 1, maxArgs: 1, signature: "count(*) | count([DISTINCT] x) -> bigint",
    description: "Number of rows (count(*)) or of non-NULL values of x. In the AST count(*) has no arguments.",
    check: () => "bigint",
  },
  {
    name: "sum", kind: "aggregate", category: "aggregate", minArgs: 1, maxArgs: 1, signature: "sum([DISTINCT] x number) -> bigint|float",
    description: "Sum of non-NULL values: bigint for integer input, float otherwise.",
    check: (c) => (num(c, 0) ? (isIntegral(typeOf(c, 0)) ? "bigint" : typeOf(c, 0) === "float" ? "float" : "any") : "any"),
  },
  {
    name: "min", kind: "aggregate", category: "aggregate", minArgs: 1, maxArgs: 1, signature: "min(x) -> type of x",
    description: "Smallest non-NULL value (numbers, strings, dates).",
    check: (c) => (want(c, 0, (t) => t !== "boolean", "a number, string or date") ? typeOf(c, 0) : "any"),
  },
  {
    name: "max", kind: "aggregate", category: "aggregate", minArgs: 1, maxArgs: 1, signature: "max(x) -> type of x",
    description: "Largest non-NULL value (numbers, strings, dates).",
    check: (c) => (want(c, 0, (t) => t !== "boolean", "a number, string or date") ? typeOf(c, 0) : "any"),
  },
  {
    name: "avg", kind: "aggregate", category: "aggregate", minArgs: 1, maxArgs: 1, signature: "avg([DISTINCT] x number) -> float",
    description: "Mean of non-NULL values.", check: (c) => (num(c, 0) ? "float" : "any"),
  },
  // window (need OVER)
  ...["row_number", "rank", "dense_rank"].map(
    (name): Def => ({
      name, kind: "window", category: "window", minArgs: 0, maxArgs: 0, signature: `${name}() OVER (...) -> bigint`, ignoresFrame: true,
      description:
        name === "row_number"
          ? "1-based position of the row in its partition, in ORDER BY order."
          : name === "rank"
            ? "Rank with gaps for ties in ORDER BY."
            : "Rank without gaps for ties in ORDER BY.",
      check: () => "bigint",
    }),
  ),
  ...["lag", "lead"].map(
    (name): Def => ({
      name, kind: "window", category: "window", minArgs: 1, maxArgs: 2, signature: `${name}(x[, n integer]) OVER (...) -> type of x`, ignoresFrame: true,
      description: `The value of x ${name === "lag" ? "n rows before" : "n rows after"} the current row in the partition (n default 1); NULL past the edge.`,
      check: (c) => (c.args.length < 2 || int(c, 1) ? typeOf(c, 0) : "any"),
    }),
  ),
  ...["first_value", "last_value"].map(
    (name): Def => ({
      name, kind: "window", category: "window", minArgs: 1, maxArgs: 1, signature: `${name}(x) OVER (...) -> type of x`,
      description: `x of the ${name === "first_value" ? "first" : "last"} row of the whole partition in ORDER BY order (providers render the frame ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING); with an explicit ROWS/RANGE frame, of the frame's ${name === "first_value" ? "first" : "last"} row.`,
      check: (c) => typeOf(c, 0),
    }),
  ),
];

/** The whole catalogue, in documentation order. */
export const FUNCTIONS: readonly FunctionDef[] = DEFS.map((d) => ({ ...d, aliases: d.aliases ?? [], kind: d.kind ?? "scalar" }));

const BY_NAME = new Map<string, FunctionDef>();
for (const f of FUNCTIONS) {
  BY_NAME.set(f.name, f);
  for (const a of f.aliases) BY_NAME.set(a, f);
}

/** The function called `name` (canonical or alias, case-insensitive). */
export function lookupFunction(name: string): FunctionDef | undefined {
  return BY_NAME.get(name.toLowerCase());
}

/** Every callable name (canonical and aliases), for did-you-mean. */
export function functionNames(): IterableIterator<string> {
  return BY_NAME.keys();
}

/** Human-readable arity for WRONG_ARITY messages: "1 argument", "2 to 3 arguments", "at least 1 argument". */
export function describeArity(f: FunctionDef): string {
  const plural = (n: number): string => `${n} argument${n === 1 ? "" : "s"}`;
  if (f.maxArgs === Infinity) return `at least ${plural(f.minArgs)}`;
  if (f.minArgs === f.maxArgs) return f.minArgs === 0 ? "no arguments" : plural(f.minArgs);
  return `${f.minArgs} to ${plural(f.maxArgs)}`;
}

/** True for aggregate names (used by containsAggregate). */
export function isAggregateName(name: string): boolean {
  return BY_NAME.get(name)?.kind === "aggregate";
}
