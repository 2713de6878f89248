/**
 * The catalogue's functions for messy sources (issue 18): try_cast, the regular-expression functions of the one
 * flavour (regex-flavour.ts), translate, and parse_date/parse_datetime with formats tried in order. functions.ts
 * splices them into the catalogue in documentation order.
 */
import type { CastType } from "./ast.js";
import { format, ordinal, str, want, type CallContext, type Def } from "./function-args.js";
import { regexShape, replacementProblem } from "./regex-flavour.js";
import { castTypeToValueType, parseTypeName } from "./types.js";

/** A string literal argument (patterns, replacements: checked at compile time); its text, or undefined after a report. */
function literalText(c: CallContext, i: number, what: string): string | undefined {
  const a = c.args[i]!;
  if (a.k === "lit" && typeof a.value === "string") return a.value;
  c.mismatch(i, `${ordinal(i)} of ${c.name}() must be a string literal ${what}.`, "Patterns are checked at compile time, so they are written in the DML, not computed.");
  return undefined;
}

/**
 * A pattern of the one regex flavour (regex-flavour.ts); the number of its groups, or undefined after a report.
 * `unambiguous`: the call returns or replaces the matched text, which engines choose differently when the pattern
 * has `|` or a quantified group (PostgreSQL the longest match, DuckDB, Java and JavaScript the first alternative).
 * `nonEmpty`: every match is replaced, and engines disagree on an empty match right after a match (PostgreSQL
 * replaces it too, DuckDB skips it: regexp_replace('ab', 'b*$', '-') was 'a--' and 'a-').
 */
function pattern(c: CallContext, i: number, unambiguous: boolean, nonEmpty = false): number | undefined {
  const text = literalText(c, i, "pattern such as '[0-9]+'");
  if (text === undefined) return undefined;
  const shape = regexShape(text);
  if (!shape.ok) {
    c.mismatch(i, `the pattern of ${c.name}() ${JSON.stringify(text)} ${shape.message} (at character ${shape.offset + 1}).`, shape.hint ?? "See README, Expressions: regular expressions.");
    return undefined;
  }
  if (unambiguous && (shape.alternation || shape.quantifiedGroup)) {
    c.mismatch(
      i,
      `the pattern of ${c.name}() ${JSON.stringify(text)} has ${shape.alternation ? '"|"' : "a quantified group"}: engines choose different matches for it (PostgreSQL the longest, DuckDB the first alternative), so ${c.name}() would differ.`,
      "Use a bracket expression ([AB] rather than A|B), several calls joined with coalesce(), or test it with regexp_matches(), which takes any pattern.",
    );
    return undefined;
  }
  if (nonEmpty && shape.nullable) {
    c.mismatch(
      i,
      `the pattern of ${c.name}() ${JSON.stringify(text)} can match empty text: engines replace an empty match after a match differently (PostgreSQL replaces it too, DuckDB does not).`,
      "Make it match at least one character: + rather than *, or drop the ? that makes the whole pattern optional.",
    );
    return undefined;
  }
  return shape.groups;
}

/** The target type of try_cast, written as a string literal by the checker (`integer`, `varchar(10)`, ...). */
export function tryCastTarget(name: string): CastType | undefined {
  return parseTypeName(name);
}

/** try_cast, the regexp functions and translate (string category, after split_part). */
export const MESSY_TEXT_FUNCTIONS: readonly Def[] = [
  {
    name: "try_cast", category: "string", minArgs: 2, maxArgs: 2, signature: "try_cast(s string AS integer|bigint|float|varchar[(n)]|date|datetime|boolean) -> that type",
    description:
      "s converted as CAST converts it (the grammar loads read values by: integers and floats in range, boolean words true/t/yes/y/1 and false/f/no/n/0, ISO dates and datetimes of the calendar, varchar(n) of at most n characters but for trailing spaces), or NULL where CAST would fail. Only text is read: other types use CAST.",
    check: (c) => {
      const a = c.args[1]!;
      const to = a.k === "lit" && typeof a.value === "string" ? tryCastTarget(a.value) : undefined;
      if (to === undefined) {
        c.mismatch(1, "try_cast() needs a type: write try_cast(x AS integer).");
        return "any";
      }
      return want(c, 0, (t) => t === "string", "text", "try_cast reads text; convert other types with CAST(x AS type), which cannot fail on them but for range.") ? castTypeToValueType(to) : "any";
    },
  },
  {
    name: "regexp_matches", category: "string", minArgs: 2, maxArgs: 2, signature: "regexp_matches(s string, pattern string literal) -> boolean",
    description: "True when pattern (the portable regex flavour: README, Expressions) matches somewhere in s; anchor it with ^ and $ to match the whole of s.",
    check: (c) => (str(c, 0) && pattern(c, 1, false) !== undefined ? "boolean" : "any"),
  },
  {
    name: "regexp_replace", category: "string", minArgs: 3, maxArgs: 3, signature: "regexp_replace(s string, pattern string literal, replacement string literal) -> string",
    description: "s with every match of pattern replaced, left to right, by replacement, where \\1 to \\9 are the pattern's groups and \\\\ a backslash. Patterns with | or a quantified group, or that can match empty text, are refused (engines choose different matches).",
    check: (c) => {
      if (!str(c, 0)) return "any";
      const groups = pattern(c, 1, true, true);
      if (groups === undefined) return "any";
      const r = literalText(c, 2, "replacement");
      if (r === undefined) return "any";
      const problem = replacementProblem(r, groups);
      if (problem !== undefined) {
        c.mismatch(2, `the replacement of regexp_replace() ${JSON.stringify(r)} ${problem}.`);
        return "any";
      }
      return "string";
    },
  },
  {
    name: "regexp_extract", category: "string", minArgs: 2, maxArgs: 3, signature: "regexp_extract(s string, pattern string literal[, group integer literal]) -> string",
    description: "The text of group (default 0: the whole match) of the first match of pattern in s; NULL when pattern does not match. Patterns with | or a quantified group are refused (engines choose different matches).",
    check: (c) => {
      if (!str(c, 0)) return "any";
      const groups = pattern(c, 1, true);
      if (groups === undefined) return "any";
      if (c.args.length === 3) {
        const g = c.args[2]!;
        if (g.k !== "lit" || typeof g.value !== "number" || !Number.isInteger(g.value) || g.value < 0 || g.value > groups) {
          c.mismatch(2, `the group of regexp_extract() must be an integer literal from 0 (the whole match) to ${groups} (the pattern's groups).`);
          return "any";
        }
      }
      return "string";
    },
  },
  {
    name: "translate", category: "string", minArgs: 3, maxArgs: 3, signature: "translate(s string, from string, to string) -> string",
    description: "s with each character of from replaced by the character at the same position of to, or removed when to is shorter.",
    check: (c) => (str(c, 0) && str(c, 1) && str(c, 2) ? "string" : "any"),
  },
];

/** parse_date and parse_datetime (date category, after to_timestamp). */
export const PARSE_DATE_FUNCTIONS: readonly Def[] = [
  {
    name: "parse_date", category: "date", minArgs: 2, maxArgs: Infinity, signature: "parse_date(s string, format string literal, ...) -> date",
    description:
      "s read by the first of the formats (tried in order) that reads it, each in the grammar of to_date and of load date formats; NULL for NULL; a value no format reads is a runtime error naming the formats (filter first with regexp_matches() to drop such rows).",
    check: (c) => (str(c, 0) && c.args.slice(1).every((_, i) => format(c, i + 1, "date")) ? "date" : "any"),
  },
  {
    name: "parse_datetime", category: "date", minArgs: 2, maxArgs: Infinity, signature: "parse_datetime(s string, format string literal, ...) -> datetime",
    description: "As parse_date, into a datetime: the formats of to_timestamp, tried in order.",
    check: (c) => (str(c, 0) && c.args.slice(1).every((_, i) => format(c, i + 1, "datetime")) ? "datetime" : "any"),
  },
];
