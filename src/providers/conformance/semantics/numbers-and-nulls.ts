import { ERR } from "./semantics-types.js";
import type { SemanticsEntry } from "./semantics-types.js";

/** Numeric functions (rounding, bounds, powers) and the NULL functions: entries of the semantics catalogue, in the order of docs/semantics.md. */
export const NUMBER_AND_NULL_SEMANTICS: readonly SemanticsEntry[] = [
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
];
