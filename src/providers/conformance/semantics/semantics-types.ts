/** The shapes of the semantics catalogue: its rows, cases and entries (assembled in ../semantics-catalogue.ts). */

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

/** A case every engine must refuse (the step fails; nothing is written). */
export const ERR = { error: true } as const;
/** A case engines compute differently and omopetl does not promise (it must still compute). */
export const VARIES = { varies: true } as const;
