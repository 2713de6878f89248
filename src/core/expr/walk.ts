/**
 * Read-only traversals of the typed Expr, for dependency inference, lineage and select validation.
 */
import type { Expr } from "./ast.js";
import { isAggregateName } from "./functions.js";

/** Calls `visit` on `e` and every sub-expression, parents first; stops descending where `visit` returns false. */
export function walkExpr(e: Expr, visit: (e: Expr) => boolean | void): void {
  if (visit(e) === false) return;
  switch (e.k) {
    case "col":
    case "lit":
      return;
    case "bin":
      walkExpr(e.left, visit);
      walkExpr(e.right, visit);
      return;
    case "not":
    case "neg":
    case "cast":
    case "isnull":
      walkExpr(e.arg, visit);
      return;
    case "case":
      if (e.operand) walkExpr(e.operand, visit);
      for (const w of e.whens) {
        walkExpr(w.when, visit);
        walkExpr(w.then, visit);
      }
      if (e.else) walkExpr(e.else, visit);
      return;
    case "in":
      walkExpr(e.arg, visit);
      for (const x of e.list) walkExpr(x, visit);
      return;
    case "between":
      walkExpr(e.arg, visit);
      walkExpr(e.low, visit);
      walkExpr(e.high, visit);
      return;
    case "like":
      walkExpr(e.arg, visit);
      walkExpr(e.pattern, visit);
      return;
    case "fn":
      for (const x of e.args) walkExpr(x, visit);
      return;
    case "window":
      for (const x of e.args) walkExpr(x, visit);
      for (const x of e.partitionBy) walkExpr(x, visit);
      for (const o of e.orderBy) walkExpr(o.expr, visit);
      return;
  }
}

/** The distinct columns an expression reads, in order of first appearance. */
export function columnsReferenced(expr: Expr): { table: string; column: string }[] {
  const seen = new Set<string>();
  const out: { table: string; column: string }[] = [];
  walkExpr(expr, (e) => {
    if (e.k !== "col") return;
    const key = `${e.table}\u0000${e.column}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ table: e.table, column: e.column });
  });
  return out;
}

/**
 * Whether the expression calls an aggregate outside OVER (so the select must group).
 * `sum(x) OVER (...)` is a window call, not an aggregate; an aggregate inside a window's arguments counts.
 */
export function containsAggregate(expr: Expr): boolean {
  let found = false;
  walkExpr(expr, (e) => {
    if (found) return false;
    if (e.k === "fn" && isAggregateName(e.name)) found = true;
    return !found;
  });
  return found;
}

/** Whether the expression contains a window call. */
export function containsWindow(expr: Expr): boolean {
  let found = false;
  walkExpr(expr, (e) => {
    if (found) return false;
    if (e.k === "window") found = true;
    return !found;
  });
  return found;
}
