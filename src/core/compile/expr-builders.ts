import type { BinaryOp, CastType, Expr, ValueType } from "../expr/ast.js";

/** Small constructors for compiler-generated expressions (lookups, id keys), already typed. */
export const col = (table: string, column: string, type: ValueType): Expr => ({ k: "col", table, column, type });
export const lit = (value: string | number | boolean | null): Expr => ({
  k: "lit",
  value,
  type: value === null ? "null" : typeof value === "string" ? "string" : typeof value === "boolean" ? "boolean" : Number.isInteger(value) ? "integer" : "float",
});
export const bin = (op: BinaryOp, left: Expr, right: Expr): Expr => ({
  k: "bin",
  op,
  left,
  right,
  type: op === "||" ? "string" : ["=", "<>", "<", "<=", ">", ">=", "and", "or"].includes(op) ? "boolean" : left.type,
});
export const and = (...parts: Expr[]): Expr => parts.reduce((a, b) => bin("and", a, b));
export const or = (...parts: Expr[]): Expr => parts.reduce((a, b) => bin("or", a, b));
export const fn = (name: string, args: Expr[], type: ValueType): Expr => ({ k: "fn", name, args, type });
export const cast = (arg: Expr, to: CastType): Expr => ({ k: "cast", arg, to, type: to.kind === "varchar" ? "string" : to.kind });
export const isNull = (arg: Expr, negated = false): Expr => ({ k: "isnull", arg, negated, type: "boolean" });
/**
 * A key as one text: each part as text, length-prefixed ("3:abc"), NULL as "~", joined by "|" — injective, so
 * distinct keys never collide, and printable. The id map's source keys and the merge ownership ledger use it.
 */
export function sourceKeyText(parts: readonly Expr[]): Expr {
  const text = parts.map((p) => {
    const s = p.type === "string" ? p : cast(p, { kind: "varchar" });
    // A digest's length is known: "32:" written out rather than the part evaluated twice (engines do not share the
    // two evaluations inside a join condition; measured: Synthea's payer_plan_period at x1000, its id-map join 1.2 s).
    const fixed = fixedLength(p);
    if (fixed !== undefined) return fn("coalesce", [bin("||", lit(`${fixed}:`), s), lit("~")], "string");
    const len = cast(fn("length", [s], "integer"), { kind: "varchar" });
    return fn("coalesce", [bin("||", bin("||", len, lit(":")), s), lit("~")], "string");
  });
  return text.reduce((a, b) => bin("||", bin("||", a, lit("|")), b));
}
/**
 * The length of every non-NULL value of `e` when the function semantics fix it on every engine: md5 is a lower-case
 * hex digest of 32 characters (src/core/expr/functions.ts; the conformance suite checks it per engine).
 */
function fixedLength(e: Expr): number | undefined {
  return e.k === "fn" && e.name.toLowerCase() === "md5" && e.args.length === 1 ? 32 : undefined;
}
export const inList = (arg: Expr, list: Expr[]): Expr => (list.length === 1 ? bin("=", arg, list[0]!) : { k: "in", arg, list, negated: false, type: "boolean" });

/** Rebuilds an expression bottom-up, letting `f` replace any node. */
export function mapExpr(e: Expr, f: (e: Expr) => Expr | undefined): Expr {
  const replaced = f(e);
  if (replaced) return replaced;
  const m = (x: Expr) => mapExpr(x, f);
  switch (e.k) {
    case "col":
    case "lit":
      return e;
    case "bin":
      return { ...e, left: m(e.left), right: m(e.right) };
    case "not":
    case "neg":
      return { ...e, arg: m(e.arg) };
    case "case":
      return {
        ...e,
        ...(e.operand ? { operand: m(e.operand) } : {}),
        whens: e.whens.map((w) => ({ when: m(w.when), then: m(w.then) })),
        ...(e.else ? { else: m(e.else) } : {}),
      };
    case "cast":
      return { ...e, arg: m(e.arg) };
    case "in":
      return { ...e, arg: m(e.arg), list: e.list.map(m) };
    case "between":
      return { ...e, arg: m(e.arg), low: m(e.low), high: m(e.high) };
    case "isnull":
      return { ...e, arg: m(e.arg) };
    case "like":
      return { ...e, arg: m(e.arg), pattern: m(e.pattern) };
    case "fn":
      return { ...e, args: e.args.map(m) };
    case "window":
      return { ...e, args: e.args.map(m), partitionBy: e.partitionBy.map(m), orderBy: e.orderBy.map((o) => ({ ...o, expr: m(o.expr) })) };
  }
}

/** Every column reference in an expression. */
export function columnRefs(e: Expr): { table: string; column: string }[] {
  const out: { table: string; column: string }[] = [];
  mapExpr(e, (n) => {
    if (n.k === "col") out.push({ table: n.table, column: n.column });
    return undefined;
  });
  return out;
}
