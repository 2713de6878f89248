/**
 * The untyped syntax tree produced by the parser (parser.ts) and consumed by the checker (checker.ts).
 * Unlike the typed `Expr` of ast.ts it keeps source offsets on every node, so issues point at the exact text,
 * and it keeps sugar (EXTRACT, DATE '...', count(*)) that the checker normalises away.
 * Nodes are never mutated after parsing, so a parsed tree may be shared between analyses.
 */
import type { CastType, FrameBound } from "./ast.js";

/** Half-open span [start, end) of source offsets. */
export interface Span {
  start: number;
  end: number;
}

/** An identifier with its span; `name` is lower-cased (quoted identifiers too: they only allow odd spellings). */
export interface RawIdent extends Span {
  name: string;
  quoted: boolean;
}

export type RawBinaryOp = "+" | "-" | "*" | "/" | "%" | "||" | "=" | "<>" | "<" | "<=" | ">" | ">=" | "and" | "or";

export interface RawOrderItem extends Span {
  expr: RawNode;
  desc: boolean;
  nulls?: "first" | "last";
}

/** One end of a frame as written; `offset` is the already validated non-negative integer of `n PRECEDING/FOLLOWING`. */
export interface RawFrameBound extends Span {
  kind: FrameBound["kind"];
  offset?: number;
}

/**
 * `ROWS|RANGE BETWEEN a AND b`, or the short form `ROWS a` (= BETWEEN a AND CURRENT ROW), where `endBound` is
 * `implicit` and spans the start bound. (start/end of the node itself are its span, as everywhere.)
 */
export interface RawFrame extends Span {
  unit: "rows" | "range";
  startBound: RawFrameBound;
  endBound: RawFrameBound & { implicit?: boolean };
}

export interface RawOver extends Span {
  partitionBy: RawNode[];
  orderBy: RawOrderItem[];
  frame?: RawFrame;
}

export type RawNode =
  /** Number literal as written (`12`, `1.5`, `2e3`). */
  | (Span & { t: "num"; text: string })
  | (Span & { t: "str"; value: string })
  | (Span & { t: "bool"; value: boolean })
  | (Span & { t: "null" })
  /** `DATE '2020-01-01'` / `TIMESTAMP '2020-01-01 10:00'`: a cast of a string literal. */
  | (Span & { t: "typed"; to: "date" | "datetime"; value: string })
  /** `column` or `alias.column`. */
  | (Span & { t: "ref"; table?: RawIdent; column: RawIdent })
  | (Span & { t: "unary"; op: "-" | "+" | "not"; arg: RawNode })
  | (Span & { t: "binary"; op: RawBinaryOp; left: RawNode; right: RawNode; opStart: number; opEnd: number })
  | (Span & { t: "case"; operand?: RawNode; whens: { when: RawNode; then: RawNode }[]; else?: RawNode })
  /** `CAST(x AS type)` (`try`: `TRY_CAST(x AS type)`); the parser already resolved the type name. */
  | (Span & { t: "cast"; arg: RawNode; to: CastType; try?: true })
  | (Span & { t: "in"; arg: RawNode; list: RawNode[]; negated: boolean })
  | (Span & { t: "between"; arg: RawNode; low: RawNode; high: RawNode; negated: boolean })
  | (Span & { t: "isnull"; arg: RawNode; negated: boolean })
  | (Span & { t: "like"; arg: RawNode; pattern: RawNode; negated: boolean })
  /** `EXTRACT(part FROM x)`; the part is checked by the checker. */
  | (Span & { t: "extract"; part: RawIdent; arg: RawNode })
  /**
   * `name(args)`; `star` for `count(*)`, `distinct` for `count(DISTINCT x)`, `over` for window calls.
   * A bare `current_date` is a call without parentheses. `callEnd` is the end of the call before any OVER.
   */
  | (Span & { t: "call"; name: RawIdent; args: RawNode[]; star: boolean; distinct: boolean; callEnd: number; over?: RawOver });
