import type { CastType } from "../../core/expr/ast.js";
import type { DdlBody, TableDef, TableRef } from "../../core/model/plan.js";
import type { CatalogSql, ExistingTablesQuery, LedgerSql, RenderContext } from "../provider-api.js";
import { objectName } from "./plan-helpers.js";
import { renderFloatColumnGuard } from "./column-type-guard.js";
import { renderKeyCheck } from "./key-check.js";
import { BaseCatalogSql } from "./catalog-sql.js";
import { BaseLedgerSql } from "./ledger-sql.js";
import { indent, sqlComment } from "./sql-text.js";
import { FunctionRenderer } from "./function-renderer.js";

/**
 * The generator's ddl room: schemas, tables, keys and indexes from the CDM specification; temporary tables of a step; the catalog queries and
 * the ledger's SQL (ledger-sql.ts, catalog-sql.ts).
 *
 * One of the rooms of {@link BaseSqlGenerator} (ARCHITECTURE.md, "The generator's rooms"): each room extends the
 * one below it and declares abstract what it calls in a room above.
 */
export abstract class DdlRenderer extends FunctionRenderer {
  /** A connection-local table `name` (unqualified) as a qualified name. */
  protected tempTable(name: string): string {
    return this.ident(name);
  }

  /** Statements creating the connection-local table `name` with the rows of `select` (replacing one left over). */
  protected createTempTableAs(name: string, select: string): string[] {
    return [`DROP TABLE IF EXISTS ${this.tempTable(name)}`, `CREATE TEMPORARY TABLE ${this.ident(name)} AS\n${select}`];
  }

  /** Statements dropping the connection-local table `name` at the end of a step. */
  protected dropTempTable(name: string): string[] {
    return [`DROP TABLE IF EXISTS ${this.tempTable(name)}`];
  }

  /** `CREATE SCHEMA` for a physical schema, idempotent. */
  protected abstract renderCreateSchema(physical: string): string;

  /** omopetl's own tables (run ledger, row accounting, coverage), quoted by this generator ([ledger-sql.ts](ledger-sql.ts)). */
  readonly ledgerSql: LedgerSql = new BaseLedgerSql(this);

  /** Schemas created outside steps (with {@link renderCreateSchema}), dropped, found ([catalog-sql.ts](catalog-sql.ts)). */
  readonly catalogSql: CatalogSql = new BaseCatalogSql(this, (schema) => this.renderCreateSchema(schema));

  /** Schema creation statements for the schemas of `refs`, each once, in first-seen order. */
  protected createSchemas(refs: readonly TableRef[], ctx: RenderContext): string[] {
    const seen = new Set<string>();
    const out: string[] = [];
    for (const r of refs) {
      const p = this.physicalSchema(r.schema, ctx);
      if (seen.has(p)) continue;
      seen.add(p);
      out.push(this.renderCreateSchema(p));
    }
    return out;
  }

  /**
   * How CREATE TABLE IF NOT EXISTS declares `def`'s primary key. By default CDM tables get theirs from the ddl
   * "constraints" part (after loading, as OHDSI does), and other tables, which no ddl step covers, declare it inline.
   */
  protected primaryKeyMode(def: TableDef): "none" | "inline" | "named" {
    return def.cdm ? "none" : "named";
  }

  /**
   * Whether a table a transform rebuilds (mode "rebuild": staging tables) leaves its primary key out of CREATE TABLE
   * and checks it with one aggregate after the insert instead ({@link renderKeyCheck}, the check CDM tables get). By
   * default the table declares its key. Where a key is an index maintained on every insert and rewritten at every
   * checkpoint (DuckDB's ART), the aggregate is the cheaper guarantee.
   */
  protected rebuiltKeyChecked(_def: TableDef): boolean {
    return false;
  }

  /** Where {@link rebuiltKeyChecked}: statements declaring the key once the check passed (default: none). */
  protected renderRebuiltKey(_def: TableDef, _ctx: RenderContext): string[] {
    return [];
  }

  /**
   * A column's type in a table: OHDSI's types for CDM tables; the cast types for source/staging tables (so a float
   * stays a DOUBLE where a dialect's NUMERIC would round it, e.g. DuckDB's DECIMAL(18,3)).
   */
  tableColumnTypeName(def: Pick<TableDef, "cdm">, t: CastType): string {
    return def.cdm ? this.columnTypeName(t) : this.castTypeName(t);
  }

  /** The column definitions (and inline primary key, when wanted) of a CREATE TABLE. */
  protected tableElements(def: TableDef, primaryKey: "none" | "inline" | "named"): string[] {
    const cols = def.columns.map((c) => `${this.ident(c.name)} ${this.tableColumnTypeName(def, c.type)}${c.required ? " NOT NULL" : ""}`);
    if (primaryKey !== "none" && def.primaryKey.length > 0) {
      const pk = `PRIMARY KEY (${def.primaryKey.map((c) => this.ident(c)).join(", ")})`;
      cols.push(primaryKey === "named" ? `CONSTRAINT ${this.ident(this.primaryKeyName(def))} ${pk}` : pk);
    }
    return cols;
  }

  protected createTableSql(def: TableDef, ctx: RenderContext, prefix: string, primaryKey: "none" | "inline" | "named"): string {
    return `${prefix} ${this.table(def, ctx)} (\n${indent(this.tableElements(def, primaryKey).join(",\n"))}\n)`;
  }

  /** `CREATE TABLE IF NOT EXISTS`, the idempotent creation used by DDL steps and for non-CDM targets. */
  protected createTableIfNotExists(def: TableDef, ctx: RenderContext): string {
    return this.createTableSql(def, ctx, "CREATE TABLE IF NOT EXISTS", this.primaryKeyMode(def));
  }

  /**
   * Statements that create `def` anew, empty (the old table and its rows gone), for transform mode "rebuild".
   * Not CREATE TABLE AS: the table keeps its declared types, NOT NULLs and primary key; the rows follow in an
   * INSERT within the same transaction.
   */
  protected abstract renderRebuildTable(def: TableDef, ctx: RenderContext): string[];

  primaryKeyName(def: TableDef): string {
    return objectName("xpk", [def.name], this.capabilities.maxIdentifierLength);
  }

  foreignKeyName(def: TableDef, column: string): string {
    return objectName("fpk", [def.name, column], this.capabilities.maxIdentifierLength);
  }

  indexName(def: TableDef, columns: readonly string[]): string {
    return objectName("idx", [def.name, ...columns], this.capabilities.maxIdentifierLength);
  }

  protected renderIndexes(def: TableDef, ctx: RenderContext): string[] {
    return def.indexes.map(
      (cols) =>
        `CREATE INDEX IF NOT EXISTS ${this.ident(this.indexName(def, cols))} ON ${this.table(def, ctx)} (${cols.map((c) => this.ident(c)).join(", ")})`,
    );
  }

  /** Primary and foreign keys of `defs`, idempotently (all primary keys first, so foreign keys find them). */
  protected abstract renderConstraints(defs: readonly TableDef[], ctx: RenderContext): string[];

  renderDdl(tables: readonly TableDef[], part: DdlBody["part"], ctx: RenderContext): string[] {
    switch (part) {
      case "tables":
        return [
          ...this.createSchemas(tables, ctx),
          ...tables.map((t) => this.createTableIfNotExists(t, ctx)),
          ...renderFloatColumnGuard(this, tables, ctx),
        ];
      case "constraints":
        return this.renderConstraints(tables, ctx);
      case "indexes":
        if (!(ctx.indexes ?? this.capabilities.standardIndexes ?? true)) return [this.skippedIndexesComment(tables, ctx)];
        return tables.flatMap((t) => this.renderIndexes(t, ctx));
    }
  }

  /**
   * A statement that fails, with the text of `select`'s single `msg` column as the error, when `select` returns a
   * row, and does nothing otherwise: how generated SQL asserts something about the database inside a step.
   * Undefined (the default) when the dialect cannot: the checks built on it are then not made, so a provider
   * should implement it (the conformance suite's "outdated float column" case tells).
   */
  failIfAny(_select: string): string | undefined {
    return undefined;
  }

  /** What ddl part "indexes" says when the target does not want the standard indexes (executable: a comment). */
  protected skippedIndexesComment(tables: readonly TableDef[], ctx: RenderContext): string {
    const n = tables.reduce((sum, t) => sum + t.indexes.length, 0);
    const why = ctx.indexes === false ? "the target sets indexes: false" : `${this.dialect} does not create them by default; set indexes: true on the target to create them`;
    return sqlComment([`${n} standard indexes not created: ${why}.`]);
  }

  /**
   * Statements after a temporary table of the step was filled (`table` is its quoted name): e.g. gathering the
   * planner's statistics where the engine does not (PostgreSQL's autovacuum never analyses temporary tables).
   * Default: nothing.
   */
  afterTempTable(_table: string): string[] {
    return [];
  }

  /** Row count of a table, for the orchestrator's row accounting. */
  /**
   * Which of `tables` exist, from information_schema.tables (views included), compared ignoring case. PostgreSQL
   * overrides it with its catalog, which also lists tables the role has no privilege on.
   */
  renderExistingTables(tables: readonly TableRef[], ctx: RenderContext): ExistingTablesQuery {
    const one = (t: TableRef) =>
      `(lower(table_schema) = lower(${this.stringLiteral(this.physicalSchema(t.schema, ctx))}) AND lower(table_name) = lower(${this.stringLiteral(t.name)}))`;
    return `SELECT table_schema AS schema_name, table_name\nFROM information_schema.tables\nWHERE ${tables.map(one).join("\n   OR ") || "FALSE"}`;
  }

  renderCount(table: TableRef, ctx: RenderContext): string {
    return `SELECT count(*) AS n FROM ${this.table(table, ctx)}`;
  }

  /**
   * Statements run after a write to `def` (in the step's transaction) that fail when its primary key no longer
   * holds; `fix` ends the error message. CDM tables get their keys only in the ddl "constraints" part, at the end
   * (OHDSI's order), so every engine checks every write itself, with one message ({@link renderKeyCheck}).
   */
  protected keyChecks(def: TableDef | undefined, ctx: RenderContext, fix: string): string[] {
    return renderKeyCheck(this, def, ctx, fix);
  }

  /**
   * Statements after a table's contents were replaced in bulk (a load, a rebuild, a replace, the id map and its keys): e.g. refreshing the
   * planner's statistics, without which a freshly loaded table is planned as if empty (nested loops over the whole
   * vocabulary). Default: nothing.
   */
  protected afterBulkWrite(_target: TableRef, _ctx: RenderContext): string[] {
    return [];
  }
}
