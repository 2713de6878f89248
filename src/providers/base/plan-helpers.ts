import { createHash } from "node:crypto";
import type { Expr } from "../../core/expr/ast.js";
import { walkExpr } from "../../core/expr/walk.js";
import type { ColumnDef, TableDef, TableRef } from "../../core/model/plan.js";
import type { RenderContext } from "../provider-api.js";
import { invalidPlan } from "../provider-errors.js";

/** Helpers over plan structures shared by every generator. */

/** The TableDef of `ref` in the plan, if any. */
export function findTableDef(ctx: RenderContext, ref: TableRef): TableDef | undefined {
  return ctx.tables.find((t) => t.schema === ref.schema && t.name === ref.name);
}

/** The TableDef of `ref`, or one built from `columns` (a non-CDM table without keys or indexes). */
export function tableDefOrColumns(ctx: RenderContext, ref: TableRef, columns: readonly ColumnDef[]): TableDef {
  return (
    findTableDef(ctx, ref) ?? {
      schema: ref.schema,
      name: ref.name,
      cdm: false,
      columns: [...columns],
      primaryKey: [],
      foreignKeys: [],
      indexes: [],
    }
  );
}

/** The TableDefs of `refs`, in order; a ref without a definition in the plan is a plan error. */
export function requireTableDefs(ctx: RenderContext, refs: readonly TableRef[]): TableDef[] {
  return refs.map((r) => {
    const def = findTableDef(ctx, r);
    if (!def) throw invalidPlan(`table ${r.schema}.${r.name} has no definition in plan.tables.`);
    return def;
  });
}

/** Table aliases referenced by column nodes anywhere in `e` (the expression walk is core's, not a copy of it). */
export function referencedAliases(e: Expr | undefined, out = new Set<string>()): Set<string> {
  if (e) {
    walkExpr(e, (n) => {
      if (n.k === "col") out.add(n.table);
    });
  }
  return out;
}

/**
 * True when `e` can never be NULL on any engine: a non-NULL literal, a coalesce with such an argument, or a
 * concatenation (`||`) of such operands. Conservative: false means "may be NULL".
 */
export function neverNull(e: Expr): boolean {
  switch (e.k) {
    case "lit":
      return e.value !== null;
    case "fn":
      return e.name.toLowerCase() === "coalesce" && e.args.some(neverNull);
    case "bin":
      return e.op === "||" && neverNull(e.left) && neverNull(e.right);
    default:
      return false;
  }
}

/**
 * A deterministic object name (constraint, index) within `maxBytes`: `prefix_part1_part2`, or, when longer, a
 * truncated form ending in 8 hex digits of its sha256 so distinct long names stay distinct.
 */
export function objectName(prefix: string, parts: readonly string[], maxBytes: number): string {
  const full = [prefix, ...parts].join("_");
  if (Buffer.byteLength(full, "utf8") <= maxBytes) return full;
  const hash = createHash("sha256").update(full).digest("hex").slice(0, 8);
  let head = full;
  while (Buffer.byteLength(head, "utf8") > maxBytes - 9) head = head.slice(0, -1);
  return `${head}_${hash}`;
}
