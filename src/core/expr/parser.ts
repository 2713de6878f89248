/**
 * Pratt parser of the expression language: a closed, SQL-like grammar (see README of the folder / index.ts).
 * Produces the untyped RawNode tree with source offsets; typing and name resolution happen in checker.ts.
 *
 * Binding powers, loosest first (as in PostgreSQL):
 *   OR < AND < NOT < comparisons, IS, [NOT] IN/BETWEEN/LIKE < || < + - < * / % < unary - +
 */
import { closest } from "../diagnostics/did-you-mean.js";
import type { CastType } from "./ast.js";
import { type Token, SyntaxFailure, tokenize } from "./lexer.js";
import type { RawBinaryOp, RawFrame, RawFrameBound, RawIdent, RawNode, RawOrderItem, RawOver } from "./raw-ast.js";
import { TYPE_NAME_LIST, castTypeOfName, isIsoDate, isIsoDateTime } from "./types.js";

const BP_OR = 1;
const BP_AND = 2;
const BP_NOT = 3;
const BP_CMP = 4;
const BP_CONCAT = 5;
const BP_ADD = 6;
const BP_MUL = 7;
const BP_UNARY = 8;

/** Words that cannot be bare column names (double-quote them to use them as names). */
const RESERVED = new Set(["and", "or", "not", "in", "is", "between", "like", "case", "when", "then", "else", "end", "null", "true", "false"]);

const INFIX_OPS: Record<string, [RawBinaryOp, number]> = {
  "+": ["+", BP_ADD],
  "-": ["-", BP_ADD],
  "*": ["*", BP_MUL],
  "/": ["/", BP_MUL],
  "%": ["%", BP_MUL],
  "||": ["||", BP_CONCAT],
  "=": ["=", BP_CMP],
  "<>": ["<>", BP_CMP],
  "!=": ["<>", BP_CMP],
  "<": ["<", BP_CMP],
  "<=": ["<=", BP_CMP],
  ">": [">", BP_CMP],
  ">=": [">=", BP_CMP],
};

/**
 * Parses `src` into a RawNode. Throws SyntaxFailure (with offsets) on the first syntax error: recovering inside a
 * one-line expression would mostly produce follow-on noise.
 */
export function parseRaw(src: string): RawNode {
  const toks = tokenize(src);
  const p = new Parser(src, toks);
  if (p.peek().kind === "eof") throw new SyntaxFailure("empty expression", 0, src.length);
  const node = p.expr(BP_OR);
  const t = p.peek();
  if (t.kind !== "eof") {
    const hint = t.kind === "ident" && t.text === "as" ? "Output column names come from the YAML key, not from AS." : undefined;
    throw new SyntaxFailure(`unexpected ${describe(t)} after the end of the expression`, t.start, t.end - t.start, hint);
  }
  // A tree deeper than the limit needs more tokens than the limit: only long expressions pay for the walk.
  if (toks.length > MAX_EXPR_DEPTH) checkTreeDepth(node);
  return node;
}

/**
 * How deep an expression may nest (parentheses, function calls, CASE, unary operators) and how deep its tree may
 * be (a chain `a + b + c ...` nests to the left). Every later pass (type checker, SQL generators, canonical JSON)
 * recurses over the tree, so without a limit a generated expression overflows the stack and crashes omopetl.
 */
export const MAX_EXPR_DEPTH = 200;

function tooDeep(start: number, end: number): SyntaxFailure {
  return new SyntaxFailure(
    `the expression nests more than ${MAX_EXPR_DEPTH} levels deep.`,
    start,
    Math.max(0, end - start),
    "Split it into several columns or steps; a long chain of OR/AND/|| can often be written with IN (...) or concat(...).",
    "EXPR_TOO_DEEP",
  );
}

/** Iterative (so it cannot overflow itself) depth check of a parsed tree; throws EXPR_TOO_DEEP at the deepest node. */
function checkTreeDepth(root: RawNode): void {
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (Array.isArray(v)) {
      for (const x of v) if (x !== null && typeof x === "object") stack.push([x, depth]);
      continue;
    }
    const node = v as Record<string, unknown>;
    const isNode = typeof node["t"] === "string";
    const d = isNode ? depth + 1 : depth;
    if (isNode && d > MAX_EXPR_DEPTH) throw tooDeep(node["start"] as number, node["end"] as number);
    for (const x of Object.values(node)) if (x !== null && typeof x === "object") stack.push([x, d]);
  }
}

function describe(t: Token): string {
  switch (t.kind) {
    case "eof":
      return "end of expression";
    case "str":
      return "string literal";
    case "num":
      return `number ${t.text}`;
    case "qident":
      return `identifier "${t.text}"`;
    case "ident":
      return RESERVED.has(t.text) ? `keyword ${t.text.toUpperCase()}` : `"${t.text}"`;
    default:
      return `"${t.text}"`;
  }
}

class Parser {
  private pos = 0;
  /** Current recursion depth of expr(): every nesting construct goes through it. */
  private depth = 0;
  constructor(
    private readonly src: string,
    private readonly toks: Token[],
  ) {}

  peek(ahead = 0): Token {
    const t = this.toks[this.pos + ahead];
    return t ?? this.toks[this.toks.length - 1]!;
  }

  private next(): Token {
    const t = this.toks[this.pos]!;
    if (t.kind !== "eof") this.pos++;
    return t;
  }

  private isOp(text: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return t.kind === "op" && t.text === text;
  }

  private isWord(word: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return t.kind === "ident" && t.text === word;
  }

  private fail(t: Token, expected: string, hint?: string): never {
    throw new SyntaxFailure(`expected ${expected}, found ${describe(t)}`, t.start, Math.max(t.end - t.start, 0), hint);
  }

  private expectOp(text: string): Token {
    if (!this.isOp(text)) this.fail(this.peek(), `"${text}"`);
    return this.next();
  }

  private expectWord(word: string): Token {
    if (!this.isWord(word)) this.fail(this.peek(), word.toUpperCase());
    return this.next();
  }

  /** Parses an expression whose infix operators bind at least as tightly as `minBp`. */
  expr(minBp: number): RawNode {
    if (this.depth >= MAX_EXPR_DEPTH) {
      const t = this.peek();
      throw tooDeep(t.start, t.end);
    }
    this.depth++;
    try {
      return this.exprAt(minBp);
    } finally {
      this.depth--;
    }
  }

  private exprAt(minBp: number): RawNode {
    let left = this.prefix();
    for (;;) {
      const t = this.peek();
      if (t.kind === "op") {
        const info = INFIX_OPS[t.text];
        if (info === undefined || info[1] < minBp) break;
        this.next();
        const right = this.expr(info[1] + 1);
        left = { t: "binary", op: info[0], left, right, opStart: t.start, opEnd: t.end, start: left.start, end: right.end };
        continue;
      }
      if (t.kind !== "ident") break;
      const word = t.text;
      if (word === "or" || word === "and") {
        const bp = word === "or" ? BP_OR : BP_AND;
        if (bp < minBp) break;
        this.next();
        const right = this.expr(bp + 1);
        left = { t: "binary", op: word, left, right, opStart: t.start, opEnd: t.end, start: left.start, end: right.end };
        continue;
      }
      let negated = false;
      if (word === "not") {
        const after = this.peek(1);
        if (after.kind !== "ident" || (after.text !== "in" && after.text !== "between" && after.text !== "like")) break;
        negated = true;
      } else if (word !== "is" && word !== "in" && word !== "between" && word !== "like") {
        break;
      }
      if (BP_CMP < minBp) break;
      if (negated) this.next();
      left = this.predicate(left, negated);
    }
    return left;
  }

  /** The rest of `x IS [NOT] NULL`, `x [NOT] IN (...)`, `x [NOT] BETWEEN a AND b`, `x [NOT] LIKE p`. */
  private predicate(arg: RawNode, negated: boolean): RawNode {
    const kw = this.next();
    switch (kw.text) {
      case "is": {
        const not = this.isWord("not");
        if (not) this.next();
        const t = this.peek();
        if (!this.isWord("null")) {
          const hint = this.isWord("true") || this.isWord("false") ? "Compare with = TRUE / = FALSE instead." : undefined;
          this.fail(t, "NULL after IS", hint);
        }
        this.next();
        return { t: "isnull", arg, negated: not, start: arg.start, end: t.end };
      }
      case "in": {
        if (!this.isOp("(")) this.fail(this.peek(), '"(" after IN');
        this.next();
        if (this.isOp(")")) this.fail(this.peek(), "a value in the IN list");
        if (this.isWord("select")) this.fail(this.peek(), "a value in the IN list", "Subqueries are not supported; use a join.");
        const list = this.list();
        const close = this.expectOp(")");
        return { t: "in", arg, list, negated, start: arg.start, end: close.end };
      }
      case "between": {
        const low = this.expr(BP_CONCAT);
        this.expectWord("and");
        const high = this.expr(BP_CONCAT);
        return { t: "between", arg, low, high, negated, start: arg.start, end: high.end };
      }
      default: {
        const pattern = this.expr(BP_CMP + 1);
        return { t: "like", arg, pattern, negated, start: arg.start, end: pattern.end };
      }
    }
  }

  /** expr {, expr} */
  private list(): RawNode[] {
    const out = [this.expr(BP_OR)];
    while (this.isOp(",")) {
      this.next();
      out.push(this.expr(BP_OR));
    }
    return out;
  }

  private prefix(): RawNode {
    const t = this.next();
    switch (t.kind) {
      case "num":
        return { t: "num", text: t.text, start: t.start, end: t.end };
      case "str":
        return { t: "str", value: t.text, start: t.start, end: t.end };
      case "qident":
        return this.reference(t);
      case "eof":
        return this.fail(t, "an expression");
      case "op":
        if (t.text === "(") {
          if (this.isWord("select")) this.fail(this.peek(), "an expression", "Subqueries are not supported; use a join.");
          const inner = this.expr(BP_OR);
          this.expectOp(")");
          return inner;
        }
        if (t.text === "-" || t.text === "+") {
          const arg = this.expr(BP_UNARY);
          return { t: "unary", op: t.text, arg, start: t.start, end: arg.end };
        }
        return this.fail(t, "an expression");
      default:
        return this.word(t);
    }
  }

  /** A prefix position starting with a bare word: keyword construct, literal, call or column reference. */
  private word(t: Token): RawNode {
    const w = t.text;
    switch (w) {
      case "true":
      case "false":
        return { t: "bool", value: w === "true", start: t.start, end: t.end };
      case "null":
        return { t: "null", start: t.start, end: t.end };
      case "not": {
        const arg = this.expr(BP_NOT);
        return { t: "unary", op: "not", arg, start: t.start, end: arg.end };
      }
      case "case":
        return this.caseExpr(t);
    }
    if (RESERVED.has(w)) {
      this.fail(t, "an expression", `To use "${w}" as a column name, double-quote it: "${w}".`);
    }
    const after = this.peek();
    if ((w === "date" || w === "timestamp") && after.kind === "str") {
      this.next();
      if (!(w === "date" ? isIsoDate(after.text) : isIsoDateTime(after.text))) {
        const example = w === "date" ? "DATE '2020-01-31'" : "TIMESTAMP '2020-01-31 13:45:00'";
        throw new SyntaxFailure(`'${after.text}' is not a valid ${w.toUpperCase()} literal`, after.start, after.end - after.start, `Write ${example}.`);
      }
      return { t: "typed", to: w === "date" ? "date" : "datetime", value: after.text, start: t.start, end: after.end };
    }
    if (after.kind === "op" && after.text === "(") {
      if (w === "cast" || w === "try_cast") return this.cast(t, w === "try_cast");
      if (w === "extract") return this.extract(t);
      return this.call(t);
    }
    if (w === "current_date" && !(after.kind === "op" && after.text === ".")) {
      return { t: "call", name: ident(t), args: [], star: false, distinct: false, callEnd: t.end, start: t.start, end: t.end };
    }
    return this.reference(t);
  }

  /** `col`, `alias.col` (each part bare or double-quoted). */
  private reference(first: Token): RawNode {
    if (!this.isOp(".")) return { t: "ref", column: ident(first), start: first.start, end: first.end };
    this.next();
    const col = this.next();
    if (col.kind !== "ident" && col.kind !== "qident") this.fail(col, "a column name after the dot");
    if (this.isOp(".")) {
      const dot = this.peek();
      throw new SyntaxFailure(
        "a column reference has at most two parts (alias.column)",
        first.start,
        dot.end - first.start,
        "Refer to tables by the alias given in from/joins.",
      );
    }
    if (this.isOp("(")) this.fail(this.peek(), "an operator", "Function names cannot be qualified.");
    return { t: "ref", table: ident(first), column: ident(col), start: first.start, end: col.end };
  }

  private caseExpr(kw: Token): RawNode {
    const operand = this.isWord("when") ? undefined : this.expr(BP_OR);
    const whens: { when: RawNode; then: RawNode }[] = [];
    while (this.isWord("when")) {
      this.next();
      const when = this.expr(BP_OR);
      this.expectWord("then");
      whens.push({ when, then: this.expr(BP_OR) });
    }
    if (whens.length === 0) this.fail(this.peek(), "WHEN");
    let elseNode: RawNode | undefined;
    if (this.isWord("else")) {
      this.next();
      elseNode = this.expr(BP_OR);
    }
    const end = this.expectWord("end");
    const node: RawNode = { t: "case", whens, start: kw.start, end: end.end };
    if (operand) node.operand = operand;
    if (elseNode) node.else = elseNode;
    return node;
  }

  /** CAST(x AS type[(n[, m])]), and TRY_CAST (`isTry`) written the same way. */
  private cast(kw: Token, isTry = false): RawNode {
    this.next(); // (
    const arg = this.expr(BP_OR);
    this.expectWord("as");
    const typeTok = this.next();
    if (typeTok.kind !== "ident") this.fail(typeTok, "a type name");
    let typeEnd = typeTok.end;
    if (typeTok.text === "double" && this.isWord("precision")) typeEnd = this.next().end;
    let length: number | undefined;
    if (this.isOp("(")) {
      this.next();
      const n = this.next();
      if (n.kind !== "num" || !/^\d+$/.test(n.text) || Number(n.text) === 0) this.fail(n, "a positive integer length");
      length = Number(n.text);
      if (this.isOp(",")) {
        this.next();
        const scale = this.next();
        if (scale.kind !== "num") this.fail(scale, "an integer scale");
      }
      typeEnd = this.expectOp(")").end;
    }
    const base = castTypeOfName(typeTok.text);
    if (base === undefined || (length !== undefined && base.kind !== "varchar" && base.kind !== "float")) {
      const suggestion = base === undefined ? closest(typeTok.text, TYPE_NAME_LIST) : undefined;
      throw new SyntaxFailure(
        `"${this.src.slice(typeTok.start, typeEnd)}" is not a supported type`,
        typeTok.start,
        typeEnd - typeTok.start,
        suggestion ? `Did you mean "${suggestion}"?` : "Use integer, bigint, float, varchar[(n)], date, datetime or boolean.",
      );
    }
    const to: CastType = base.kind === "varchar" && length !== undefined ? { kind: "varchar", length } : base;
    const close = this.expectOp(")");
    return isTry ? { t: "cast", arg, to, try: true, start: kw.start, end: close.end } : { t: "cast", arg, to, start: kw.start, end: close.end };
  }

  /** EXTRACT(part FROM x) */
  private extract(kw: Token): RawNode {
    this.next(); // (
    const part = this.next();
    if (part.kind !== "ident" && part.kind !== "str") this.fail(part, "a date part (YEAR, MONTH, DAY, ...)");
    this.expectWord("from");
    const arg = this.expr(BP_OR);
    const close = this.expectOp(")");
    return { t: "extract", part: { name: part.text.toLowerCase(), quoted: false, start: part.start, end: part.end }, arg, start: kw.start, end: close.end };
  }

  /** name([* | [DISTINCT] args]) [OVER (...)] */
  private call(nameTok: Token): RawNode {
    this.next(); // (
    let star = false;
    let distinct = false;
    let args: RawNode[] = [];
    if (this.isOp("*") && this.isOp(")", 1)) {
      this.next();
      star = true;
    } else if (!this.isOp(")")) {
      if (this.isWord("distinct")) {
        this.next();
        distinct = true;
      }
      args = this.list();
    }
    const callEnd = this.expectOp(")").end;
    let over: RawOver | undefined;
    if (this.isWord("over")) over = this.over();
    const node: RawNode = { t: "call", name: ident(nameTok), args, star, distinct, callEnd, start: nameTok.start, end: over ? over.end : callEnd };
    if (over) node.over = over;
    return node;
  }

  /** OVER ([PARTITION BY e, ...] [ORDER BY e [ASC|DESC] [NULLS FIRST|LAST], ...] [frame]) */
  private over(): RawOver {
    const kw = this.next();
    this.expectOp("(");
    let partitionBy: RawNode[] = [];
    const orderBy: RawOrderItem[] = [];
    if (this.isWord("partition")) {
      this.next();
      this.expectWord("by");
      partitionBy = this.list();
    }
    if (this.isWord("order")) {
      this.next();
      this.expectWord("by");
      do {
        if (orderBy.length > 0) this.next(); // ,
        orderBy.push(this.orderItem());
      } while (this.isOp(","));
    }
    let frame: RawFrame | undefined;
    if (this.isWord("rows") || this.isWord("range") || this.isWord("groups")) frame = this.frame();
    if (this.isWord("exclude")) {
      const t = this.peek();
      throw new SyntaxFailure("EXCLUDE is not supported in window frames", t.start, t.end - t.start, "Only ROWS/RANGE frames without EXCLUDE are portable.");
    }
    const close = this.expectOp(")");
    const over: RawOver = { partitionBy, orderBy, start: kw.start, end: close.end };
    if (frame) over.frame = frame;
    return over;
  }

  /**
   * ROWS|RANGE BETWEEN bound AND bound, or the short form ROWS|RANGE bound (ending at CURRENT ROW).
   * Whether the bounds are in order and fit the function is the checker's business (INVALID_WINDOW_FRAME).
   */
  private frame(): RawFrame {
    const kw = this.next();
    if (kw.text === "groups") {
      throw new SyntaxFailure("GROUPS frames are not supported", kw.start, kw.end - kw.start, "Use ROWS or RANGE.");
    }
    const unit = kw.text === "rows" ? "rows" : "range";
    if (this.isWord("between")) {
      this.next();
      const start = this.frameBound();
      this.expectWord("and");
      const end = this.frameBound();
      return { unit, startBound: start, endBound: end, start: kw.start, end: end.end };
    }
    const start = this.frameBound();
    return { unit, startBound: start, endBound: { kind: "current_row", implicit: true, start: start.start, end: start.end }, start: kw.start, end: start.end };
  }

  /** UNBOUNDED PRECEDING | n PRECEDING | CURRENT ROW | n FOLLOWING | UNBOUNDED FOLLOWING, n a non-negative integer literal. */
  private frameBound(): RawFrameBound {
    const t = this.peek();
    const expected = "UNBOUNDED PRECEDING, n PRECEDING, CURRENT ROW, n FOLLOWING or UNBOUNDED FOLLOWING";
    const offsetHint = "A frame offset is a non-negative integer literal, e.g. 3 PRECEDING.";
    if (this.isWord("current")) {
      this.next();
      const row = this.expectWord("row");
      return { kind: "current_row", start: t.start, end: row.end };
    }
    if (this.isWord("unbounded")) {
      this.next();
      const dir = this.next();
      if (dir.kind !== "ident" || (dir.text !== "preceding" && dir.text !== "following")) this.fail(dir, "PRECEDING or FOLLOWING after UNBOUNDED");
      return { kind: dir.text === "preceding" ? "unbounded_preceding" : "unbounded_following", start: t.start, end: dir.end };
    }
    if (t.kind !== "num") this.fail(t, expected, t.kind === "op" && t.text === "-" ? offsetHint : undefined);
    this.next();
    const offset = Number(t.text);
    if (!/^\d+$/.test(t.text) || !Number.isSafeInteger(offset)) {
      throw new SyntaxFailure(`frame offset ${t.text} is not a non-negative integer`, t.start, t.end - t.start, offsetHint);
    }
    const dir = this.next();
    if (dir.kind !== "ident" || (dir.text !== "preceding" && dir.text !== "following")) this.fail(dir, `PRECEDING or FOLLOWING after ${t.text}`);
    return { kind: dir.text === "preceding" ? "preceding" : "following", offset, start: t.start, end: dir.end };
  }

  private orderItem(): RawOrderItem {
    const expr = this.expr(BP_OR);
    let end = expr.end;
    let desc = false;
    if (this.isWord("asc") || this.isWord("desc")) {
      const t = this.next();
      desc = t.text === "desc";
      end = t.end;
    }
    const item: RawOrderItem = { expr, desc, start: expr.start, end };
    if (this.isWord("nulls")) {
      this.next();
      const t = this.next();
      if (t.kind !== "ident" || (t.text !== "first" && t.text !== "last")) this.fail(t, "FIRST or LAST after NULLS");
      item.nulls = t.text === "first" ? "first" : "last";
      item.end = t.end;
    }
    return item;
  }
}

function ident(t: Token): RawIdent {
  return { name: t.text, quoted: t.kind === "qident", start: t.start, end: t.end };
}
