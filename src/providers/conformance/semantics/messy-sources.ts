/**
 * The semantics catalogue's entries for the functions of messy sources (issue 18): try_cast, the regular-expression
 * functions, translate, and parse_date/parse_datetime with formats tried in order. Kept in their own file, one
 * category of the catalogue (semantics-catalogue.ts splices them in, in docs/semantics.md order).
 */
import type { SemanticsEntry } from "./semantics-types.js";

const ERR = { error: true } as const;

/** The entries, in the order of docs/semantics.md. */
export const MESSY_SOURCE_ENTRIES: readonly SemanticsEntry[] = [
  {
    construct: "try_cast",
    functions: ["try_cast"],
    promise:
      "`try_cast(s AS t)` is `CAST(s AS t)` where that cast converts, and NULL where it would fail: one grammar on every engine (integers and floats in range, spaces around numbers allowed; booleans true/t/yes/y/1 and false/f/no/n/0 in any case; ISO dates and datetimes of the calendar; varchar(n) of at most n characters but for trailing spaces, which are cut). Only text is read.",
    cases: [
      { dml: "try_cast(concat(' 42 ') AS integer)", expected: 42 },
      { dml: "try_cast(concat('4.7') AS integer)", expected: null, note: "DuckDB's CAST alone read 5" },
      { dml: "try_cast(concat('0x10') AS integer)", expected: null, note: "DuckDB's CAST alone read 16" },
      { dml: "try_cast(concat('2147483648') AS integer)", expected: null, note: "out of range" },
      { dml: "try_cast(concat('2147483648') AS bigint)", expected: 2147483648 },
      { dml: "try_cast(concat('1.5e3') AS float)", expected: 1500 },
      { dml: "try_cast(concat('1e400') AS float)", expected: null, note: "DuckDB's CAST alone read infinity" },
      { dml: "try_cast(concat('Yes') AS boolean)", expected: true },
      { dml: "try_cast(concat('maybe') AS boolean)", expected: null },
      { dml: "try_cast(concat('2020-02-30') AS date)", expected: null, note: "no such day" },
      { dml: "try_cast(concat('20200105') AS date)", expected: null, note: "PostgreSQL's CAST alone read 2020-01-05: use parse_date" },
      { dml: "try_cast(concat('2020-01-05T10:00:00Z') AS date)", expected: "2020-01-05", note: "a cast to date drops the time" },
      { dml: "try_cast(concat('2020-01-05 10:30') AS datetime)", expected: "2020-01-05 10:30:00" },
      { dml: "try_cast(concat('abcd') AS varchar(3))", expected: null, note: "CAST would cut it to 'abc'" },
      { dml: "try_cast(concat('abc  ') AS varchar(3))", expected: "abc" },
      { dml: "try_cast(CASE WHEN v.x = 2 THEN '1' END AS integer)", expected: null },
    ],
  },
  {
    construct: "regexp_matches",
    functions: ["regexp_matches"],
    promise:
      "True when the pattern matches anywhere in the text. Patterns are string literals of one flavour every engine reads alike (README, Expressions): literal characters, `.`, `[...]`, `* + ? {n,m}`, groups, `|`, `^ $`, a backslash before a special character; others are compile errors.",
    cases: [
      { dml: "regexp_matches('V70.0', '^V[0-9]{2}')", expected: true },
      { dml: "regexp_matches('V70.0', '^[0-9]+$')", expected: false },
      { dml: "regexp_matches('a|b', 'a\\|b')", expected: true },
      { dml: "regexp_matches('abcd', 'x|cd')", expected: true },
      { dml: "regexp_matches('ABC', 'b')", expected: false, note: "case-sensitive" },
      { dml: "regexp_matches(CASE WHEN v.x = 2 THEN 'a' END, 'a')", expected: null },
    ],
  },
  {
    construct: "regexp_replace",
    functions: ["regexp_replace"],
    promise:
      "Replaces every match, left to right; `\\1`..`\\9` in the replacement are the pattern's groups, `\\\\` a backslash. A pattern with `|` or a quantified group, or one that can match empty text (`b*$`), is a compile error: engines choose different matches for it (PostgreSQL replaced an empty match right after a match, DuckDB did not).",
    cases: [
      { dml: "regexp_replace('(555) 123-4567', '[^0-9]', '')", expected: "5551234567" },
      { dml: "regexp_replace('5/1/2020', '([0-9]+)/([0-9]+)/([0-9]+)', '\\3-\\2-\\1')", expected: "2020-1-5" },
      { dml: "regexp_replace('a.b.c', '\\.', '\\\\')", expected: "a\\b\\c" },
      { dml: "regexp_replace('  a   b ', ' +', ' ')", expected: " a b " },
      { dml: "regexp_replace('abc', 'x', 'y')", expected: "abc" },
    ],
  },
  {
    construct: "regexp_extract",
    functions: ["regexp_extract"],
    promise: "The whole first match (group 0, the default) or one of its groups; NULL when the pattern does not match. `|` and quantified groups are compile errors, as for regexp_replace.",
    cases: [
      { dml: "regexp_extract('DE1_0_2008_Beneficiary_Summary_File_Sample_1.csv', '_([0-9]{4})_', 1)", expected: "2008" },
      { dml: "regexp_extract('a1b22', '[0-9]+')", expected: "1", note: "the first match" },
      { dml: "regexp_extract('a1b22', '[0-9]{2}')", expected: "22" },
      { dml: "regexp_extract('abc', '[0-9]+')", expected: null, note: "DuckDB's regexp_extract alone gave ''" },
      { dml: "regexp_extract('2008-01', '([0-9]+)-([0-9]+)', 2)", expected: "01" },
    ],
  },
  {
    construct: "translate",
    functions: ["translate"],
    promise: "Each character of `from` becomes the character at the same position of `to`, or is removed when `to` is shorter.",
    cases: [
      { dml: "translate('12-34/5', '-/', '')", expected: "12345" },
      { dml: "translate('abc', 'ab', 'x')", expected: "xc" },
      { dml: "translate('åbc', 'å', 'a')", expected: "abc" },
    ],
  },
  {
    construct: "parse_date / parse_datetime",
    functions: ["parse_date", "parse_datetime"],
    promise:
      "Text read by the first of the formats, tried in order, that reads it (the grammar of to_date and of load date formats: a value must match the whole format and be a day of the calendar); NULL for NULL; a value no format reads is an error naming the formats.",
    cases: [
      { dml: "parse_date(concat('2020-01-05'), '%Y%m%d', '%Y-%m-%d')", expected: "2020-01-05" },
      { dml: "parse_date(concat('20200105'), '%Y%m%d', '%Y-%m-%d')", expected: "2020-01-05" },
      { dml: "parse_date(concat('05/01/2020'), '%d/%m/%Y', '%m/%d/%Y')", expected: "2020-01-05", note: "the first format that reads it wins" },
      { dml: "parse_date(concat('12/31/2020'), '%d/%m/%Y', '%m/%d/%Y')", expected: "2020-12-31", note: "month 31 does not exist: the next format reads it" },
      { dml: "parse_date(CASE WHEN v.x = 2 THEN '2020' END, '%Y%m%d')", expected: null },
      { dml: "parse_datetime(concat('2020-01-05 10:30'), '%Y-%m-%d %H:%M:%S', '%Y-%m-%d %H:%M')", expected: "2020-01-05 10:30:00" },
      { dml: "parse_date(concat('2020.01.05'), '%Y%m%d', '%Y-%m-%d')", expected: ERR },
    ],
  },
];
