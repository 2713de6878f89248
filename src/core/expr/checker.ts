/**
 * The checker: resolves names against an ExprScope, types every node, normalises sugar into the typed `Expr`
 * of ast.ts, and collects issues. It keeps going after an error (the failed node becomes an `any`-typed
 * placeholder) so one run reports every unknown column and function of an expression.
 *
 * Normalisations: `date - date` -> date_diff('day', right, left); `date ± n` -> date_add(date, ±n, 'day');
 * EXTRACT(p FROM d) -> date_part('p', d); DATE '...' -> CAST('...' AS date); `-<number literal>` -> literal;
 * an ISO string literal meeting a date/datetime -> CAST; non-string concat() arguments -> CAST(.. AS varchar).
 */
import { closest } from "../diagnostics/did-you-mean.js";
import type { BinaryOp, CastType, Expr, FrameBound, OrderItem, ValueType, WindowFrame } from "./ast.js";
import { DatePartSchema } from "./ast.js";
import * as err from "./expr-errors.js";
import type { ExprIssue } from "./expr-errors.js";
import { type CallContext, type FunctionDef, describeArity, functionNames, isAggregateName, lookupFunction } from "./functions.js";
import type { RawFrame, RawFrameBound, RawIdent, RawNode, RawOrderItem, Span } from "./raw-ast.js";
import { type ExprScope, type ScopeTable, findAlias, lowerColumns } from "./scope.js";
import { walkExpr } from "./walk.js";
import {
  castAllowed,
  castTypeToValueType,
  coerceLiteral,
  formatCastType,
  isIntegral,
  isIsoDate,
  isIsoDateTime,
  isNumeric,
  isTemporal,
  isWildcard,
  promote,
  unify,
} from "./types.js";

/** What the caller permits; see AnalyzeOptions in index.ts. */
export interface CheckOptions {
  allowAggregates: boolean;
  allowWindows: boolean;
}

const INT32_MAX = 2147483647;

/** Placeholder for a node that failed: typed `any` so it causes no follow-on errors. */
const FAILED: Expr = { k: "lit", value: null, type: "any" };

const lit = (value: string | number | boolean | null, type: ValueType): Expr => ({ k: "lit", value, type });

export class Checker {
  readonly issues: ExprIssue[] = [];
  errors = 0;
  private inAggregate = false;
  private inWindow = false;

  constructor(
    private readonly src: string,
    private readonly scope: ExprScope,
    private readonly opts: CheckOptions,
  ) {}

  report(issue: ExprIssue): void {
    this.issues.push(issue);
    if (issue.severity === "error") this.errors++;
  }

  private mismatch(span: Span, message: string, hint?: string): Expr {
    this.report(err.typeMismatch(message, span.start, span.end - span.start, hint));
    return FAILED;
  }

  /** The source text of a span, when short enough to quote in a hint. */
  private text(span: Span): string {
    return span.end - span.start <= 40 ? this.src.slice(span.start, span.end) : "x";
  }

  check(n: RawNode): Expr {
    switch (n.t) {
      case "num":
        return this.number(n);
      case "str":
        return lit(n.value, "string");
      case "bool":
        return lit(n.value, "boolean");
      case "null":
        return lit(null, "null");
      case "typed":
        return { k: "cast", arg: lit(n.value, "string"), to: { kind: n.to }, type: n.to };
      case "ref":
        return this.reference(n.table, n.column);
      case "unary":
        return this.unary(n.op, n.arg, n);
      case "binary":
        return this.binary(n.op, n.left, n.right, n);
      case "case":
        return this.caseExpr(n);
      case "cast":
        return n.try ? this.tryCast(n.arg, n.to, n) : this.cast(n.arg, n.to, n);
      case "in": {
        const [arg, ...list] = this.unifyAll([n.arg, ...n.list], "IN");
        return { k: "in", arg: arg!, list, negated: n.negated, type: "boolean" };
      }
      case "between": {
        const [arg, low, high] = this.unifyAll([n.arg, n.low, n.high], "BETWEEN");
        return { k: "between", arg: arg!, low: low!, high: high!, negated: n.negated, type: "boolean" };
      }
      case "isnull":
        return { k: "isnull", arg: this.check(n.arg), negated: n.negated, type: "boolean" };
      case "like": {
        const arg = this.stringOperand(n.arg, "LIKE");
        const pattern = this.stringOperand(n.pattern, "LIKE");
        return { k: "like", arg, pattern, negated: n.negated, type: "boolean" };
      }
      case "extract":
        return this.extract(n.part, n.arg, n);
      case "call":
        return this.call(n);
    }
  }

  private number(n: Span & { text: string }): Expr {
    const value = Number(n.text);
    if (/^\d+$/.test(n.text)) {
      if (!Number.isSafeInteger(value)) {
        this.report(err.exprSyntax(`integer literal ${n.text} is too large`, n.start, n.end - n.start, "Integers must be below 2^53."));
        return FAILED;
      }
      return lit(value, value > INT32_MAX ? "bigint" : "integer");
    }
    // 1e999 is Infinity and 1e-999 is 0 in a double: either would write a different number than the one written.
    const mantissa = n.text.split(/e/i)[0]!;
    if (!Number.isFinite(value) || (value === 0 && /[1-9]/.test(mantissa))) {
      const shown = n.text.length > 40 ? `${n.text.slice(0, 40)}…` : n.text;
      this.report(err.exprSyntax(`number literal ${shown} is out of range`, n.start, n.end - n.start, "Numbers must fit a double (about 1e-308 to 1e308); write a string and CAST it if you need an exact decimal."));
      return FAILED;
    }
    return lit(value, "float");
  }

  // ---- names ----------------------------------------------------------------------------------------------------

  private reference(table: RawIdent | undefined, column: RawIdent): Expr {
    const name = column.name;
    const tables = this.scope.tables;
    if (table !== undefined) {
      const t = findAlias(this.scope, table.name);
      if (t === undefined) {
        this.report(err.unknownAlias(table.name, tables.map((x) => x.alias), table.start, table.end - table.start));
        return FAILED;
      }
      if (t.columns === "any") return { k: "col", table: t.alias, column: name, type: "any" };
      const cols = lowerColumns(t.columns);
      const type = cols.get(name);
      if (type === undefined) {
        this.report(err.unknownColumn(name, t.alias, t.description, tables.map((x) => x.alias), cols.keys(), column.start, column.end - column.start));
        return FAILED;
      }
      return { k: "col", table: t.alias, column: name, type };
    }
    const names = this.scope.names;
    const kind = names?.kind(name);
    let found: ScopeTable | undefined;
    let foundType: ValueType = "any";
    let ambiguous: string[] | undefined;
    let untyped: ScopeTable[] | undefined;
    if (kind === "let") {
      // A let is never a column's second name: reading it must not depend on which tables are in scope.
      const shadowed = tables.filter((t) => t.columns !== "any" && lowerColumns(t.columns).has(name)).map((t) => t.alias);
      if (shadowed.length > 0) {
        this.report(err.letShadowsColumn(name, shadowed, column.start, column.end - column.start));
        return FAILED;
      }
      return this.named(name, column);
    }
    for (const t of tables) {
      if (t.columns === "any") {
        (untyped ??= []).push(t);
        continue;
      }
      const type = lowerColumns(t.columns).get(name);
      if (type === undefined) continue;
      if (found !== undefined) (ambiguous ??= [found.alias]).push(t.alias);
      found = t;
      foundType = type;
    }
    const span = { start: column.start, length: column.end - column.start };
    if (ambiguous !== undefined) {
      this.report(err.ambiguousColumn(name, ambiguous, span.start, span.length));
      return FAILED;
    }
    if (found !== undefined) return { k: "col", table: found.alias, column: name, type: foundType };
    if (untyped?.length === 1) return { k: "col", table: untyped[0]!.alias, column: name, type: "any" };
    if (kind === "output" && untyped === undefined) return this.named(name, column);
    if (untyped !== undefined) {
      this.report(err.ambiguousColumn(name, untyped.map((t) => t.alias), span.start, span.length));
      return FAILED;
    }
    const candidates: string[] = [];
    for (const t of tables) if (t.columns !== "any") for (const c of lowerColumns(t.columns).keys()) candidates.push(c);
    if (names) candidates.push(...names.all());
    this.report(err.unknownColumn(name, undefined, undefined, tables.map((t) => t.alias), candidates, span.start, span.length));
    return FAILED;
  }

  /**
   * A let or output column, expanded: its checked expression, provided that what it contains (an aggregate, a
   * window) is allowed where it is used, as if written there.
   */
  private named(name: string, at: RawIdent): Expr {
    const r = this.scope.names!.resolve(name);
    const span = { start: at.start, length: at.end - at.start };
    if (r === null) return FAILED;
    if ("cycle" in r) {
      this.report(err.nameCycle(r.cycle, span.start, span.length));
      return FAILED;
    }
    const window = firstCall(r, (n) => n.k === "window");
    if (window !== undefined) {
      if (this.inAggregate || this.inWindow) this.report(err.windowNotAllowed(window, true, span.start, span.length));
      else if (!this.opts.allowWindows) this.report(err.windowNotAllowed(window, false, span.start, span.length));
    }
    const aggregate = firstCall(r, (n) => n.k === "fn" && isAggregateName(n.name));
    if (aggregate !== undefined) {
      if (this.inAggregate) this.report(err.aggregateNotAllowed(aggregate, true, span.start, span.length));
      else if (!this.opts.allowAggregates) this.report(err.aggregateNotAllowed(aggregate, false, span.start, span.length));
    }
    return r;
  }

  // ---- operators ------------------------------------------------------------------------------------------------

  private unary(op: "-" | "+" | "not", rawArg: RawNode, span: Span): Expr {
    const arg = this.check(rawArg);
    if (op === "not") return { k: "not", arg: this.boolean(arg, rawArg, "NOT"), type: "boolean" };
    if (!isNumeric(arg.type) && !isWildcard(arg.type)) {
      return this.mismatch(span, `unary ${op} needs a number, got ${arg.type}.`);
    }
    if (op === "+") return arg;
    return negate(arg);
  }

  /** `e` when it is boolean (or untyped); otherwise reports and returns the placeholder. */
  private boolean(e: Expr, span: Span, where: string): Expr {
    if (e.type === "boolean" || isWildcard(e.type)) return e;
    return this.mismatch(span, `${where} needs a boolean operand, got ${e.type}.`, e.type === "integer" ? `Compare it, e.g. ${this.text(span)} = 1.` : undefined);
  }

  private stringOperand(raw: RawNode, where: string): Expr {
    const e = this.check(raw);
    if (e.type === "string" || isWildcard(e.type)) return e;
    return this.mismatch(raw, `${where} needs string operands, got ${e.type}.`, `Convert it with CAST(${this.text(raw)} AS varchar).`);
  }

  private binary(op: BinaryOp, rawLeft: RawNode, rawRight: RawNode, span: Span): Expr {
    let left = this.check(rawLeft);
    let right = this.check(rawRight);
    switch (op) {
      case "and":
      case "or":
        left = this.boolean(left, rawLeft, op.toUpperCase());
        right = this.boolean(right, rawRight, op.toUpperCase());
        return { k: "bin", op, left, right, type: "boolean" };
      case "||":
        for (const [e, raw] of [[left, rawLeft], [right, rawRight]] as const) {
          if (e.type !== "string" && !isWildcard(e.type)) {
            return this.mismatch(raw, `|| concatenates strings, got ${e.type}.`, `Convert it with CAST(${this.text(raw)} AS varchar).`);
          }
        }
        return { k: "bin", op, left, right, type: "string" };
      case "=":
      case "<>":
      case "<":
      case "<=":
      case ">":
      case ">=": {
        left = coerceLiteral(left, right.type);
        right = coerceLiteral(right, left.type);
        if (unify(left.type, right.type) === undefined) {
          return this.incomparable(left, right, span, `cannot compare ${left.type} with ${right.type}.`);
        }
        return { k: "bin", op, left, right, type: "boolean" };
      }
      default:
        return this.arithmetic(op, left, right, rawLeft, rawRight, span);
    }
  }

  /** Reports why two values cannot meet (comparison, IN, BETWEEN, CASE). */
  private incomparable(a: Expr, b: Expr, span: Span, message: string): Expr {
    const strLit = [a, b].find((e) => e.k === "lit" && e.type === "string");
    const other = strLit === a ? b : a;
    let hint: string | undefined;
    if (strLit?.k === "lit" && isTemporal(other.type)) {
      hint = `'${strLit.value}' is not an ISO date: write date literals as 'YYYY-MM-DD' (columns in other formats: to_date(x, '%d/%m/%Y')).`;
    } else if ((a.type === "string" && isNumeric(b.type)) || (b.type === "string" && isNumeric(a.type))) {
      hint = "CAST one side, e.g. CAST(x AS integer) or CAST(x AS varchar).";
    } else if (isTemporal(a.type) || isTemporal(b.type)) {
      hint = "Dates compare only with dates; use date_part() to compare a field with a number.";
    }
    return this.mismatch(span, message, hint);
  }

  private arithmetic(op: BinaryOp, left: Expr, right: Expr, rawLeft: RawNode, rawRight: RawNode, span: Span): Expr {
    const lt = left.type;
    const rt = right.type;
    // date arithmetic is normalised to the date functions, which every provider renders the same way
    if ((op === "+" || op === "-") && (isTemporal(lt) || isTemporal(rt))) {
      if (op === "-") {
        left = coerceLiteral(left, rt);
        right = coerceLiteral(right, lt);
      }
      if (isTemporal(left.type) && isTemporal(right.type) && op === "-") {
        return { k: "fn", name: "date_diff", args: [lit("day", "string"), right, left], type: "integer" };
      }
      if (isTemporal(lt) && (isIntegral(rt) || isWildcard(rt))) {
        return { k: "fn", name: "date_add", args: [left, op === "-" ? negate(right) : right, lit("day", "string")], type: lt };
      }
      if (op === "+" && isTemporal(rt) && (isIntegral(lt) || isWildcard(lt))) {
        return { k: "fn", name: "date_add", args: [right, left, lit("day", "string")], type: rt };
      }
      return this.mismatch(
        span,
        `cannot ${op === "+" ? "add" : "subtract"} ${rt} ${op === "+" ? "to" : "from"} ${lt}.`,
        "Date arithmetic: date ± integer days, date - date (days), or date_add(d, n, 'month'|'year').",
      );
    }
    for (const [e, raw] of [[left, rawLeft], [right, rawRight]] as const) {
      if (isNumeric(e.type) || isWildcard(e.type)) continue;
      const hint =
        e.type === "string"
          ? `Use || to concatenate strings, or CAST(${this.text(raw)} AS integer) to compute with numbers.`
          : undefined;
      return this.mismatch(raw, `operator ${op} needs numbers, got ${e.type}.`, hint);
    }
    if (op === "%") {
      for (const [e, raw] of [[left, rawLeft], [right, rawRight]] as const) {
        if (isNumeric(e.type) && !isIntegral(e.type)) return this.mismatch(raw, `operator % needs integers, got ${e.type}.`);
      }
    }
    // an untyped operand makes the result untyped (it may be a float); NULL yields to the other side
    const type: ValueType = lt === "any" || rt === "any" ? "any" : lt === "null" ? rt : rt === "null" ? lt : promote(lt, rt);
    return { k: "bin", op, left, right, type };
  }

  /**
   * Checks nodes that must share a type (IN, BETWEEN, CASE operand/WHENs): ISO string literals become casts
   * when the common type is a date, and the first incompatible node is reported.
   */
  private unifyAll(raws: RawNode[], what: string): Expr[] {
    const exprs = raws.map((r) => this.check(r));
    this.unifyChecked(exprs, raws, what);
    return exprs;
  }

  /** Unifies already-checked expressions in place; returns the common type (any after an error). */
  private unifyChecked(exprs: Expr[], spans: Span[], what: string): ValueType {
    let t: ValueType = "null";
    for (const e of exprs) if (!(e.k === "lit" && e.type === "string")) t = unify(t, e.type) ?? t;
    for (let i = 0; i < exprs.length; i++) {
      const e = (exprs[i] = coerceLiteral(exprs[i]!, t));
      const u = unify(t, e.type);
      if (u === undefined) {
        const base = exprs.find((x, j) => j !== i && unify(x.type, e.type) === undefined) ?? exprs[0]!;
        this.incomparable(base, e, spans[i]!, `${what}: cannot combine ${base.type} with ${e.type}.`);
        return "any";
      }
      t = u;
    }
    return t;
  }

  private caseExpr(n: Extract<RawNode, { t: "case" }>): Expr {
    let operand: Expr | undefined;
    const whens: Expr[] = [];
    if (n.operand !== undefined) {
      const raws = [n.operand, ...n.whens.map((w) => w.when)];
      const all = this.unifyAll(raws, "CASE operand and WHEN values");
      operand = all[0];
      whens.push(...all.slice(1));
    } else {
      for (const w of n.whens) whens.push(this.boolean(this.check(w.when), w.when, "CASE WHEN"));
    }
    const results: Expr[] = n.whens.map((w) => this.check(w.then));
    const spans: Span[] = n.whens.map((w) => w.then);
    if (n.else !== undefined) {
      results.push(this.check(n.else));
      spans.push(n.else);
    }
    const type = this.unifyChecked(results, spans, "CASE results");
    const out: Expr = { k: "case", whens: whens.map((when, i) => ({ when, then: results[i]! })), type };
    if (operand !== undefined) out.operand = operand;
    if (n.else !== undefined) out.else = results[results.length - 1]!;
    return out;
  }

  private cast(rawArg: RawNode, to: CastType, span: Span): Expr {
    const arg = this.check(rawArg);
    const type = castTypeToValueType(to);
    if (!castAllowed(arg.type, to)) {
      return this.mismatch(span, `cannot CAST ${arg.type} to ${formatCastType(to)}.`, isTemporal(arg.type) ? "Use date_part() to get a field of a date as a number." : undefined);
    }
    if (arg.k === "lit" && typeof arg.value === "string" && !validLiteral(arg.value, type)) {
      return this.mismatch(rawArg, `'${arg.value}' is not a valid ${formatCastType(to)}.`, isTemporal(type) ? "CAST accepts ISO dates (YYYY-MM-DD); use to_date() for other formats." : undefined);
    }
    return { k: "cast", arg, to, type };
  }

  /** TRY_CAST(x AS t): the catalogue's try_cast(x, 't'), the type carried as a string literal (functions.ts). */
  private tryCast(rawArg: RawNode, to: CastType, span: Span): Expr {
    const arg = this.check(rawArg);
    return this.typeCall(lookupFunction("try_cast")!, [arg, lit(formatCastType(to), "string")], [rawArg, span], span, false);
  }

  // ---- calls ----------------------------------------------------------------------------------------------------

  private extract(part: RawIdent, rawArg: RawNode, span: Span): Expr {
    const arg = this.check(rawArg);
    const parts: readonly string[] = DatePartSchema.options;
    if (!parts.includes(part.name)) {
      const suggestion = closest(part.name, parts);
      this.report(
        err.typeMismatch(`"${part.name}" is not a date part; EXTRACT takes ${parts.join(", ")}.`, part.start, part.end - part.start, suggestion ? `Did you mean "${suggestion}"?` : undefined),
      );
      return FAILED;
    }
    return this.typeCall(lookupFunction("date_part")!, [lit(part.name, "string"), arg], [part, rawArg], span, false);
  }

  private call(n: Extract<RawNode, { t: "call" }>): Expr {
    const name = n.name.name;
    const def = lookupFunction(name);
    const nameLen = n.name.end - n.name.start;
    const callSpan = { start: n.start, end: n.callEnd };
    if (def === undefined) {
      this.report(err.unknownFunction(name, functionNames(), n.name.start, nameLen));
      for (const a of n.args) this.check(a);
      return FAILED;
    }
    const before = this.errors;
    const windowed = n.over !== undefined;
    const aggregate = def.kind === "aggregate" && !windowed;
    if (windowed) {
      if (def.kind === "scalar") {
        this.report(err.exprSyntax(`${name}() is not a window or aggregate function, so it cannot have OVER.`, n.over!.start, n.over!.end - n.over!.start));
      } else if (this.inAggregate || this.inWindow) {
        this.report(err.windowNotAllowed(def.name, true, n.start, n.end - n.start));
      } else if (!this.opts.allowWindows) {
        this.report(err.windowNotAllowed(def.name, false, n.start, n.end - n.start));
      }
      if (n.distinct) this.report(err.exprSyntax("DISTINCT is not supported in window calls.", n.start, n.end - n.start));
    } else if (def.kind === "window") {
      this.report(err.exprSyntax(`${def.name}() is a window function and needs OVER (...).`, n.start, n.end - n.start, `Write e.g. ${def.name}() OVER (PARTITION BY ... ORDER BY ...).`));
    } else if (aggregate) {
      if (this.inAggregate) this.report(err.aggregateNotAllowed(def.name, true, n.start, n.end - n.start));
      else if (!this.opts.allowAggregates) this.report(err.aggregateNotAllowed(def.name, false, n.start, n.end - n.start));
    } else if (n.distinct) {
      this.report(err.exprSyntax(`DISTINCT is only allowed in aggregate calls, not in ${def.name}().`, n.start, n.end - n.start));
    }
    if (n.star && def.name !== "count") {
      this.report(err.wrongArity(def.name, describeArity(def), 0, callSpan.start, callSpan.end - callSpan.start, "Only count(*) takes *."));
    } else if (!n.star && (n.args.length < def.minArgs || n.args.length > def.maxArgs)) {
      const expected = def.name === "count" ? "1 argument (or *)" : describeArity(def);
      this.report(err.wrongArity(name, expected, n.args.length, callSpan.start, callSpan.end - callSpan.start));
    }
    // arguments: no aggregate inside an aggregate, no window inside either
    const saved = [this.inAggregate, this.inWindow] as const;
    if (aggregate) this.inAggregate = true;
    if (windowed) this.inWindow = true;
    const args = n.args.map((a) => this.check(a));
    let partitionBy: Expr[] = [];
    let orderBy: OrderItem[] = [];
    if (n.over) {
      partitionBy = n.over.partitionBy.map((p) => this.check(p));
      orderBy = n.over.orderBy.map((o) => {
        const item: OrderItem = { expr: this.check(o.expr), desc: o.desc };
        if (o.nulls) item.nulls = o.nulls;
        return item;
      });
    }
    [this.inAggregate, this.inWindow] = saved;
    let frame: WindowFrame | undefined;
    if (n.over?.frame !== undefined && def.kind !== "scalar") {
      frame = this.frame(def, n.over.frame, orderBy, n.over.orderBy, this.errors === before);
    }
    if (this.errors !== before) return FAILED;
    const typed = this.typeCall(def, args, n.args, n, n.distinct);
    if (!windowed || typed.k !== "fn") return typed;
    const out: Expr = { k: "window", name: typed.name, args: typed.args, partitionBy, orderBy, type: typed.type };
    if (frame) out.frame = frame;
    return out;
  }

  /**
   * Validates a ROWS/RANGE frame against its function and ORDER BY (the parser checked its shape). Rules, all so
   * that every engine computes the same rows: the start is not after the end; no frame on functions that ignore
   * frames; a frame other than the whole partition needs ORDER BY; RANGE offsets need exactly one ORDER BY of a
   * number (the offset in its unit) or a date/datetime (the offset in days). `orderTyped`: the ORDER BY checked
   * without errors (otherwise its types are placeholders and are not judged).
   */
  private frame(def: FunctionDef, f: RawFrame, orderBy: OrderItem[], rawOrder: RawOrderItem[], orderTyped: boolean): WindowFrame | undefined {
    const unit = f.unit.toUpperCase();
    const fail = (message: string, at: Span, hint?: string): undefined => {
      this.report(err.invalidWindowFrame(message, at.start, at.end - at.start, hint));
      return undefined;
    };
    if (def.ignoresFrame) {
      return fail(`${def.name}() ignores window frames, so it cannot have a ${unit} clause.`, f, "Remove the frame: ranking functions, lag and lead do not use one.");
    }
    const s = f.startBound;
    const e = f.endBound;
    if (s.kind === "unbounded_following") return fail("a frame cannot start at UNBOUNDED FOLLOWING.", s, "Did you mean UNBOUNDED PRECEDING?");
    if (e.kind === "unbounded_preceding") return fail("a frame cannot end at UNBOUNDED PRECEDING.", e, "Did you mean UNBOUNDED FOLLOWING?");
    if (boundAfter(s, e)) {
      if (e.implicit) {
        return fail(
          `${unit} ${describeBound(s)} means ${unit} BETWEEN ${describeBound(s)} AND CURRENT ROW, which starts after it ends.`,
          f,
          `Write ${unit} BETWEEN CURRENT ROW AND ${describeBound(s)}.`,
        );
      }
      return fail(`the frame starts after it ends: ${describeBound(s)} comes after ${describeBound(e)}.`, f, "Write the earlier bound first.");
    }
    const wholePartition = s.kind === "unbounded_preceding" && e.kind === "unbounded_following";
    if (!wholePartition && orderBy.length === 0) {
      return fail(
        `a ${unit} frame other than the whole partition needs ORDER BY: without it the rows have no order.`,
        f,
        "Add ORDER BY to OVER (...), or use BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING.",
      );
    }
    const withOffset = s.offset !== undefined ? s : e.offset !== undefined ? e : undefined;
    if (f.unit === "range" && withOffset !== undefined) {
      if (orderBy.length !== 1) {
        return fail(
          `RANGE with an offset (${describeBound(withOffset)}) needs exactly one ORDER BY expression, got ${orderBy.length}.`,
          withOffset,
          "Use ROWS to count rows, or order by one number or date.",
        );
      }
      const t = orderBy[0]!.expr.type;
      if (orderTyped && !isNumeric(t) && !isTemporal(t)) {
        const at = rawOrder[0]!.expr;
        return fail(
          `RANGE with an offset needs an ORDER BY of a number, date or datetime, got ${t}.`,
          at,
          t === "any" ? `State its type, e.g. CAST(${this.text(at)} AS date).` : "Use ROWS to count rows instead.",
        );
      }
    }
    return { unit: f.unit, start: toBound(s), end: toBound(e) };
  }

  /** Runs the catalogue's typing rule of `def` over checked args. */
  private typeCall(def: FunctionDef, args: Expr[], spans: Span[], span: Span, distinct: boolean): Expr {
    if (args.some((a) => a === FAILED)) return FAILED;
    let failed = false;
    const ctx: CallContext = {
      name: def.name,
      args,
      mismatch: (i, message, hint) => {
        failed = true;
        const s = spans[i] ?? span;
        this.report(err.typeMismatch(message, s.start, s.end - s.start, hint));
      },
      report: (i, d) => {
        failed = true;
        const s = spans[i] ?? span;
        this.report({ code: d.code, severity: d.severity, message: d.message, offset: s.start, length: s.end - s.start, ...(d.hint !== undefined ? { hint: d.hint } : {}) });
      },
    };
    const type = def.check(ctx);
    if (failed) return FAILED;
    const out: Expr = { k: "fn", name: def.name, args, type };
    if (distinct) out.distinct = true;
    return out;
  }
}

/** Position of a bound kind along the partition, first to last. */
const BOUND_RANK: Record<FrameBound["kind"], number> = {
  unbounded_preceding: 0,
  preceding: 1,
  current_row: 2,
  following: 3,
  unbounded_following: 4,
};

/** Whether frame bound `a` lies after `b` (so a frame from a to b would be empty for every row). */
function boundAfter(a: RawFrameBound, b: RawFrameBound): boolean {
  if (a.kind !== b.kind) return BOUND_RANK[a.kind] > BOUND_RANK[b.kind];
  if (a.kind === "preceding") return a.offset! < b.offset!;
  if (a.kind === "following") return a.offset! > b.offset!;
  return false;
}

/** A bound as SQL text, for messages: `3 PRECEDING`, `CURRENT ROW`. */
function describeBound(b: RawFrameBound): string {
  switch (b.kind) {
    case "unbounded_preceding":
      return "UNBOUNDED PRECEDING";
    case "preceding":
      return `${b.offset} PRECEDING`;
    case "current_row":
      return "CURRENT ROW";
    case "following":
      return `${b.offset} FOLLOWING`;
    case "unbounded_following":
      return "UNBOUNDED FOLLOWING";
  }
}

function toBound(b: RawFrameBound): FrameBound {
  return b.kind === "preceding" || b.kind === "following" ? { kind: b.kind, offset: b.offset! } : { kind: b.kind };
}

/** -e, folding number literals so `-1` stays a literal. */
function negate(e: Expr): Expr {
  if (e.k === "lit" && typeof e.value === "number") return { k: "lit", value: -e.value, type: e.type };
  if (e.k === "neg") return e.arg;
  return { k: "neg", arg: e, type: e.type };
}

/** Whether a string literal CAST to `type` would succeed (checked at compile time so typos fail early). */
function validLiteral(s: string, type: ValueType): boolean {
  switch (type) {
    case "integer":
    case "bigint":
      return /^\s*[+-]?\d+\s*$/.test(s);
    case "float":
      return /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(s);
    case "date":
      return isIsoDate(s.trim());
    case "datetime":
      return isIsoDateTime(s.trim());
    case "boolean":
      return /^\s*(true|false)\s*$/i.test(s);
    default:
      return true;
  }
}

/** The name of the first call (outside windows' own arguments too) that `is` matches, for a message. */
function firstCall(e: Expr, is: (n: Expr) => boolean): string | undefined {
  let name: string | undefined;
  walkExpr(e, (n) => {
    if (name !== undefined) return false;
    if (is(n) && (n.k === "fn" || n.k === "window")) name = n.name;
    return undefined;
  });
  return name;
}
