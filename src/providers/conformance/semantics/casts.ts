import { ERR } from "./semantics-types.js";
import type { SemanticsEntry } from "./semantics-types.js";

/** Casts between text, numbers, booleans and dates: entries of the semantics catalogue, in the order of docs/semantics.md. */
export const CAST_SEMANTICS: readonly SemanticsEntry[] = [
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
];
