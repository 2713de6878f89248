/**
 * Name resolution scope of an expression: the table aliases visible to it and their columns.
 */
import type { ValueType } from "./ast.js";

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

/** The tables an expression may reference. */
export interface ExprScope {
  tables: ScopeTable[];
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
