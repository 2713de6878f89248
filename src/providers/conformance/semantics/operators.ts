import { ERR } from "./semantics-types.js";
import type { SemanticsEntry } from "./semantics-types.js";

/** Operators (arithmetic, comparison, logic, CASE) and literals: entries of the semantics catalogue, in the order of docs/semantics.md. */
export const OPERATOR_SEMANTICS: readonly SemanticsEntry[] = [
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
];
