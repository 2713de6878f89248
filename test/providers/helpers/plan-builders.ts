/**
 * Hand-built plan pieces for provider tests (the compiler produces these in real runs).
 */
import type { BinaryOp, CastType, Expr, OrderItem, ValueType } from "../../../src/core/expr/ast.js";
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
} from "../../../src/core/model/plan.js";
import type { RenderContext } from "../../../src/providers/provider-api.js";

// ---- expressions -------------------------------------------------------------------------------------------------

export const col = (table: string, column: string, type: ValueType = "string"): Expr => ({ k: "col", table, column, type });

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

export function bin(op: BinaryOp, left: Expr, right: Expr, type?: ValueType): Expr {
  const t: ValueType = type ?? (CMP.has(op) ? "boolean" : op === "||" ? "string" : left.type);
  return { k: "bin", op, left, right, type: t };
}

export const and = (...xs: Expr[]): Expr => xs.reduce((a, b) => bin("and", a, b));
export const eq = (a: Expr, b: Expr): Expr => bin("=", a, b);
export const fn = (name: string, args: Expr[], type: ValueType, distinct?: boolean): Expr =>
  distinct === undefined ? { k: "fn", name, args, type } : { k: "fn", name, args, type, distinct };
export const cast = (arg: Expr, to: CastType): Expr => ({
  k: "cast",
  arg,
  to,
  type: to.kind === "varchar" ? "string" : to.kind,
});
export const isNull = (arg: Expr, negated = false): Expr => ({ k: "isnull", arg, negated, type: "boolean" });
export const caseWhen = (whens: { when: Expr; then: Expr }[], otherwise: Expr | undefined, type: ValueType, operand?: Expr): Expr => ({
  k: "case",
  ...(operand ? { operand } : {}),
  whens,
  ...(otherwise ? { else: otherwise } : {}),
  type,
});
export const window = (name: string, args: Expr[], partitionBy: Expr[], orderBy: OrderItem[], type: ValueType): Expr => ({
  k: "window",
  name,
  args,
  partitionBy,
  orderBy,
  type,
});

// ---- types and tables --------------------------------------------------------------------------------------------

export const INT: CastType = { kind: "integer" };
export const BIGINT: CastType = { kind: "bigint" };
export const FLOAT: CastType = { kind: "float" };
export const DATE: CastType = { kind: "date" };
export const DATETIME: CastType = { kind: "datetime" };
export const BOOL: CastType = { kind: "boolean" };
export const varchar = (length?: number): CastType => (length === undefined ? { kind: "varchar" } : { kind: "varchar", length });

export const column = (name: string, type: CastType, required = false): ColumnDef => ({ name, type, required });

export function tableDef(schema: string, name: string, columns: ColumnDef[], extra: Partial<TableDef> = {}): TableDef {
  return { schema, name, cdm: false, columns, primaryKey: [], foreignKeys: [], indexes: [], ...extra };
}

export const ref = (schema: string, name: string): TableRef => ({ schema, name });

/** The plan's id map location (as the compiler sets it). */
export const ID_MAP: TableRef = { schema: "staging", name: "omopetl_id_map" };

export function context(tables: TableDef[], schemas: Record<string, string>): RenderContext {
  return { tables, schemas, idMap: ID_MAP };
}

// ---- steps -------------------------------------------------------------------------------------------------------

export function step(name: string, body: StepBody): PlanStep {
  const io = (r: TableRef): TableRef[] => [r];
  const writes = body.kind === "load" || body.kind === "transform" ? io(body.target) : body.kind === "ddl" ? body.tables : [];
  return {
    name,
    kind: body.kind,
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

export const CSV: FileFormat = { type: "csv", header: true, delimiter: ",", quote: '"', nullValues: [] };
export const ATHENA_TSV: FileFormat = { type: "csv", header: true, delimiter: "\t", quote: null, nullValues: [], dateFormat: "%Y%m%d" };

export function loadStep(name: string, target: TableRef, files: string[], columns: ColumnDef[], format: FileFormat = CSV): PlanStep {
  return step(name, { kind: "load", target, files, format, columns, mode: "replace" });
}

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
