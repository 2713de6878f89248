import type { Expr, OrderItem } from "../expr/ast.js";
import { walkExpr } from "../expr/index.js";
import type { Join, TableRef } from "../model/plan.js";
import { mapExpr } from "./expr-builders.js";
import type { TableCatalog } from "./table-catalog.js";

/**
 * Deterministic windows (issue 13 item 8). A window whose result depends on the order of rows that its ORDER BY
 * leaves tied (row_number, lag, lead, first_value, last_value, an aggregate over a ROWS frame) picks different rows
 * on different engines: a `qualify row_number() ... = 1` over two diagnoses of one claim on one date kept one concept
 * on DuckDB and another on PostgreSQL. Such a window gets a tie-breaker appended to its ORDER BY:
 *
 * - the select's row key, when the compiler knows one: the from table's declared key (a CDM primary key, a staging
 *   table's `key:`) plus, for each join that may match several rows, the joined table's key (a join whose ON fixes
 *   every column of the joined table's key matches at most one row; a lookup adds its concept ids; the id map is
 *   one row per key); for a grouped select, its group_by expressions;
 * - otherwise every column the select reads, in the select's order: rows tied on all of them produce identical
 *   output rows, so whichever comes first the written rows are the same. That is deterministic but the choice
 *   among ties is arbitrary, so it is reported (NONDETERMINISTIC_WINDOW, a warning; `--strict` makes it an error),
 *   unless the window already orders by every column the select reads (then tied rows are identical).
 *
 * Text sorts in byte order on every engine (the providers' binaryCollate hook), so the appended keys order alike.
 * A window that cannot take more ORDER BY keys without changing its meaning (first_value/last_value over a RANGE
 * frame, whose peers are its frame) is only reported.
 */

/** Order-sensitive windows whose tie-breaking the compiler could not make meaningful, for the warning. */
export interface WindowTieIssue {
  /** The window function's name, e.g. "row_number". */
  name: string;
  /** Which occurrence of that function name in the expression (0-based), to locate it in the YAML text. */
  occurrence: number;
  /** "fallback": ties broken by every column read; "range": a RANGE frame, left as it is. */
  kind: "fallback" | "range";
  /** For "fallback": the columns appended to the ORDER BY, as alias.column. */
  appended: string[];
}

/** What a select looks like to the tie-breaking pass. */
export interface TieSelect {
  from: { table: TableRef; alias: string };
  joins: readonly Join[];
  groupBy: readonly Expr[];
  /** Whether the select aggregates (group_by, or an aggregate in columns/having). */
  grouped: boolean;
}

const ORDER_SENSITIVE = new Set(["row_number", "lag", "lead", "first_value", "last_value"]);

/** Whether the window's value depends on how its ORDER BY ties are broken. */
function orderSensitive(w: Extract<Expr, { k: "window" }>): boolean {
  if (ORDER_SENSITIVE.has(w.name)) return true;
  // Aggregates: the default and RANGE frames include every peer, so ties do not matter; a ROWS frame counts rows.
  if (w.frame?.unit !== "rows") return false;
  return !(w.frame.start.kind === "unbounded_preceding" && w.frame.end.kind === "unbounded_following");
}

const keyOf = (e: Expr): string => JSON.stringify(e);

/**
 * The expressions that identify a row of the select (before windows), or undefined when the compiler cannot tell.
 * Columns are typed "any" here: only their identity matters (the type is taken from the select's own references).
 */
export function selectRowKey(
  s: TieSelect,
  catalog: TableCatalog,
  typeOf: (table: string, column: string) => Expr["type"],
  /** The row key of a table the catalog does not hold (a `with:` sub-select's output columns), when known. */
  keyOf?: (ref: TableRef) => readonly string[] | undefined,
): Expr[] | undefined {
  if (s.grouped) return [...s.groupBy];
  const col = (table: string, column: string): Expr => ({ k: "col", table, column, type: typeOf(table, column) });
  const keyOfTable = (ref: TableRef): readonly string[] => {
    const own = keyOf?.(ref);
    if (own) return own;
    const t = catalog.get(ref);
    return t?.rowKey ?? t?.primaryKey ?? [];
  };
  const fromKey = keyOfTable(s.from.table);
  if (fromKey.length === 0) return undefined;
  const key: Expr[] = fromKey.map((c) => col(s.from.alias, c));
  for (const j of s.joins) {
    if (j.role === "id_map") continue; // one row per (domain, source_key)
    if (j.role === "lookup") {
      // The source concept (a code may exist in several of the listed vocabularies) and each valid target, through
      // 'Maps to' or source_to_concept_map (see lookup-joins.ts).
      const column = j.table.name === "concept_relationship" ? "concept_id_2" : j.table.name === "source_to_concept_map" ? "target_concept_id" : "concept_id";
      key.push(col(j.alias, column));
      continue;
    }
    const jk = keyOfTable(j.table);
    if (jk.length === 0) return undefined;
    if (jk.every((c) => fixedByOn(j.on, j.alias, c))) continue;
    key.push(...jk.map((c) => col(j.alias, c)));
  }
  return key;
}

/** Whether ON contains `alias.column = <expression not reading alias>` as a top-level conjunct. */
function fixedByOn(on: Expr, alias: string, column: string): boolean {
  const conjuncts: Expr[] = [];
  const flatten = (e: Expr): void => {
    if (e.k === "bin" && e.op === "and") {
      flatten(e.left);
      flatten(e.right);
    } else conjuncts.push(e);
  };
  flatten(on);
  const isCol = (e: Expr) => e.k === "col" && e.table === alias && e.column === column;
  const free = (e: Expr) => {
    let reads = false;
    walkExpr(e, (n) => {
      if (n.k === "col" && n.table === alias) reads = true;
    });
    return !reads;
  };
  return conjuncts.some((c) => c.k === "bin" && c.op === "=" && ((isCol(c.left) && free(c.right)) || (isCol(c.right) && free(c.left))));
}

/** Every column the expressions read, in order of first appearance (the fallback tie-breaker). */
export function columnsRead(exprs: readonly Expr[]): Expr[] {
  const seen = new Set<string>();
  const out: Expr[] = [];
  for (const e of exprs) {
    walkExpr(e, (n) => {
      if (n.k !== "col") return;
      const k = `${n.table}.${n.column}`;
      if (seen.has(k)) return;
      seen.add(k);
      out.push(n);
    });
  }
  return out;
}

/**
 * Appends the tie-breaker to every order-sensitive window of `e`. `rowKey` is the select's row key (or undefined),
 * `fallback` the columns the select reads. Returns the rewritten expression and what to report.
 */
export function breakTies(e: Expr, rowKey: readonly Expr[] | undefined, fallback: readonly Expr[]): { expr: Expr; issues: WindowTieIssue[] } {
  const issues: WindowTieIssue[] = [];
  const seenByName = new Map<string, number>();
  const expr = mapExpr(e, (n) => {
    if (n.k !== "window") return undefined;
    const occurrence = seenByName.get(n.name) ?? 0;
    seenByName.set(n.name, occurrence + 1);
    if (!orderSensitive(n)) return undefined;
    const ordered = new Set<string>();
    for (const x of [...n.partitionBy, ...n.orderBy.map((o) => o.expr)]) {
      ordered.add(keyOf(x));
      for (const c of coalescedColumns(x)) ordered.add(keyOf(c));
    }
    const missing = (keys: readonly Expr[]) => keys.filter((k) => !ordered.has(keyOf(k)));
    if (rowKey && missing(rowKey).length === 0) return undefined; // already a total order
    if (n.frame?.unit === "range") {
      issues.push({ name: n.name, occurrence, kind: "range", appended: [] });
      return undefined;
    }
    const extra = missing(rowKey ?? fallback);
    // Nothing missing from the fallback: rows left tied are equal in every column read, so identical when written.
    if (extra.length === 0) return undefined;
    if (!rowKey) issues.push({ name: n.name, occurrence, kind: "fallback", appended: extra.map((x) => (x.k === "col" ? `${x.table}.${x.column}` : "?")) });
    const orderBy: OrderItem[] = [...n.orderBy, ...extra.map((x) => ({ expr: x, desc: false }))];
    return { ...n, orderBy };
  });
  return { expr, issues };
}

/**
 * The columns of a `coalesce` over columns (nested, with literals), e.g. a lookup's `concept_id`
 * (`coalesce(coalesce(x__stcm_std.concept_id, x__std.concept_id), 0)`): ordering by it orders by what the select
 * writes of those columns, so it covers them. Empty for any other expression.
 */
function coalescedColumns(e: Expr): Expr[] {
  if (e.k !== "fn" || e.name !== "coalesce") return [];
  const out: Expr[] = [];
  for (const a of e.args) {
    if (a.k === "col") out.push(a);
    else if (a.k === "fn" && a.name === "coalesce") {
      const inner = coalescedColumns(a);
      if (inner.length === 0) return [];
      out.push(...inner);
    } else if (a.k !== "lit") return [];
  }
  return out;
}

/** The offset of the `occurrence`-th call of `name` in an expression's source text (case-insensitive), else 0. */
export function windowOffset(text: string, name: string, occurrence: number): number {
  const re = new RegExp(`\\b${name}\\s*\\(`, "gi");
  let m: RegExpExecArray | null;
  let i = 0;
  while ((m = re.exec(text)) !== null) {
    if (i++ === occurrence) return m.index;
  }
  return 0;
}

/**
 * The row key of a select filtered by `qualify: row_number() OVER (PARTITION BY p ...) = 1` ("keep the first row per
 * key"): its partition expressions, since at most one row per partition survives. Undefined for any other qualify.
 */
export function firstRowPerKey(qualify: Expr | undefined): Expr[] | undefined {
  if (!qualify || qualify.k !== "bin" || qualify.op !== "=") return undefined;
  const one = (e: Expr) => e.k === "lit" && e.value === 1;
  const w = one(qualify.right) ? qualify.left : one(qualify.left) ? qualify.right : undefined;
  if (!w || w.k !== "window" || w.name !== "row_number" || w.partitionBy.length === 0) return undefined;
  return [...w.partitionBy];
}
