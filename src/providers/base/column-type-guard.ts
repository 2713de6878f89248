import type { CastType } from "../../core/expr/ast.js";
import type { TableDef } from "../../core/model/plan.js";
import type { RenderContext } from "../provider-api.js";

/** What the guard needs of a generator (kept narrow so the guard stays pure SQL text). */
export interface ColumnTypeGuardGenerator {
  stringLiteral(s: string): string;
  physicalSchema(logical: string, ctx: RenderContext): string;
  columnTypeName(t: CastType): string;
  /** A statement failing with the text of `select`'s single `msg` column when it returns a row (undefined: cannot). */
  failIfAny(select: string): string | undefined;
}

/**
 * The type every CDM `float` column must have. omopetl before this version declared them NUMERIC, which DuckDB reads
 * as DECIMAL(18,3): 0.0167 was stored as 0.017. PostgreSQL's NUMERIC kept the digits but returned them as text, so
 * the engines' tables differed. DOUBLE PRECISION keeps what the CDM means by float on both.
 */
const FLOAT_TYPES = ["double precision", "double", "float8"];

/**
 * A statement run after `CREATE TABLE IF NOT EXISTS` that fails when a CDM float column of an existing table still
 * has another type (a database made by an older omopetl): IF NOT EXISTS would keep the old type, and DuckDB would go
 * on rounding every value to 3 decimals without a word. The message lists the ALTER statements that migrate it.
 * Returns nothing when the tables have no float column.
 */
export function renderFloatColumnGuard(g: ColumnTypeGuardGenerator, tables: readonly TableDef[], ctx: RenderContext): string[] {
  const wanted: string[] = [];
  for (const t of tables) {
    if (!t.cdm) continue;
    const schema = g.physicalSchema(t.schema, ctx);
    for (const c of t.columns) if (c.type.kind === "float") wanted.push(`${schema}.${t.name}.${c.name}`);
  }
  if (wanted.length === 0) return [];
  const col = "c.table_schema || '.' || c.table_name || '.' || c.column_name";
  const alter = `'ALTER TABLE ' || c.table_schema || '.' || c.table_name || ' ALTER COLUMN ' || c.column_name || ' TYPE ${g.columnTypeName({ kind: "float" })};'`;
  const select = [
    "SELECT",
    `  ${g.stringLiteral("DDL_OUTDATED: CDM float columns of this database have an older type (made by an earlier omopetl, which stored them as NUMERIC; DuckDB rounds that to 3 decimals): ")}`,
    `  || string_agg(${col} || ' ' || lower(c.data_type), ', ' ORDER BY ${col})`,
    `  || ${g.stringLiteral(". Migrate them, then re-run the steps that write them (values already stored may have been rounded): ")}`,
    `  || string_agg(${alter}, ' ' ORDER BY ${col}) AS msg`,
    "FROM information_schema.columns AS c",
    `WHERE ${col} IN (${wanted.map((w) => g.stringLiteral(w)).join(", ")})`,
    `  AND lower(c.data_type) NOT IN (${FLOAT_TYPES.map((t) => g.stringLiteral(t)).join(", ")})`,
    "HAVING count(*) > 0",
  ].join("\n");
  const statement = g.failIfAny(select);
  return statement === undefined ? [] : [statement];
}
