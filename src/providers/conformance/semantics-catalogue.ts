/**
 * The semantics catalogue: for every operator, function and cast of the DML expression language, the result omopetl
 * promises on every engine, as executable cases. The conformance suite runs each case on a live engine through the
 * provider's own step rendering and compares values, so a provider that passes computes the same answers, not
 * merely similar SQL. docs/semantics.md is rendered from this file (semantics-doc.ts).
 *
 * Cases are DML expression text, checked by the compiler's own expression checker, over one table `v` of five rows
 * (see {@link SEMANTICS_ROWS}); scalar cases read the row x = 1. Casts of text are written `CAST(concat('...') AS t)`:
 * the compiler checks a cast of a literal itself, so concat() makes the text a value the engine converts.
 */

/** The rows every case can read, as `v.x`, `v.g`, `v.y` (y is NULL in row 2). */
export const SEMANTICS_ROWS: readonly { x: number; g: string; y: number | null }[] = [
  { x: 1, g: "a", y: 10 },
  { x: 2, g: "a", y: null },
  { x: 3, g: "b", y: 10 },
  { x: 4, g: "b", y: 20 },
  { x: 5, g: "b", y: 20 },
];

/** A value as `Connection.query` returns it normalised: numbers compared numerically, dates as ISO text. */
export type SemanticsValue = string | number | boolean | null;

/** One executable promise. */
export interface SemanticsCase {
  /** DML expression text. */
  dml: string;
  /**
   * The result: one value (scalar and aggregate cases), one value per row in x order (window cases), or
   * `{ error: true }` when every engine must refuse it (the step fails; nothing is written), or `{ varies: true }`
   * for a value engines compute differently and omopetl does not promise (the note says what each gives; the case
   * must still compute, not fail).
   */
  expected: SemanticsValue | SemanticsValue[] | { error: true } | { varies: true };
  /** What the case shows, when the expression alone does not say it. */
  note?: string;
}

/** The promises of one construct. */
export interface SemanticsEntry {
  /** The construct as users write it: a function name, an operator, `CAST(x AS integer)`, ... */
  construct: string;
  /** Function names (lower case) this entry covers, for the check that every function has an entry. */
  functions?: string[];
  /** Scalar cases, aggregates (over all five rows) or window functions (one value per row). */
  shape?: "scalar" | "aggregate" | "window";
  /** The promise in words. */
  promise: string;
  cases: SemanticsCase[];
}

const ERR = { error: true } as const;
const VARIES = { varies: true } as const;

/** Every construct of the language with its promised results. Keep it in the order of docs/semantics.md. */
export const SEMANTICS_CATALOGUE: readonly SemanticsEntry[] = [
  // ---- operators ---------------------------------------------------------------------------------------------
  {
    construct: "+ - * (integers)",
    promise: "Integer arithmetic is exact; a result outside the type's range is an error, never a wrapped value.",
    cases: [
      { dml: "1 - -5", expected: 6 },
      { dml: "(1 + 2) * 3", expected: 9 },
      { dml: "10 - (5 - 2)", expected: 7 },
      { dml: "-v.x", expected: -1 },
      { dml: "2147483647 + v.x", expected: ERR, note: "integer overflow" },
    ],
  },
  {
    construct: "/",
    promise: "Two integers divide to an integer truncated toward zero (as PostgreSQL does); any float operand gives a float. Division by zero is an error on every engine.",
    cases: [
      { dml: "7 / 2", expected: 3 },
      { dml: "-7 / 2", expected: -3, note: "toward zero, not floor" },
      { dml: "7 / 2.0", expected: 3.5 },
      { dml: "1.0 / 3", expected: 1 / 3 },
      { dml: "v.x / 0", expected: ERR, note: "division by zero" },
      { dml: "v.x / 0.0", expected: ERR, note: "division by zero" },
    ],
  },
  {
    construct: "%",
    functions: ["mod"],
    promise: "Remainder of integers, with the sign of the dividend; `mod(a, b)` is the same. A zero divisor is an error.",
    cases: [
      { dml: "7 % 3", expected: 1 },
      { dml: "-7 % 3", expected: -1 },
      { dml: "mod(-7, 3)", expected: -1 },
      { dml: "mod(7, -3)", expected: 1 },
      { dml: "v.x % 0", expected: ERR, note: "division by zero" },
    ],
  },
  {
    construct: "||",
    promise: "String concatenation; NULL on either side gives NULL (use concat to skip NULLs).",
    cases: [
      { dml: "'a' || 'b'", expected: "ab" },
      { dml: "'a' || NULL", expected: null },
      { dml: "'it''s' || ' \"q\" \\'", expected: `it's "q" \\` },
    ],
  },
  {
    construct: "= <> < <= > >= (strings)",
    promise: "Strings compare by the UTF-8 bytes of their characters (binary collation), case- and accent-sensitive, on every engine.",
    cases: [
      { dml: "'a' < 'b'", expected: true },
      { dml: "'B' < 'a'", expected: true, note: "upper case before lower case" },
      { dml: "'a' = 'A'", expected: false },
      { dml: "'z' < 'é'", expected: true, note: "bytes, not a locale's alphabet" },
      { dml: "'a' <> 'a '", expected: true, note: "trailing spaces count" },
      { dml: "'10' < '9'", expected: true },
      { dml: "v.g < 'B'", expected: false, note: "g is 'a': byte order, whatever the database's collation (en_US or ICU says 'a' < 'B')" },
      { dml: "v.g >= 'B'", expected: true },
      { dml: "'a_' < 'a1'", expected: false, note: "punctuation by its byte (0x5F), not before digits as a locale sorts it" },
    ],
  },
  {
    construct: "comparisons with NULL",
    promise: "Any comparison with NULL is NULL (unknown), which a where/qualify treats as false.",
    cases: [
      { dml: "v.y = NULL", expected: null },
      { dml: "NULL <> 1", expected: null },
    ],
  },
  {
    construct: "AND OR NOT",
    promise: "Three-valued logic: FALSE AND NULL is FALSE, TRUE OR NULL is TRUE, NOT NULL is NULL.",
    cases: [
      { dml: "NOT (1 = 2)", expected: true },
      { dml: "1 = 2 AND NULL = 1", expected: false },
      { dml: "1 = 1 OR NULL = 1", expected: true },
      { dml: "1 = 1 AND NULL = 1", expected: null },
      { dml: "NOT (NULL = 1)", expected: null },
    ],
  },
  {
    construct: "IN / NOT IN",
    promise: "Membership by equality. NOT IN over a list that holds NULL is never true (SQL's rule).",
    cases: [
      { dml: "2 IN (1, 2)", expected: true },
      { dml: "3 NOT IN (1, 2)", expected: true },
      { dml: "3 IN (1, NULL)", expected: null },
      { dml: "3 NOT IN (1, NULL)", expected: null },
    ],
  },
  {
    construct: "BETWEEN",
    promise: "Inclusive at both ends; strings by byte order, as `<`.",
    cases: [
      { dml: "3 BETWEEN 1 AND 3", expected: true },
      { dml: "5 NOT BETWEEN 1 AND 3", expected: true },
      { dml: "DATE '2020-01-31' BETWEEN DATE '2020-01-01' AND DATE '2020-01-31'", expected: true },
      { dml: "v.g BETWEEN 'B' AND 'b'", expected: true, note: "g is 'a': 'B' < 'a' < 'b' in bytes" },
      { dml: "'M' NOT BETWEEN 'a' AND 'z'", expected: true },
    ],
  },
  {
    construct: "IS [NOT] NULL",
    promise: "Tests for NULL; an empty string is not NULL.",
    cases: [
      { dml: "v.y IS NULL", expected: false },
      { dml: "'' IS NULL", expected: false },
      { dml: "NULL IS NOT NULL", expected: false },
    ],
  },
  {
    construct: "LIKE",
    promise: "Case-sensitive pattern match: `%` any run of characters, `_` one character, backslash escapes them.",
    cases: [
      { dml: "'abc' LIKE 'a%'", expected: true },
      { dml: "'ABC' LIKE 'a%'", expected: false, note: "case-sensitive" },
      { dml: "'a_c' LIKE 'a\\_c'", expected: true },
      { dml: "'abc' LIKE 'a\\_c'", expected: false, note: "an escaped _ is literal" },
      { dml: "'é' LIKE '_'", expected: true, note: "_ is one character, not one byte" },
      { dml: "'abc' NOT LIKE 'x%'", expected: true },
    ],
  },
  {
    construct: "CASE",
    promise: "The first WHEN that is true wins; no match and no ELSE gives NULL. With an operand, WHEN values compare by equality (NULL never matches).",
    cases: [
      { dml: "CASE 'M' WHEN 'M' THEN 1 ELSE 0 END", expected: 1 },
      { dml: "CASE WHEN v.x > 0 THEN 'pos' WHEN v.x > -1 THEN 'never' END", expected: "pos" },
      { dml: "CASE WHEN v.x > 5 THEN 1 END", expected: null },
      { dml: "CASE v.y WHEN NULL THEN 1 ELSE 2 END", expected: 2, note: "y is 10 in row 1; NULL never equals" },
    ],
  },
  // ---- literals ----------------------------------------------------------------------------------------------
  {
    construct: "literals",
    promise: "String literals keep every character (quotes doubled, backslashes literal, any Unicode); numbers with a point or exponent are floats.",
    cases: [
      { dml: "'ünï©ødé 𝄞'", expected: "ünï©ødé 𝄞" },
      { dml: "'back\\slash'", expected: "back\\slash" },
      { dml: "2e3", expected: 2000 },
      { dml: "0.0004", expected: 0.0004 },
      { dml: "DATE '2020-02-29'", expected: "2020-02-29" },
      { dml: "TIMESTAMP '1899-12-31 23:59:59'", expected: "1899-12-31 23:59:59" },
    ],
  },
  // ---- casts -------------------------------------------------------------------------------------------------
  {
    construct: "CAST(x AS integer)",
    promise: "Text must be an integer (surrounding spaces allowed) or it is an error; floats round half away from zero; out of range is an error.",
    cases: [
      { dml: "CAST(concat('42') AS integer)", expected: 42 },
      { dml: "CAST(concat(' 42 ') AS integer)", expected: 42 },
      { dml: "CAST(concat('-7') AS integer)", expected: -7 },
      { dml: "CAST(2.5 AS integer)", expected: 3 },
      { dml: "CAST(-2.5 AS integer)", expected: -3 },
      { dml: "CAST(1.4999 AS integer)", expected: 1 },
      { dml: "CAST(concat('Y') AS integer)", expected: ERR },
      { dml: "CAST(concat('') AS integer)", expected: ERR },
      { dml: "CAST(concat('4.7') AS integer)", expected: ERR, note: "text must be an integer (DuckDB alone would read 5)" },
      { dml: "CAST(concat('0x10') AS integer)", expected: ERR },
      { dml: "CAST(concat('+12') AS bigint)", expected: 12 },
      { dml: "CAST(concat('3000000000') AS integer)", expected: ERR, note: "out of range" },
    ],
  },
  {
    construct: "CAST(x AS bigint)",
    promise: "As integer, over 64 bits.",
    cases: [
      { dml: "CAST(concat('3000000000') AS bigint)", expected: 3000000000 },
      { dml: "CAST(v.x AS bigint) * 3000000000", expected: 3000000000 },
      { dml: "CAST(concat('x') AS bigint)", expected: ERR },
    ],
  },
  {
    construct: "CAST(x AS float)",
    promise: "An IEEE 754 double: every digit a double holds is kept (CDM `float` columns are DOUBLE PRECISION on every engine).",
    cases: [
      { dml: "CAST(concat('0.0004') AS float)", expected: 0.0004 },
      { dml: "CAST(concat('1e-9') AS float)", expected: 1e-9 },
      { dml: "CAST(concat('123456789.123456') AS float)", expected: 123456789.123456 },
      { dml: "CAST(v.x AS float) / 3", expected: 1 / 3 },
      { dml: "CAST(concat('abc') AS float)", expected: ERR },
    ],
  },
  {
    construct: "CAST(x AS date)",
    promise:
      "Text must be an ISO date `YYYY-MM-DD` naming a real day from the year 1, optionally followed by an ISO time (`T` or a space, `HH:MM[:SS[.ffffff]]`, an optional `Z`), which is dropped: the grammar of loads without a date_format, nothing around it. Anything else is an error with PostgreSQL's message `invalid input syntax for type date`. A datetime loses its time.",
    cases: [
      { dml: "CAST(concat('2020-02-29') AS date)", expected: "2020-02-29" },
      { dml: "CAST(concat('1850-03-01') AS date)", expected: "1850-03-01" },
      { dml: "CAST(TIMESTAMP '2020-01-05 23:59:59' AS date)", expected: "2020-01-05" },
      { dml: "CAST(concat('2019-02-17T05:07:38Z') AS date)", expected: "2019-02-17", note: "an ISO datetime's time is dropped (Synthea writes these)" },
      { dml: "CAST(concat('2021-02-29') AS date)", expected: ERR, note: "no such day" },
      { dml: "CAST(concat('2008-4-31') AS date)", expected: ERR },
      { dml: "CAST(concat('junk') AS date)", expected: ERR },
      { dml: "CAST(concat('2020-01-05junk') AS date)", expected: ERR, note: "DuckDB alone read 2020-01-05" },
      { dml: "CAST(concat('20200105') AS date)", expected: ERR, note: "PostgreSQL alone read 2020-01-05: use to_date(x, '%Y%m%d')" },
      { dml: "CAST(concat('20-01-05') AS date)", expected: ERR, note: "DuckDB alone read the year 20" },
      { dml: "CAST(concat('2020-1-5') AS date)", expected: ERR, note: "both engines read it; the grammar wants 2 digits" },
      { dml: "CAST(concat(' 2020-01-05') AS date)", expected: ERR, note: "no spaces around" },
      { dml: "CAST(concat('0000-01-05') AS date)", expected: ERR, note: "DuckDB alone read 1 BC" },
    ],
  },
  {
    construct: "CAST(x AS datetime)",
    promise:
      "A timestamp without time zone; a date becomes its midnight. Text follows the grammar of `CAST(x AS date)`: an ISO date, optionally an ISO time (a trailing `Z` is read as the wall-clock time written; other offsets are an error, where both engines dropped them silently).",
    cases: [
      { dml: "CAST('2020-01-05 10:30:00' AS datetime)", expected: "2020-01-05 10:30:00" },
      { dml: "CAST(DATE '2020-01-05' AS datetime)", expected: "2020-01-05 00:00:00" },
      { dml: "CAST(concat('2019-02-17T05:07:38Z') AS datetime)", expected: "2019-02-17 05:07:38" },
      { dml: "CAST(concat('2019-02-17') AS datetime)", expected: "2019-02-17 00:00:00" },
      { dml: "CAST(concat('2019-02-17 05:07') AS datetime)", expected: "2019-02-17 05:07:00" },
      { dml: "CAST(concat('2019-02-17T05:07:38+02:00') AS datetime)", expected: ERR, note: "both engines dropped the offset" },
      { dml: "CAST(concat('2019-02-17 24:00:00') AS datetime)", expected: ERR },
      { dml: "CAST(concat('2019-02-17 05:07:38 junk') AS datetime)", expected: ERR },
    ],
  },
  {
    construct: "CAST(x AS varchar)",
    promise: "Dates render as `YYYY-MM-DD`, timestamps as `YYYY-MM-DD HH:MM:SS`, integers as digits, booleans as `true`/`false`, floats as PostgreSQL prints a double (shortest round-trip digits, no trailing `.0`, an exponent from 1e15 and below 1e-4); `varchar(n)` keeps the first n characters.",
    cases: [
      { dml: "CAST(DATE '2020-01-02' AS varchar)", expected: "2020-01-02" },
      { dml: "CAST(-42 AS varchar)", expected: "-42" },
      { dml: "CAST('abcdef' AS varchar(2))", expected: "ab" },
      { dml: "CAST('éèê' AS varchar(2))", expected: "éè", note: "characters, not bytes" },
      { dml: "CAST(CAST(concat('0.1') AS float) AS varchar)", expected: "0.1", note: "a double prints its shortest round-trip digits" },
      { dml: "CAST(CAST(v.x AS float) / 3 AS varchar)", expected: "0.3333333333333333" },
      { dml: "CAST(CAST(concat('1e-9') AS float) AS varchar)", expected: "1e-09", note: "an exponent below 1e-4" },
      { dml: "CAST(CAST(concat('0.0001') AS float) AS varchar)", expected: "0.0001" },
      { dml: "CAST(CAST(concat('123456789.123456') AS float) AS varchar)", expected: "123456789.123456" },
      { dml: "CAST(CAST(concat('2') AS float) AS varchar)", expected: "2", note: "no trailing .0" },
      { dml: "CAST(CAST(concat('-0') AS float) AS varchar)", expected: "-0" },
      { dml: "CAST(CAST(concat('100000') AS float) AS varchar)", expected: "100000" },
      { dml: "CAST(CAST(concat('1e15') AS float) AS varchar)", expected: "1e+15", note: "an exponent from 1e15" },
      { dml: "CAST(CAST(concat('1000000000000000.5') AS float) AS varchar)", expected: "1.0000000000000005e+15" },
      { dml: "CAST(CAST(concat('-1234567890123456') AS float) AS varchar)", expected: "-1.234567890123456e+15" },
      { dml: "CAST(CAST(concat('1e16') AS float) AS varchar)", expected: "1e+16" },
      { dml: "concat('v=', CAST(v.x AS float) * 2)", expected: "v=2", note: "concat prints floats the same way" },
      { dml: "concat_ws(' ', CAST(concat('1e15') AS float))", expected: "1e+15" },
      { dml: "CAST(1 = 1 AS varchar)", expected: "true" },
      { dml: "CAST(TIMESTAMP '2020-01-02 03:04:05' AS varchar)", expected: "2020-01-02 03:04:05" },
    ],
  },
  {
    construct: "CAST(x AS boolean)",
    promise: "Integers: 0 is false, anything else true.",
    cases: [
      { dml: "CAST(0 AS boolean)", expected: false },
      { dml: "CAST(v.x AS boolean)", expected: true },
    ],
  },
  // ---- string functions --------------------------------------------------------------------------------------
  {
    construct: "lower / upper",
    functions: ["lower", "upper"],
    promise:
      "Case mapping of letters one to one, including accented Latin and Greek letters; other characters unchanged. Not promised: mappings that change a string's length or depend on the letters around (`ß`, ligatures, a final `Σ`): they follow the engine's Unicode library and, on PostgreSQL, the database's collation (ICU applies them, libc does not).",
    cases: [
      { dml: "lower('AbC ÄÖ')", expected: "abc äö" },
      { dml: "upper('abc äö')", expected: "ABC ÄÖ" },
      { dml: "upper('a1-b')", expected: "A1-B" },
      { dml: "lower('ÉΣΑ')", expected: "éσα" },
      { dml: "lower(NULL)", expected: null },
      { dml: "upper('ß')", expected: VARIES, note: "DuckDB 'ẞ'; PostgreSQL 'ß', or 'SS' in a database with an ICU collation" },
      { dml: "upper('ﬁ')", expected: VARIES, note: "DuckDB and PostgreSQL with libc 'ﬁ'; PostgreSQL with ICU 'FI'" },
      { dml: "lower('ΟΣ')", expected: VARIES, note: "a final sigma: DuckDB and PostgreSQL with libc 'οσ'; PostgreSQL with ICU 'ος'" },
    ],
  },
  {
    construct: "trim / ltrim / rtrim",
    functions: ["trim", "ltrim", "rtrim"],
    promise: "Remove spaces (U+0020 only) from both ends, the left or the right.",
    cases: [
      { dml: "trim('  a b  ')", expected: "a b" },
      { dml: "ltrim('  a  ')", expected: "a  " },
      { dml: "rtrim('  a  ')", expected: "  a" },
      { dml: "trim('')", expected: "" },
    ],
  },
  {
    construct: "md5",
    functions: ["md5"],
    promise: "Lower-case hex MD5 of the UTF-8 bytes.",
    cases: [
      { dml: "md5('abc')", expected: "900150983cd24fb0d6963f7d28e17f72" },
      { dml: "md5('é')", expected: "66ddcd97cfdeabb2f6fb8a999b4bc76f", note: "the UTF-8 bytes C3 A9" },
    ],
  },
  {
    construct: "length",
    functions: ["length"],
    promise: "Counts characters (code points), not bytes; `char_length` and `character_length` are the same.",
    cases: [
      { dml: "length('pä4 ✓')", expected: 5 },
      { dml: "char_length('')", expected: 0 },
      { dml: "length(NULL)", expected: null },
    ],
  },
  {
    construct: "substr",
    functions: ["substr"],
    promise: "1-based start, in characters; without a length, to the end; a start past the end gives ''.",
    cases: [
      { dml: "substr('hello', 2, 3)", expected: "ell" },
      { dml: "substr('hello', 3)", expected: "llo" },
      { dml: "substring('héllo', 2, 2)", expected: "él" },
      { dml: "substr('hello', 9)", expected: "" },
      { dml: "substr('hello', 0, 2)", expected: "h", note: "positions before 1 count toward the length" },
    ],
  },
  {
    construct: "replace",
    functions: ["replace"],
    promise: "Replaces every occurrence, case-sensitively.",
    cases: [
      { dml: "replace('a.b.c', '.', '-')", expected: "a-b-c" },
      { dml: "replace('aAa', 'a', 'x')", expected: "xAx" },
    ],
  },
  {
    construct: "concat / concat_ws",
    functions: ["concat", "concat_ws"],
    promise: "Concatenate, skipping NULL arguments (concat_ws puts the separator only between non-NULL values); numbers render as digits.",
    cases: [
      { dml: "concat('a', NULL, 'b')", expected: "ab" },
      { dml: "concat_ws('-', 'a', NULL, 'b')", expected: "a-b" },
      { dml: "concat('id-', v.x)", expected: "id-1" },
      { dml: "concat(NULL)", expected: "" },
    ],
  },
  {
    construct: "left / right",
    functions: ["left", "right"],
    promise: "The first / last n characters (all of them when n is larger).",
    cases: [
      { dml: "left('hello', 2)", expected: "he" },
      { dml: "right('hello', 2)", expected: "lo" },
      { dml: "left('hé', 5)", expected: "hé" },
    ],
  },
  {
    construct: "lpad / rpad",
    functions: ["lpad", "rpad"],
    promise: "Pad to n characters with the fill (default a space); a longer string is cut to n.",
    cases: [
      { dml: "lpad('7', 3, '0')", expected: "007" },
      { dml: "lpad('hello', 3)", expected: "hel" },
      { dml: "rpad('a', 3)", expected: "a  " },
      { dml: "rpad('a', 4, 'xy')", expected: "axyx" },
    ],
  },
  {
    construct: "strpos",
    functions: ["strpos"],
    promise: "1-based character position of the first occurrence; 0 when absent.",
    cases: [
      { dml: "strpos('hello', 'l')", expected: 3 },
      { dml: "strpos('hello', 'z')", expected: 0 },
      { dml: "strpos('éa', 'a')", expected: 2 },
    ],
  },
  {
    construct: "split_part",
    functions: ["split_part"],
    promise: "The n-th (1-based) field split by the delimiter; '' past the last field.",
    cases: [
      { dml: "split_part('a,b,c', ',', 2)", expected: "b" },
      { dml: "split_part('a,b', ',', 5)", expected: "" },
      { dml: "split_part('a,,c', ',', 2)", expected: "" },
      { dml: "split_part('a,b', '', 1)", expected: "a,b", note: "an empty delimiter: the whole string" },
    ],
  },
  // ---- numeric functions -------------------------------------------------------------------------------------
  {
    construct: "abs",
    functions: ["abs"],
    promise: "Absolute value, of the argument's type.",
    cases: [
      { dml: "abs(-3)", expected: 3 },
      { dml: "abs(-0.5)", expected: 0.5 },
    ],
  },
  {
    construct: "round",
    functions: ["round"],
    promise: "Rounds half away from zero (2.5 to 3, -2.5 to -3), to n decimals when given, on integers and floats alike.",
    cases: [
      { dml: "round(2.5)", expected: 3 },
      { dml: "round(-2.5)", expected: -3 },
      { dml: "round(0.5)", expected: 1 },
      { dml: "round(1.25, 1)", expected: 1.3, note: "1.25 is exact in binary: half away from zero" },
      { dml: "round(123456789.123456, 5)", expected: 123456789.12346 },
      { dml: "round(7)", expected: 7 },
      { dml: "round(-1.25, 1)", expected: -1.3 },
      { dml: "round(1234.5, -2)", expected: 1200 },
    ],
  },
  {
    construct: "floor / ceil",
    functions: ["floor", "ceil"],
    promise: "Toward minus / plus infinity; `ceiling` is ceil.",
    cases: [
      { dml: "floor(-1.5)", expected: -2 },
      { dml: "ceil(-1.5)", expected: -1 },
      { dml: "ceiling(1.2)", expected: 2 },
    ],
  },
  {
    construct: "greatest / least",
    functions: ["greatest", "least"],
    promise: "The largest / smallest argument, ignoring NULLs (NULL only when all are NULL); strings by byte order.",
    cases: [
      { dml: "greatest(1, NULL, 3)", expected: 3 },
      { dml: "least(2, NULL, 1)", expected: 1 },
      { dml: "greatest('B', 'a')", expected: "a" },
      { dml: "least(v.g, 'B', NULL)", expected: "B", note: "g is 'a'" },
      { dml: "least(DATE '2020-01-02', DATE '2019-12-31')", expected: "2019-12-31" },
    ],
  },
  {
    construct: "power / sqrt",
    functions: ["power", "sqrt"],
    promise: "Float results; the square root of a negative number is an error.",
    cases: [
      { dml: "power(2, 10)", expected: 1024 },
      { dml: "pow(2, -1)", expected: 0.5 },
      { dml: "sqrt(16)", expected: 4 },
      { dml: "sqrt(-1.0 * v.x)", expected: ERR },
    ],
  },
  // ---- NULL functions ----------------------------------------------------------------------------------------
  {
    construct: "coalesce / nullif",
    functions: ["coalesce", "nullif"],
    promise: "coalesce: the first non-NULL argument (`ifnull` is the same); nullif(a, b): NULL when a = b, else a.",
    cases: [
      { dml: "coalesce(NULL, 'x')", expected: "x" },
      { dml: "ifnull(NULL, 2)", expected: 2 },
      { dml: "nullif(1, 1)", expected: null },
      { dml: "nullif('', '')", expected: null },
      { dml: "nullif(1, 2)", expected: 1 },
    ],
  },
  // ---- dates -------------------------------------------------------------------------------------------------
  {
    construct: "date_add",
    functions: ["date_add"],
    promise: "Adds days, months or years; a day past the end of the target month becomes its last day (Jan 31 + 1 month = Feb 29 in a leap year); keeps the time of a datetime.",
    cases: [
      { dml: "date_add(DATE '2020-01-31', 1, 'month')", expected: "2020-02-29" },
      { dml: "date_add(DATE '2021-01-31', 1, 'month')", expected: "2021-02-28" },
      { dml: "date_add(DATE '2020-02-29', -1, 'year')", expected: "2019-02-28" },
      { dml: "date_add(DATE '2020-01-31', 10, 'day')", expected: "2020-02-10" },
      { dml: "date_add(TIMESTAMP '2020-01-31 10:00:00', 1, 'month')", expected: "2020-02-29 10:00:00" },
      { dml: "date_add(TIMESTAMP '2020-01-31 10:00:00', -31, 'day')", expected: "2019-12-31 10:00:00" },
    ],
  },
  {
    construct: "date_diff",
    functions: ["date_diff"],
    promise:
      "Whole units from a to b: days ignore the time of day; months and years count only complete ones (an age: 2000-02-29 to 2001-02-28 is 0 years), comparing the time of day too; negative when b is before a.",
    cases: [
      { dml: "date_diff('day', DATE '2020-01-01', DATE '2020-03-01')", expected: 60 },
      { dml: "date_diff('day', TIMESTAMP '2020-01-01 23:00:00', TIMESTAMP '2020-01-02 01:00:00')", expected: 1 },
      { dml: "date_diff('day', DATE '2020-03-01', DATE '2020-01-01')", expected: -60 },
      { dml: "date_diff('month', DATE '2020-01-31', DATE '2020-02-29')", expected: 0 },
      { dml: "date_diff('month', DATE '2020-01-31', DATE '2020-03-01')", expected: 1 },
      { dml: "date_diff('month', DATE '2020-03-15', DATE '2020-01-20')", expected: -1 },
      { dml: "date_diff('month', DATE '2020-01-15', DATE '2020-01-31')", expected: 0 },
      { dml: "date_diff('month', TIMESTAMP '2020-01-15 10:00:00', TIMESTAMP '2020-02-15 09:59:59')", expected: 0 },
      { dml: "date_diff('month', TIMESTAMP '2020-01-15 10:00:00', TIMESTAMP '2020-02-15 10:00:00')", expected: 1 },
      { dml: "date_diff('month', DATE '2020-01-15', TIMESTAMP '2020-02-15 00:00:00')", expected: 1 },
      { dml: "date_diff('year', DATE '2000-02-29', DATE '2001-02-28')", expected: 0 },
      { dml: "date_diff('year', DATE '2000-02-29', DATE '2004-02-29')", expected: 4 },
      { dml: "datediff('year', DATE '2010-06-01', DATE '2000-06-02')", expected: -9 },
    ],
  },
  {
    construct: "date_part / EXTRACT",
    functions: ["date_part"],
    promise: "An integer field; seconds are truncated; the time fields of a date are 0.",
    cases: [
      { dml: "date_part('year', DATE '2020-05-06')", expected: 2020 },
      { dml: "EXTRACT(MONTH FROM DATE '2020-05-06')", expected: 5 },
      { dml: "date_part('second', TIMESTAMP '2020-01-01 10:00:05.7')", expected: 5 },
      { dml: "date_part('hour', DATE '2020-01-01')", expected: 0 },
    ],
  },
  {
    construct: "date_trunc",
    functions: ["date_trunc"],
    promise: "Truncates to the unit; a date stays a date.",
    cases: [
      { dml: "date_trunc('month', DATE '2020-05-06')", expected: "2020-05-01" },
      { dml: "date_trunc('year', DATE '2020-05-06')", expected: "2020-01-01" },
      { dml: "date_trunc('hour', TIMESTAMP '2020-05-06 10:30:00')", expected: "2020-05-06 10:00:00" },
      { dml: "date_trunc('month', TIMESTAMP '2020-05-06 10:30:00')", expected: "2020-05-01 00:00:00" },
    ],
  },
  {
    construct: "current_date",
    functions: ["current_date"],
    promise: "Today's date in the session's time zone (the one non-deterministic function: avoid it in ETL logic).",
    cases: [{ dml: "current_date > DATE '2020-01-01'", expected: true }],
  },
  {
    construct: "make_date",
    functions: ["make_date"],
    promise: "A date from year, month and day; a day that does not exist is an error.",
    cases: [
      { dml: "make_date(2020, 2, 29)", expected: "2020-02-29" },
      { dml: "make_date(2021, 2, 29)", expected: ERR },
    ],
  },
  {
    construct: "to_date / to_timestamp",
    functions: ["to_date", "to_timestamp"],
    promise:
      "Parse text with a strftime format, the grammar of load date formats (`%Y` 4 digits, `%y` 2 digits with 69-99 -> 19xx and 00-68 -> 20xx, `%m %d %H %M %S` 1 or 2 digits between non-digits and 2 next to a digit, `%f` 1 to 6 digits, literal separators); text that does not match the whole format, or is not a day of the calendar or a time of the clock, is an error; timestamps have no time zone.",
    cases: [
      { dml: "to_date('20200131', '%Y%m%d')", expected: "2020-01-31" },
      { dml: "to_date('31/01/2020', '%d/%m/%Y')", expected: "2020-01-31" },
      { dml: "to_date(concat('1/5/2020'), '%m/%d/%Y')", expected: "2020-01-05" },
      { dml: "to_timestamp('20200308 023000', '%Y%m%d %H%M%S')", expected: "2020-03-08 02:30:00", note: "a DST gap elsewhere: no time zone here" },
      { dml: "to_date(concat('690105'), '%y%m%d')", expected: "1969-01-05", note: "PostgreSQL's YY alone read 2069" },
      { dml: "to_date(concat('680105'), '%y%m%d')", expected: "2068-01-05" },
      { dml: "to_date(concat('20200230'), '%Y%m%d')", expected: ERR, note: "no such day" },
      { dml: "to_date(concat('2020-01-05junk'), '%Y-%m-%d')", expected: ERR, note: "PostgreSQL's to_date alone read 2020-01-05" },
      { dml: "to_date(concat('20-1-5'), '%Y-%m-%d')", expected: ERR, note: "both engines read the year 20" },
      { dml: "to_date(concat('2020015'), '%Y%m%d')", expected: ERR, note: "compact fields are read at full width" },
      { dml: "to_timestamp(concat('2020-01-05 24:00'), '%Y-%m-%d %H:%M')", expected: ERR },
    ],
  },
  // ---- aggregates --------------------------------------------------------------------------------------------
  {
    construct: "count",
    functions: ["count"],
    shape: "aggregate",
    promise: "count(*) counts rows; count(x) non-NULL values; count(DISTINCT x) distinct non-NULL values.",
    cases: [
      { dml: "count(*)", expected: 5 },
      { dml: "count(v.y)", expected: 4 },
      { dml: "count(DISTINCT v.y)", expected: 2 },
    ],
  },
  {
    construct: "sum / avg",
    functions: ["sum", "avg"],
    shape: "aggregate",
    promise: "Ignore NULLs; sum of integers is a bigint; avg is a float.",
    cases: [
      { dml: "sum(v.x)", expected: 15 },
      { dml: "sum(DISTINCT v.y)", expected: 30 },
      { dml: "avg(v.y)", expected: 15 },
      { dml: "avg(v.x)", expected: 3 },
    ],
  },
  {
    construct: "min / max",
    functions: ["min", "max"],
    shape: "aggregate",
    promise: "Ignore NULLs; strings by byte order.",
    cases: [
      { dml: "min(v.y)", expected: 10 },
      { dml: "max(v.x)", expected: 5 },
      { dml: "max(v.g)", expected: "b" },
      { dml: "min(CASE WHEN v.x = 3 THEN 'B' ELSE v.g END)", expected: "B", note: "over 'a', 'a', 'B', 'b', 'b'" },
      { dml: "max(DISTINCT CASE WHEN v.g = 'b' THEN 'B' ELSE v.g END)", expected: "a", note: "over 'a', 'a', 'B', 'B', 'B'" },
    ],
  },
  // ---- windows -----------------------------------------------------------------------------------------------
  {
    construct: "row_number / rank / dense_rank",
    functions: ["row_number", "rank", "dense_rank"],
    shape: "window",
    promise: "Numbering within the partition in ORDER BY order; ties share a rank (rank leaves gaps, dense_rank does not). NULLs sort last ascending and first descending unless NULLS FIRST/LAST says otherwise.",
    cases: [
      { dml: "row_number() OVER (PARTITION BY v.g ORDER BY v.x DESC)", expected: [2, 1, 3, 2, 1] },
      { dml: "rank() OVER (ORDER BY v.y)", expected: [1, 5, 1, 3, 3] },
      { dml: "dense_rank() OVER (ORDER BY v.y)", expected: [1, 3, 1, 2, 2] },
      { dml: "row_number() OVER (ORDER BY v.y, v.x)", expected: [1, 5, 2, 3, 4], note: "NULLs last ascending" },
      { dml: "row_number() OVER (ORDER BY v.y NULLS FIRST, v.x)", expected: [2, 1, 3, 4, 5] },
      { dml: "row_number() OVER (ORDER BY v.y DESC, v.x)", expected: [4, 1, 5, 2, 3], note: "NULLs first descending" },
      { dml: "row_number() OVER (ORDER BY CASE WHEN v.x < 3 THEN v.g ELSE upper(v.g) END, v.x)", expected: [4, 5, 1, 2, 3], note: "text keys 'a', 'a', 'B', 'B', 'B' in byte order: 'B' first" },
    ],
  },
  {
    construct: "lag / lead",
    functions: ["lag", "lead"],
    shape: "window",
    promise: "The value n rows before / after (default 1) in the window's order; NULL outside the partition.",
    cases: [
      { dml: "lag(v.x) OVER (ORDER BY v.x)", expected: [null, 1, 2, 3, 4] },
      { dml: "lead(v.x, 2) OVER (ORDER BY v.x)", expected: [3, 4, 5, null, null] },
    ],
  },
  {
    construct: "first_value / last_value",
    functions: ["first_value", "last_value"],
    shape: "window",
    promise: "The first / last value of the whole partition in the window's order (the frame is the whole partition unless one is written).",
    cases: [
      { dml: "first_value(v.x) OVER (PARTITION BY v.g ORDER BY v.x DESC)", expected: [2, 2, 5, 5, 5] },
      { dml: "last_value(v.x) OVER (PARTITION BY v.g ORDER BY v.x)", expected: [2, 2, 5, 5, 5] },
    ],
  },
  {
    construct: "aggregates over a window",
    shape: "window",
    promise: "An aggregate with OVER (PARTITION BY ...) and no ORDER BY covers the whole partition; with ORDER BY it is a running value.",
    cases: [
      { dml: "sum(v.x) OVER (PARTITION BY v.g)", expected: [3, 3, 12, 12, 12] },
      { dml: "count(*) OVER (ORDER BY v.x ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)", expected: [1, 2, 3, 4, 5] },
      { dml: "min(CASE WHEN v.g = 'b' THEN upper(v.g) ELSE v.g END) OVER ()", expected: ["B", "B", "B", "B", "B"], note: "byte order: 'B' before 'a'" },
    ],
  },
];
