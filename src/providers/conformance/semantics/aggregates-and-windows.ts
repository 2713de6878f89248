import type { SemanticsEntry } from "./semantics-types.js";

/** Aggregates (over all five rows) and window functions (one value per row, NULL ordering): entries of the semantics catalogue, in the order of docs/semantics.md. */
export const AGGREGATE_AND_WINDOW_SEMANTICS: readonly SemanticsEntry[] = [
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
