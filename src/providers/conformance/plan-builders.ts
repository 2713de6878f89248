/**
 * Hand-built plan pieces for provider tests: expressions, table definitions and plan steps shaped the way the
 * compiler produces them, so a provider can be exercised without compiling YAML. Used by the conformance suite and
 * exported (as `planBuilders` from `omopetl/provider/conformance`) for a provider's own tests.
 */
import type { BinaryOp, CastType, Expr, OrderItem, ValueType } from "../../core/expr/ast.js";
import type {
  ColumnDef,
  FileFormat,
  IdKey,
  Join,
  PlanStep,
  Select,
  StepBody,
  TableDef,
  TableRef,
  TransformBody,
} from "../../core/model/plan.js";
import type { RenderContext } from "../provider-api.js";

// ---- expressions -------------------------------------------------------------------------------------------------

/** A column reference `table.column` of type `type`. */
export const col = (table: string, column: string, type: ValueType = "string"): Expr => ({ k: "col", table, column, type });

/** A literal; its type follows the JS value unless given. */
export function lit(value: string | number | boolean | null, type?: ValueType): Expr {
  const t: ValueType =
    type ??
    (value === null
      ? "null"
      : typeof value === "boolean"
        ? "boolean"
        : typeof value === "number"
          ? Number.isInteger(value)
            ? "integer"
            : "float"
          : "string");
  return { k: "lit", value, type: t };
}

const CMP = new Set(["=", "<>", "<", "<=", ">", ">=", "and", "or"]);

/** A binary operation; comparisons and and/or are boolean, `||` a string, others take the left operand's type. */
export function bin(op: BinaryOp, left: Expr, right: Expr, type?: ValueType): Expr {
  const t: ValueType = type ?? (CMP.has(op) ? "boolean" : op === "||" ? "string" : left.type);
  return { k: "bin", op, left, right, type: t };
}

/** `a AND b AND ...` */
export const and = (...xs: Expr[]): Expr => xs.reduce((a, b) => bin("and", a, b));
/** `a = b` */
export const eq = (a: Expr, b: Expr): Expr => bin("=", a, b);
/** A catalogue function call. */
export const fn = (name: string, args: Expr[], type: ValueType, distinct?: boolean): Expr =>
  distinct === undefined ? { k: "fn", name, args, type } : { k: "fn", name, args, type, distinct };
/** `CAST(arg AS to)`. */
export const cast = (arg: Expr, to: CastType): Expr => ({
  k: "cast",
  arg,
  to,
  type: to.kind === "varchar" ? "string" : to.kind,
});
/** `arg IS [NOT] NULL`. */
export const isNull = (arg: Expr, negated = false): Expr => ({ k: "isnull", arg, negated, type: "boolean" });
/** `CASE [operand] WHEN ... THEN ... [ELSE ...] END`. */
export const caseWhen = (whens: { when: Expr; then: Expr }[], otherwise: Expr | undefined, type: ValueType, operand?: Expr): Expr => ({
  k: "case",
  ...(operand ? { operand } : {}),
  whens,
  ...(otherwise ? { else: otherwise } : {}),
  type,
});
/** A window function call with its OVER clause. */
export const window = (name: string, args: Expr[], partitionBy: Expr[], orderBy: OrderItem[], type: ValueType): Expr => ({
  k: "window",
  name,
  args,
  partitionBy,
  orderBy,
  type,
});

// ---- types and tables --------------------------------------------------------------------------------------------

/** Column and cast types. */
export const INT: CastType = { kind: "integer" };
export const BIGINT: CastType = { kind: "bigint" };
export const FLOAT: CastType = { kind: "float" };
export const DATE: CastType = { kind: "date" };
export const DATETIME: CastType = { kind: "datetime" };
export const BOOL: CastType = { kind: "boolean" };
/** `varchar`, or `varchar(length)`. */
export const varchar = (length?: number): CastType => (length === undefined ? { kind: "varchar" } : { kind: "varchar", length });

/** A column definition. */
export const column = (name: string, type: CastType, required = false): ColumnDef => ({ name, type, required });

/** A non-CDM table definition without keys or indexes unless `extra` says otherwise. */
export function tableDef(schema: string, name: string, columns: ColumnDef[], extra: Partial<TableDef> = {}): TableDef {
  return { schema, name, cdm: false, columns, primaryKey: [], foreignKeys: [], indexes: [], ...extra };
}

/** A logical table reference. */
export const ref = (schema: string, name: string): TableRef => ({ schema, name });

/** The plan's id map location (as the compiler sets it). */
export const ID_MAP: TableRef = { schema: "staging", name: "omopetl_id_map" };

/** A render context over `tables`, with the id map at {@link ID_MAP}. */
export function context(tables: TableDef[], schemas: Record<string, string>): RenderContext {
  return { tables, schemas, idMap: ID_MAP };
}

// ---- steps -------------------------------------------------------------------------------------------------------

/** A plan step around `body`, with the bookkeeping fields filled with neutral values. */
export function step(name: string, body: StepBody): PlanStep {
  const io = (r: TableRef): TableRef[] => [r];
  const writes = body.kind === "load" || body.kind === "transform" ? io(body.target) : body.kind === "loads" ? body.loads.map((l) => l.target) : body.kind === "ddl" ? body.tables : [];
  return {
    name,
    kind: body.kind === "loads" ? "load" : body.kind,
    file: `${name}.yaml`,
    dependsOn: [],
    level: 0,
    fingerprint: "0".repeat(64),
    retries: 0,
    reads: [],
    writes,
    body,
  };
}

/** A comma-separated file with a header and double quotes. */
export const CSV: FileFormat = { type: "csv", header: true, delimiter: ",", quote: '"', nullValues: [] };
/** Athena's vocabulary export: tab-separated, unquoted, yyyymmdd dates. */
export const ATHENA_TSV: FileFormat = { type: "csv", header: true, delimiter: "\t", quote: null, nullValues: [], dateFormat: "%Y%m%d" };

/**
 * A load step replacing `target`'s rows with those of `files`. Columns a file lacks load as NULL unless `strict`
 * (the compiler's default for declared columns: a declared column in no header fails the load).
 */
export function loadStep(name: string, target: TableRef, files: string[], columns: ColumnDef[], format: FileFormat = CSV, strict = false): PlanStep {
  return step(name, { kind: "load", target, files, format, columns, mode: "replace", ...(strict ? {} : { missingColumns: "null" as const }) });
}

/** One select of a transform. */
export function select(
  from: { table: TableRef; alias: string },
  columns: Record<string, Expr>,
  extra: Partial<Omit<Select, "from" | "columns">> = {},
): Select {
  return {
    distinct: false,
    from,
    joins: [],
    groupBy: [],
    ids: [],
    columns: Object.entries(columns).map(([name, expr]) => ({ name, expr })),
    ...extra,
  };
}

/** An assigned (or read) surrogate id of `column`, keyed by `key`, with the id map join the compiler adds. */
export function idFor(column: string, domain: string, key: Expr, assign = true): { id: IdKey; join: Join; value: Expr } {
  const alias = `__id_${column}`;
  return {
    id: { column, domain, key, assign, alias },
    join: {
      type: "left",
      table: ID_MAP,
      alias,
      on: and(eq(col(alias, "domain"), lit(domain)), eq(col(alias, "source_key"), key)),
      role: "id_map",
    },
    value: col(alias, "id", "integer"),
  };
}

/** A transform step writing `columns` of `target` in `mode`. */
export function transformStep(
  name: string,
  target: TableRef,
  mode: TransformBody["mode"],
  columns: ColumnDef[],
  selects: Select[],
  extra: Partial<Pick<TransformBody, "key" | "slice">> = {},
): PlanStep {
  return step(name, { kind: "transform", target, mode, key: extra.key ?? [], columns, selects, ...(extra.slice ? { slice: extra.slice } : {}) });
}
