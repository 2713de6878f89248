/**
 * Name resolution scope of an expression: the table aliases visible to it and their columns.
 */
import type { Expr, ValueType } from "./ast.js";

/** One table visible to an expression under `alias`. */
export interface ScopeTable {
  alias: string;
  /**
   * Column name -> type. Keys should be lower-case (they are normalised if not). "any" when the columns are
   * unknown (e.g. a table written by an undeclared `sql` step): every column resolves, typed `any`.
   */
  columns: ReadonlyMap<string, ValueType> | "any";
  /** Shown in messages after the alias, e.g. "source.patients" or "CDM table person". */
  description?: string;
}

/**
 * Names an unqualified reference may stand for besides a table's column: a select's named expressions (`let:`) and
 * its output columns. The rule (README, "Expressions"): a let's name must not also be a column of a table in scope
 * (AMBIGUOUS_COLUMN); an output column's name is used only when no table in scope has such a column (the table's
 * column wins, as in SQL).
 */
export interface ScopeNames {
  /** What `name` is: a let, an output column, or neither. */
  kind(name: string): "let" | "output" | undefined;
  /**
   * The checked expression `name` stands for; `null` when it failed to check (already reported); `{ cycle }` when it
   * is being checked (a reference back to itself): the names of the cycle, from `name` back to it.
   */
  resolve(name: string): Expr | null | { cycle: string[] };
  /** Every let and output column name, for a did-you-mean. */
  all(): Iterable<string>;
}

/** The tables an expression may reference. */
export interface ExprScope {
  tables: ScopeTable[];
  /** Named expressions and output columns an unqualified name may stand for (expanded where used). */
  names?: ScopeNames;
}

const normalised = new WeakMap<ReadonlyMap<string, ValueType>, ReadonlyMap<string, ValueType>>();

/** The column map with lower-case keys (cached per map, and the map itself when already lower-case). */
export function lowerColumns(columns: ReadonlyMap<string, ValueType>): ReadonlyMap<string, ValueType> {
  let m = normalised.get(columns);
  if (m === undefined) {
    let lower = true;
    for (const k of columns.keys()) {
      if (k !== k.toLowerCase()) {
        lower = false;
        break;
      }
    }
    m = lower ? columns : new Map([...columns].map(([k, v]) => [k.toLowerCase(), v] as const));
    normalised.set(columns, m);
  }
  return m;
}

/** The table of `alias` (case-insensitive), if in scope. */
export function findAlias(scope: ExprScope, alias: string): ScopeTable | undefined {
  for (const t of scope.tables) if (t.alias === alias || t.alias.toLowerCase() === alias) return t;
  return undefined;
}
