import type { TableDef } from "../../core/model/plan.js";
import type { RenderContext } from "../provider-api.js";
import { indent } from "./sql-text.js";

/** What a generator must offer the key check (kept narrow: pure SQL text). */
export interface KeyCheckGenerator {
  ident(name: string): string;
  stringLiteral(s: string): string;
  physicalSchema(logical: string, ctx: RenderContext): string;
  table(ref: TableDef, ctx: RenderContext): string;
  failIfAny(select: string): string | undefined;
  /** Text in byte order (the generator's textOrder hook): the smallest duplicate key is the same on every engine. */
  textOrder(x: string): string;
  /** Text of a key value or count (the generator's textCast hook). */
  textCast(x: string): string;
}

/** The end of the duplicate-key message of a load. */
export const LOAD_KEY_FIX = "Remove the duplicate rows from the files (or load them into a staging table).";

/**
 * A statement failing the step's transaction when the CDM table `def` holds two rows with one primary key, naming
 * the smallest such key (text in byte order) and how often it occurs — the same text on every engine. CDM tables get their primary keys
 * only in the ddl "constraints" part, after every writer (OHDSI's order; on DuckDB a key is also an index maintained
 * on every insert), so without this PostgreSQL accepted a patient listed twice where DuckDB refused it. One
 * aggregate over the key columns. Nothing for non-CDM tables (they declare their key in CREATE TABLE), for tables
 * without a key, or for a dialect without `failIfAny` — except a load's declared `key:` (`declared`), which is no
 * PRIMARY KEY of its table (a table made by an earlier run would not have it) and so is checked here too.
 */
export function renderKeyCheck(g: KeyCheckGenerator, def: TableDef | undefined, ctx: RenderContext, fix: string, declared = false): string[] {
  if (!def || (!def.cdm && !declared) || def.primaryKey.length === 0) return [];
  const cols = def.primaryKey.map((c) => g.ident(c));
  const shown = def.primaryKey.map((c, i) => `${g.stringLiteral(`${i === 0 ? "" : ", "}${c} = `)} || coalesce(${g.textCast(`d.${cols[i]}`)}, 'NULL')`);
  const where = `${g.physicalSchema(def.schema, ctx)}.${def.name}`;
  const message = [
    g.stringLiteral(`duplicate ${def.cdm ? "primary key" : "key"} in ${where}: `),
    ...shown,
    g.stringLiteral(" occurs "),
    g.textCast("d.n"),
    g.stringLiteral(` times; the step's rows were not written. ${fix}`),
  ].join(" || ");
  const order = def.primaryKey.map((c, i) => (def.columns.find((d) => d.name === c)?.type.kind === "varchar" ? g.textOrder(cols[i]!) : cols[i]!));
  const duplicates = `SELECT ${cols.join(", ")}, count(*) AS n\nFROM ${g.table(def, ctx)}\nGROUP BY ${cols.join(", ")}\nHAVING count(*) > 1\nORDER BY ${order.join(", ")}\nLIMIT 1`;
  const statement = g.failIfAny(`SELECT ${message} AS msg\nFROM (\n${indent(duplicates)}\n) AS d`);
  return statement === undefined ? [] : [statement];
}
