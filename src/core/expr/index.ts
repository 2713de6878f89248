/**
 * The portable, typed expression language of the YAML DML (`columns`, `where`, `on`, `slice`, ...).
 *
 * Users write SQL-like text; it is parsed by our own Pratt parser over a closed grammar (parser.ts), names are
 * resolved against an ExprScope, every node is type-checked (checker.ts) and the result is the typed, dialect-neutral
 * `Expr` of ast.ts that providers render. Nothing the user writes is ever pasted into SQL.
 *
 * Grammar (keywords case-insensitive):
 *   literals   12  1.5  2e3  'it''s'  TRUE  FALSE  NULL  DATE '2020-01-31'  TIMESTAMP '2020-01-31 13:45:00'
 *   names      column | alias.column | "quoted name" (identifiers are lower-cased)
 *   operators  + - * / %  ||  = <> != < <= > >=  AND OR NOT  ( )
 *   predicates x [NOT] IN (a, b)  x [NOT] BETWEEN a AND b  x IS [NOT] NULL  x [NOT] LIKE 'p%'
 *   CASE [operand] WHEN .. THEN .. [ELSE ..] END     CAST(x AS type)     EXTRACT(part FROM x)
 *   calls      name(args)  count(*)  count(DISTINCT x)
 *              name(args) OVER (PARTITION BY .. ORDER BY x [ASC|DESC] [NULLS FIRST|LAST], .. [frame])
 *   frame      ROWS|RANGE BETWEEN bound AND bound  |  ROWS|RANGE bound  (short for BETWEEN bound AND CURRENT ROW)
 *   bound      UNBOUNDED PRECEDING | n PRECEDING | CURRENT ROW | n FOLLOWING | UNBOUNDED FOLLOWING  (n an integer literal)
 *   comments   -- to the end of the line
 * Functions: see functions.ts (FUNCTIONS). Types: see types.ts.
 *
 * Semantics providers must keep: `/` on two integers truncates toward zero (as in PostgreSQL); `%` takes integers.
 */
import type { CastType, Expr, ValueType } from "./ast.js";
import { Checker } from "./checker.js";
import * as err from "./expr-errors.js";
import type { ExprIssue } from "./expr-errors.js";
import { SyntaxFailure } from "./lexer.js";
import { parseRaw } from "./parser.js";
import type { RawNode } from "./raw-ast.js";
import type { ExprScope } from "./scope.js";
import { assignable, castTypeToValueType, coerceLiteral } from "./types.js";

export type { ExprIssue } from "./expr-errors.js";
export { issueToDiagnostic } from "./expr-errors.js";
export type { ExprScope, ScopeTable } from "./scope.js";
export type { RawNode } from "./raw-ast.js";
export { FUNCTIONS, lookupFunction, type FunctionDef, type FunctionKind } from "./functions.js";
export { assignable, castTypeToValueType, formatCastType, parseTypeName, unify, type AssignCheck } from "./types.js";
export { columnsReferenced, containsAggregate, containsWindow, walkExpr } from "./walk.js";

/** What the caller permits and expects of an expression. */
export interface AnalyzeOptions {
  /** Aggregate calls (count, sum, ...) are allowed: columns, having, and the qualify of a grouped select. Default false. */
  allowAggregates?: boolean;
  /** Window calls (... OVER (...)) are allowed: output columns and qualify. Default false. */
  allowWindows?: boolean;
  /** "boolean": a condition (where, on, slice, having, qualify); anything else is a TYPE_MISMATCH. */
  expected?: "boolean";
  /**
   * The type of the column the value is written to: checked with `assignable`, and an ISO string literal
   * written to a date/datetime column becomes a CAST.
   */
  target?: CastType;
}

export interface AnalyzeResult {
  /** The typed expression; present only when there is no error (warnings allowed). */
  expr?: Expr;
  /** The type of `expr`. */
  type?: ValueType;
  /** All issues found, ordered by offset. */
  issues: ExprIssue[];
}

/** Parses, turning a syntax failure into a value (parse errors are user errors, not exceptions). */
function parseOrFailure(text: string): RawNode | SyntaxFailure {
  try {
    return parseRaw(text);
  } catch (e) {
    if (e instanceof SyntaxFailure) return e;
    throw e;
  }
}

function syntaxIssue(f: SyntaxFailure): ExprIssue {
  return (f.code === "EXPR_TOO_DEEP" ? err.exprTooDeep : err.exprSyntax)(f.message, f.offset, f.length, f.hint);
}

/** Parses (syntax only, no names or types). At most one EXPR_SYNTAX issue: parsing stops at the first error. */
export function parseExpression(text: string): { ast?: RawNode; issues: ExprIssue[] } {
  const p = parseOrFailure(text);
  return p instanceof SyntaxFailure ? { issues: [syntaxIssue(p)] } : { ast: p, issues: [] };
}

/**
 * Parses, resolves and type-checks an expression. `text` is the YAML scalar: a string is an expression, a
 * number/boolean/null is a literal. Issue offsets are into `text` (0 for non-string scalars).
 */
export function analyzeExpression(text: string | number | boolean | null, scope: ExprScope, opts: AnalyzeOptions = {}): AnalyzeResult {
  const src = typeof text === "string" ? text : "";
  const checker = new Checker(src, scope, { allowAggregates: opts.allowAggregates === true, allowWindows: opts.allowWindows === true });
  let expr: Expr;
  if (typeof text === "string") {
    const p = parseOrFailure(text);
    if (p instanceof SyntaxFailure) return { issues: [syntaxIssue(p)] };
    expr = checker.check(p);
  } else if (typeof text === "number") {
    if (!Number.isFinite(text)) return { issues: [err.exprSyntax(`${text} is not a number literal`, 0, 0)] };
    expr = { k: "lit", value: text, type: Number.isInteger(text) ? (Math.abs(text) > 2147483647 ? "bigint" : "integer") : "float" };
  } else {
    expr = { k: "lit", value: text, type: text === null ? "null" : "boolean" };
  }
  if (checker.errors === 0) {
    if (opts.expected === "boolean" && expr.type !== "boolean" && expr.type !== "null" && expr.type !== "any") {
      checker.report(
        err.typeMismatch(`expected a boolean condition, got ${expr.type}.`, 0, src.length, expr.type === "integer" || expr.type === "bigint" ? "Compare it, e.g. x = 1." : undefined),
      );
    }
    if (opts.target !== undefined) {
      expr = coerceLiteral(expr, castTypeToValueType(opts.target));
      const a = assignable(expr.type, opts.target);
      if (!a.ok) checker.report(err.typeMismatch(a.message, 0, src.length, a.hint));
    }
  }
  const issues = checker.issues.length > 1 ? checker.issues.slice().sort((a, b) => a.offset - b.offset) : checker.issues;
  return checker.errors === 0 ? { expr, type: expr.type, issues } : { issues };
}
