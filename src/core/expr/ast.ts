import { z } from "zod";

/**
 * Value types of the portable expression language. Column types come from the CDM spec
 * (see spec-model.ts) and from declared source/staging columns.
 * "null" is the type of the NULL literal; "any" is an untyped column (e.g. written by a `sql` step
 * that did not declare its columns) and unifies with everything.
 */
export const ValueTypeSchema = z.enum(["integer", "bigint", "float", "string", "date", "datetime", "boolean", "null", "any"]);
export type ValueType = z.infer<typeof ValueTypeSchema>;

/** Target types of CAST (and of declared load/staging columns). */
export const CastTypeSchema = z.union([
  z.object({ kind: z.enum(["integer", "bigint", "float", "date", "datetime", "boolean"]) }),
  z.object({ kind: z.literal("varchar"), length: z.number().int().positive().optional() }),
]);
export type CastType = z.infer<typeof CastTypeSchema>;

export const BinaryOpSchema = z.enum(["+", "-", "*", "/", "%", "||", "=", "<>", "<", "<=", ">", ">=", "and", "or"]);
export type BinaryOp = z.infer<typeof BinaryOpSchema>;

export const DatePartSchema = z.enum(["year", "month", "day", "hour", "minute", "second"]);
export type DatePart = z.infer<typeof DatePartSchema>;

/**
 * The typed expression AST carried in a CompiledWorkflowPlan. It is dialect-neutral: providers render it.
 * Every node has `type`, the checked result type. Sugar is normalised away by the checker, e.g.
 * `date - date` becomes `{k:"fn", name:"date_diff", ...}` and `EXTRACT(YEAR FROM d)` becomes `date_part`.
 */
export type Expr =
  | { k: "col"; table: string; column: string; type: ValueType }
  | { k: "lit"; value: string | number | boolean | null; type: ValueType }
  | { k: "bin"; op: BinaryOp; left: Expr; right: Expr; type: ValueType }
  | { k: "not"; arg: Expr; type: ValueType }
  | { k: "neg"; arg: Expr; type: ValueType }
  | { k: "case"; operand?: Expr; whens: { when: Expr; then: Expr }[]; else?: Expr; type: ValueType }
  | { k: "cast"; arg: Expr; to: CastType; type: ValueType }
  | { k: "in"; arg: Expr; list: Expr[]; negated: boolean; type: ValueType }
  | { k: "between"; arg: Expr; low: Expr; high: Expr; negated: boolean; type: ValueType }
  | { k: "isnull"; arg: Expr; negated: boolean; type: ValueType }
  | { k: "like"; arg: Expr; pattern: Expr; negated: boolean; type: ValueType }
  /** A scalar or aggregate function from the documented catalogue (functions.ts); `name` is canonical lower-case. */
  | { k: "fn"; name: string; args: Expr[]; distinct?: boolean; type: ValueType }
  /**
   * A window function call: `row_number() OVER (PARTITION BY ... ORDER BY ... [frame])`. Without `frame` the
   * engine default applies (first_value/last_value: the whole partition, see functions.ts).
   */
  | {
      k: "window";
      name: string;
      args: Expr[];
      partitionBy: Expr[];
      orderBy: OrderItem[];
      frame?: WindowFrame;
      type: ValueType;
    };

/**
 * One end of a window frame. `offset` is a non-negative integer: rows for ROWS frames; for RANGE frames a distance
 * in the unit of the single ORDER BY key (a number, or days when the key is a date/datetime).
 */
export type FrameBound =
  | { kind: "unbounded_preceding" }
  | { kind: "preceding"; offset: number }
  | { kind: "current_row" }
  | { kind: "following"; offset: number }
  | { kind: "unbounded_following" };

/** `ROWS|RANGE BETWEEN start AND end`; the checker guarantees start is not after end (see checker.ts). */
export interface WindowFrame {
  unit: "rows" | "range";
  start: FrameBound;
  end: FrameBound;
}

export interface OrderItem {
  expr: Expr;
  desc: boolean;
  /** undefined: the dialect default is NOT relied upon; providers render NULLS LAST for asc, NULLS FIRST for desc. */
  nulls?: "first" | "last";
}

export const FrameBoundSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("unbounded_preceding") }),
  z.object({ kind: z.literal("preceding"), offset: z.number().int().nonnegative() }),
  z.object({ kind: z.literal("current_row") }),
  z.object({ kind: z.literal("following"), offset: z.number().int().nonnegative() }),
  z.object({ kind: z.literal("unbounded_following") }),
]);

export const WindowFrameSchema = z.object({ unit: z.enum(["rows", "range"]), start: FrameBoundSchema, end: FrameBoundSchema });

const OrderItemSchema: z.ZodType<OrderItem> = z.lazy(() =>
  z.object({ expr: ExprSchema, desc: z.boolean(), nulls: z.enum(["first", "last"]).optional() }),
);

export const ExprSchema: z.ZodType<Expr> = z.lazy(() =>
  z.discriminatedUnion("k", [
    z.object({ k: z.literal("col"), table: z.string(), column: z.string(), type: ValueTypeSchema }),
    z.object({
      k: z.literal("lit"),
      value: z.union([z.string(), z.number(), z.boolean(), z.null()]),
      type: ValueTypeSchema,
    }),
    z.object({ k: z.literal("bin"), op: BinaryOpSchema, left: ExprSchema, right: ExprSchema, type: ValueTypeSchema }),
    z.object({ k: z.literal("not"), arg: ExprSchema, type: ValueTypeSchema }),
    z.object({ k: z.literal("neg"), arg: ExprSchema, type: ValueTypeSchema }),
    z.object({
      k: z.literal("case"),
      operand: ExprSchema.optional(),
      whens: z.array(z.object({ when: ExprSchema, then: ExprSchema })),
      else: ExprSchema.optional(),
      type: ValueTypeSchema,
    }),
    z.object({ k: z.literal("cast"), arg: ExprSchema, to: CastTypeSchema, type: ValueTypeSchema }),
    z.object({ k: z.literal("in"), arg: ExprSchema, list: z.array(ExprSchema), negated: z.boolean(), type: ValueTypeSchema }),
    z.object({
      k: z.literal("between"),
      arg: ExprSchema,
      low: ExprSchema,
      high: ExprSchema,
      negated: z.boolean(),
      type: ValueTypeSchema,
    }),
    z.object({ k: z.literal("isnull"), arg: ExprSchema, negated: z.boolean(), type: ValueTypeSchema }),
    z.object({ k: z.literal("like"), arg: ExprSchema, pattern: ExprSchema, negated: z.boolean(), type: ValueTypeSchema }),
    z.object({
      k: z.literal("fn"),
      name: z.string(),
      args: z.array(ExprSchema),
      distinct: z.boolean().optional(),
      type: ValueTypeSchema,
    }),
    z.object({
      k: z.literal("window"),
      name: z.string(),
      args: z.array(ExprSchema),
      partitionBy: z.array(ExprSchema),
      orderBy: z.array(OrderItemSchema),
      frame: WindowFrameSchema.optional(),
      type: ValueTypeSchema,
    }),
  ]),
) as z.ZodType<Expr>;
