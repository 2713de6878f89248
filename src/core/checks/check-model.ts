import type { Expr } from "../expr/ast.js";
import type { TableRef } from "../model/plan.js";
import type { SelectedCheck } from "./dqd-select.js";

/** A table joined into a check's rows: `type JOIN table AS alias ON on`. */
export interface CheckJoin {
  type: "inner" | "left";
  table: TableRef;
  alias: string;
  on: Expr;
}

/**
 * A set of rows a check counts, in the plan's model (typed expression ASTs over aliased tables), for the providers
 * to render: `FROM from AS alias [joins] [WHERE where]`, counted as `count`.
 */
export interface CheckRowSet {
  from: TableRef;
  alias: string;
  joins: CheckJoin[];
  where?: Expr;
  /**
   * Keeps only the rows whose value of this column of `from` occurs more than once in `from` (a primary key's
   * duplicates: every row sharing the value counts, as DQD's `IN (... GROUP BY ... HAVING COUNT(*) > 1)`).
   */
  duplicatesOf?: string;
  /**
   * `rows`: count(*). `distinct`: the number of distinct values of `value`, NULL counting as one value when
   * `nullIsValue` (DQD's sourceValueCompleteness denominator).
   */
  count: { kind: "rows" } | { kind: "distinct"; value: Expr; nullIsValue: boolean };
}

/**
 * How a check is measured. `ratio`: violating rows over denominator rows, both counted on the engine. `tableExists`
 * and `fieldExists`: one violated row (of one) when the table or column is missing (DQD's cdmTable and cdmField).
 * `unsupported`: a check type omopetl does not compile yet; it is reported as such, never run differently.
 */
export type CheckMeasure =
  | { kind: "ratio"; numerator: CheckRowSet; denominator: CheckRowSet }
  | { kind: "tableExists"; table: TableRef }
  | { kind: "fieldExists"; table: TableRef; column: string }
  | { kind: "unsupported"; reason: string };

/** One DQD check compiled against the CDM spec: what DQD says of it and how to measure it. */
export interface CompiledCheck extends Omit<SelectedCheck, "params" | "file" | "line"> {
  measure: CheckMeasure;
  /** The CDM tables the measure reads, sorted (`schema.name`): the check can run once their writers are done. */
  reads: string[];
  /** Where DQD defines the check (file:line), for messages. */
  definedAt: string;
}

/**
 * Whether a row set can be one column of a shared counting query (a generator's `renderCheckScan`): it counts rows,
 * without the duplicates restriction.
 */
export function isScannable(r: CheckRowSet): boolean {
  return r.duplicatesOf === undefined && r.count.kind === "rows";
}

/** The rows a row set filters (its FROM and joins): scannable row sets with equal keys are counted in one query. */
export function scanKey(r: CheckRowSet): string {
  return JSON.stringify([r.from, r.alias, r.joins]);
}
