import { VARIES } from "./semantics-types.js";
import type { SemanticsEntry } from "./semantics-types.js";

/** String functions (case, padding, trimming, searching, splitting; Unicode): entries of the semantics catalogue, in the order of docs/semantics.md. */
export const TEXT_SEMANTICS: readonly SemanticsEntry[] = [
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
];
