import { expect } from "vitest";
import { type Expr, ExprSchema, type FrameBound, type ValueType } from "../../src/core/expr/ast.js";
import { type AnalyzeOptions, type ExprIssue, type ExprScope, analyzeExpression } from "../../src/core/expr/index.js";

/** p: a source table with typed columns; c: a CDM-like table; u: an untyped table (columns unknown). */
export const scope: ExprScope = {
  tables: [
    {
      alias: "p",
      description: "source.patients",
      columns: new Map<string, ValueType>([
        ["id", "integer"],
        ["big_id", "bigint"],
        ["gender", "string"],
        ["gender_concept_id", "integer"],
        ["birth_date", "date"],
        ["death_datetime", "datetime"],
        ["weight", "float"],
        ["active", "boolean"],
      ]),
    },
    {
      alias: "c",
      description: "CDM table concept",
      columns: new Map<string, ValueType>([
        ["concept_id", "integer"],
        ["concept_code", "string"],
        ["vocabulary_id", "string"],
        ["valid_start_date", "date"],
        ["id", "integer"],
      ]),
    },
  ],
};

export const scopeWithUntyped: ExprScope = { tables: [...scope.tables, { alias: "u", columns: "any" }] };

/** Compact S-expression of a typed Expr, with the type after a colon: `(+:integer 1:integer 2:integer)`. */
export function show(e: Expr): string {
  switch (e.k) {
    case "col":
      return `${e.table}.${e.column}:${e.type}`;
    case "lit":
      return `${typeof e.value === "string" ? `'${e.value}'` : String(e.value)}:${e.type}`;
    case "bin":
      return `(${e.op}:${e.type} ${show(e.left)} ${show(e.right)})`;
    case "not":
    case "neg":
      return `(${e.k}:${e.type} ${show(e.arg)})`;
    case "cast":
      return `(cast:${e.type} ${show(e.arg)} ${e.to.kind}${e.to.kind === "varchar" && e.to.length ? `(${e.to.length})` : ""})`;
    case "case":
      return `(case:${e.type}${e.operand ? ` ${show(e.operand)}` : ""}${e.whens.map((w) => ` [${show(w.when)} ${show(w.then)}]`).join("")}${e.else ? ` else ${show(e.else)}` : ""})`;
    case "in":
      return `(${e.negated ? "not-in" : "in"}:${e.type} ${show(e.arg)} ${e.list.map(show).join(" ")})`;
    case "between":
      return `(${e.negated ? "not-between" : "between"}:${e.type} ${show(e.arg)} ${show(e.low)} ${show(e.high)})`;
    case "isnull":
      return `(${e.negated ? "is-not-null" : "is-null"}:${e.type} ${show(e.arg)})`;
    case "like":
      return `(${e.negated ? "not-like" : "like"}:${e.type} ${show(e.arg)} ${show(e.pattern)})`;
    case "fn":
      return `(${e.name}${e.distinct ? " distinct" : ""}:${e.type}${e.args.map((a) => ` ${show(a)}`).join("")})`;
    case "window": {
      const parts = e.partitionBy.map(show).join(" ");
      const order = e.orderBy.map((o) => `${show(o.expr)}${o.desc ? " desc" : ""}${o.nulls ? ` nulls-${o.nulls}` : ""}`).join(" ");
      const bound = (b: FrameBound): string => ("offset" in b ? `${b.offset}-${b.kind}` : b.kind);
      const frame = e.frame ? ` ${e.frame.unit} ${bound(e.frame.start)}..${bound(e.frame.end)}` : "";
      return `(${e.name}:${e.type}${e.args.map((a) => ` ${show(a)}`).join("")} over [${parts}] [${order}]${frame})`;
    }
  }
}

/** Same as `show` but types left out, for precedence tests. */
export function shape(e: Expr): string {
  return show(e).replace(/:[a-z]+/g, "");
}

/** Analyzes `text`, asserts there are no errors and that the AST validates against ExprSchema (round trip). */
export function ok(text: string | number | boolean | null, opts?: AnalyzeOptions, s: ExprScope = scope): Expr {
  const r = analyzeExpression(text, s, opts);
  expect(r.issues.filter((i) => i.severity === "error"), `issues of ${String(text)}`).toEqual([]);
  expect(r.expr).toBeDefined();
  const expr = r.expr!;
  expect(r.type).toBe(expr.type);
  expect(ExprSchema.parse(JSON.parse(JSON.stringify(expr)))).toEqual(expr);
  return expr;
}

/** Analyzes `text` expecting errors; returns the issues (and asserts no expr came back). */
export function fails(text: string, opts?: AnalyzeOptions, s: ExprScope = scope): ExprIssue[] {
  const r = analyzeExpression(text, s, opts);
  expect(r.issues.length, `expected issues for ${text}`).toBeGreaterThan(0);
  expect(r.expr).toBeUndefined();
  return r.issues;
}

/** The one issue of `text`, with the source text it points at. */
export function oneIssue(text: string, opts?: AnalyzeOptions, s: ExprScope = scope): ExprIssue & { at: string } {
  const issues = fails(text, opts, s);
  expect(issues, JSON.stringify(issues)).toHaveLength(1);
  const i = issues[0]!;
  return { ...i, at: text.slice(i.offset, i.offset + i.length) };
}
