import type { CastType, Expr, ValueType } from "../expr/ast.js";
import { castTypeToValue } from "./column-types.js";

export type Assignability = { ok: true; cast: boolean } | { ok: false; hint: string };

const NUMERIC_RANK: Partial<Record<ValueType, number>> = { integer: 1, bigint: 2, float: 3 };

/**
 * Can an expression of type `from` be written to a column of type `to`? Widening is fine (integer -> bigint ->
 * float, date -> datetime); narrowing or changing kind needs an explicit CAST so nothing is truncated silently.
 * An ISO date string literal may go into a date column (it is cast).
 */
export function assignable(expr: Expr, to: CastType): Assignability {
  const from = expr.type;
  const target = castTypeToValue(to);
  if (from === "null") return { ok: true, cast: true };
  if (from === "any") return { ok: true, cast: true };
  if (from === target) return { ok: true, cast: false };
  const fr = NUMERIC_RANK[from];
  const tr = NUMERIC_RANK[target];
  if (fr !== undefined && tr !== undefined) {
    return fr <= tr ? { ok: true, cast: true } : { ok: false, hint: `CAST(... AS ${to.kind}) if the value cannot exceed the column's range, or round() it.` };
  }
  if (from === "date" && target === "datetime") return { ok: true, cast: true };
  if (expr.k === "lit" && typeof expr.value === "string") {
    if (target === "date" && /^\d{4}-\d{2}-\d{2}$/.test(expr.value)) return { ok: true, cast: true };
    if (target === "datetime" && /^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$/.test(expr.value)) return { ok: true, cast: true };
  }
  if (target === "string") return { ok: false, hint: `CAST(... AS varchar) to write a ${from} into a text column.` };
  if (from === "string") return { ok: false, hint: `CAST(... AS ${to.kind})${target === "date" ? " or to_date(..., '%Y%m%d')" : ""} to convert text.` };
  if (from === "datetime" && target === "date") return { ok: false, hint: "CAST(... AS date) to drop the time of day." };
  return { ok: false, hint: `CAST(... AS ${to.kind}).` };
}
