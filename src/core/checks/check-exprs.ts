import type { BinaryOp, CastType, Expr, ValueType } from "../expr/ast.js";

/*
 * Small constructors of typed expression ASTs, for the check compiler: the checks are built as the plan's model,
 * never as SQL text, so every provider renders them with its own hooks.
 */

export const col = (table: string, column: string, type: ValueType): Expr => ({ k: "col", table, column, type });
export const int = (value: number): Expr => ({ k: "lit", value, type: Number.isInteger(value) ? "integer" : "float" });
export const str = (value: string): Expr => ({ k: "lit", value, type: "string" });
export const dateLit = (iso: string): Expr => ({ k: "lit", value: iso, type: "date" });
export const isNull = (arg: Expr): Expr => ({ k: "isnull", arg, negated: false, type: "boolean" });
export const notNull = (arg: Expr): Expr => ({ k: "isnull", arg, negated: true, type: "boolean" });
export const bin = (op: BinaryOp, left: Expr, right: Expr): Expr => ({
  k: "bin",
  op,
  left,
  right,
  type: ["=", "<>", "<", "<=", ">", ">=", "and", "or"].includes(op) ? "boolean" : left.type,
});
export const cast = (arg: Expr, kind: Exclude<CastType["kind"], "varchar">): Expr => ({ k: "cast", arg, to: { kind }, type: kind });
export const fn = (name: string, args: Expr[], type: ValueType): Expr => ({ k: "fn", name, args, type });

/** `a AND b AND ...`, left-nested; undefined for no terms. */
export function and(...terms: (Expr | undefined)[]): Expr | undefined {
  const present = terms.filter((t): t is Expr => t !== undefined);
  return present.reduce<Expr | undefined>((acc, t) => (acc ? bin("and", acc, t) : t), undefined);
}

/** `x` as a date: a date as it is, anything else cast (DQD's `CAST(x AS DATE)`). */
export function asDate(x: Expr): Expr {
  return x.type === "date" ? x : cast(x, "date");
}
