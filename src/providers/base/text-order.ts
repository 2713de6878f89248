import type { Expr } from "../../core/expr/ast.js";

/**
 * Text that the DML orders or compares by size, in byte order on every engine. PostgreSQL compares text by the
 * database's collation (en_US or ICU: `'a' < 'B'`, `min('a', 'B') = 'a'`) where DuckDB compares the UTF-8 bytes
 * (`'B' < 'a'`), so the same input gave different tables. The generator routes every operand the compiler typed as
 * text through its `textOrder` hook (PostgreSQL: `COLLATE "C"`) wherever the result depends on an ordering: `<`,
 * `<=`, `>`, `>=`, BETWEEN, min/max (also over a window), greatest/least. Window ORDER BY keys take the same path
 * (the `binaryCollate` hook). Equality (`=`, `<>`, IN, CASE, DISTINCT, GROUP BY) needs nothing: every deterministic
 * collation — the only kind a database default can be — calls two strings equal only when their bytes are.
 */

/** A generator's `textOrder` hook: `sql` (an operand, parenthesised where needed) ordered by the bytes of its UTF-8 text. */
export type TextOrder = (sql: string) => string;

/** Comparison operators whose result depends on the order of their operands. */
const ORDERING_OPS = new Set(["<", "<=", ">", ">="]);

/** Whether `op` over `left` and `right` compares two texts by order. Operands of other types are left alone. */
export function comparesTextOrder(op: string, left: Expr, right: Expr): boolean {
  return ORDERING_OPS.has(op) && left.type === "string" && right.type === "string";
}

/**
 * `sql`, the rendering of `e`, in byte order when `e` is text; otherwise unchanged (a COLLATE on a number is an
 * error on PostgreSQL). Anything but a column, literal or function call is parenthesised first, so the collation
 * applies to the whole operand on every engine's grammar (DuckDB binds COLLATE tighter than `||`).
 */
export function inTextOrder(order: TextOrder, e: Expr, sql: string): string {
  if (e.type !== "string") return sql;
  const bare = e.k === "col" || e.k === "lit" || e.k === "fn";
  return order(bare ? sql : `(${sql})`);
}

/** Aggregates (and window aggregates) whose result is the smallest or largest value of their argument. */
export function ordersArgument(fn: string): boolean {
  return fn === "min" || fn === "max" || fn === "greatest" || fn === "least";
}
