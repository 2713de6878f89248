/**
 * SQL generation for Spark SQL on Delta Lake (Spark 4.0, Delta 4.0; Databricks SQL speaks the same dialect): the
 * provider of issue 17, NOT registered as a built-in yet. What it renders: identifiers, literals, types, schemas, CDM
 * tables (USING DELTA, idempotent), rebuilds (CREATE OR REPLACE TABLE, one atomic Delta operation), loads read by
 * Spark (spark-load.ts) with the shared value checks, and the checks that fail a statement (raise_error).
 */
export { toSparkPattern } from "./spark-expressions.js";
import type { DdlBody, LoadBody, TableDef, TableRef, TransformBody } from "../../core/model/plan.js";
import { ID_KEYS_COLUMNS, ID_MAP_COLUMNS, idKeysTable } from "../base/id-liveness.js";
import type { MergePrune } from "../base/merge-prune.js";
import { renderSparkMergePrune } from "./spark-merge-prune.js";
import { SparkExpressions } from "./spark-expressions.js";
import { renderKeyCheck } from "../base/key-check.js";
import { LOAD_KEY_FIX } from "../base/key-check.js";
import { checksHeader, headerMismatchSelect } from "../base/load-header-check.js";
import { findTableDef, tableDefOrColumns } from "../base/plan-helpers.js";
import { indent, sqlComment } from "../base/sql-text.js";
import type { CatalogSql, ExistingTablesBySchema, LedgerSql, ProviderCapabilities, RenderContext, RenderedStep } from "../provider-api.js";
import { SparkCatalogSql, SparkLedgerSql, sparkExistingTables } from "./spark-ledger-sql.js";
import { cloudFileStatements, CLOUD_SCHEMES, copyTable, emptyFilesCheck, fileView, fileViewSql, headerNamesSelect, isCloudFile, SPARK_STAGE, SPARK_TYPED, sparkLoadFiles, stagedRowsSelect } from "./spark-load.js";

/** What Spark 4.0 with Delta 4.0 can do (checked against the server scripts/services.sh up spark starts). */
export const SPARK_CAPABILITIES: ProviderCapabilities = {
  merge: true,
  onConflict: false,
  // DDL commits on its own, like every Spark statement.
  transactionalDdl: false,
  createOrReplaceTable: true,
  serverSideFileLoad: true,
  // Cloud URIs are landed with COPY INTO, which Databricks runs and a Spark Thrift server refuses (spark-load.ts).
  fileUriSchemes: ["file", ...CLOUD_SCHEMES],
  // Spark skips 0-byte files a pattern matches, so LOAD_EMPTY_FILE could not be raised: files are listed one by one.
  fileGlobs: false,
  parquet: false,
  // Open-source Spark parses no PRIMARY KEY / FOREIGN KEY constraints (Databricks' are informational only).
  alterTableAddPrimaryKey: false,
  alterTableAddForeignKey: false,
  indexes: false,
  standardIndexes: false,
  nullsOrdering: true,
  // Temporary views, not tables.
  tempTables: false,
  // The Hive metastore's limit on table and column names.
  maxIdentifierLength: 128,
  // Each Delta statement commits atomically on its own; nothing spans two.
  transactions: "statement",
  // One step at a time by default (--concurrency asks for more): Delta commits optimistically, and concurrent steps all
  // write omopetl's own tables (the run ledger, the id map), so they abort each other's commits (conflicts are
  // retried, classifySparkError). Measured: the Synthea run with 4 steps at once failed with DELTA_CONCURRENT_APPEND
  // on the run ledger after the connection's retries, 12 steps in.
  singleWriter: true,
};


export class SparkGenerator extends SparkExpressions {
  readonly dialect = "spark";
  readonly capabilities = SPARK_CAPABILITIES;

  /** omopetl's own tables as Delta tables, in Spark's types (spark-ledger-sql.ts). */
  override readonly ledgerSql: LedgerSql = new SparkLedgerSql(this);

  /** Schemas and catalog queries without information_schema (spark-ledger-sql.ts). */
  override readonly catalogSql: CatalogSql = new SparkCatalogSql(this, (schema) => this.renderCreateSchema(schema));


  /** SHOW SCHEMAS, then SHOW TABLES per schema: Spark has no information_schema (spark-ledger-sql.ts). */
  override renderExistingTables(tables: readonly TableRef[], ctx: RenderContext): ExistingTablesBySchema {
    // table() checks both names against the metastore's rule (INVALID_IDENTIFIER), which the LIKE patterns rely on.
    for (const t of tables) this.table(t, ctx);
    return sparkExistingTables(this, tables.map((t) => ({ schema: this.physicalSchema(t.schema, ctx), name: t.name })));
  }

  /** Column names checked against Delta's rule (spark-expressions.ts) wherever omopetl creates a table. */
  protected override tableElements(def: TableDef, primaryKey: "none" | "inline" | "named"): string[] {
    for (const c of def.columns) this.validateObjectName(c.name, "column");
    return super.tableElements(def, primaryKey);
  }

  protected override renderCreateSchema(physical: string): string {
    this.validateObjectName(physical, "schema");
    return `CREATE SCHEMA IF NOT EXISTS ${this.ident(physical)}`;
  }

  /** Spark declares no primary keys: every table is created without one. */
  protected override primaryKeyMode(_def: TableDef): "none" {
    return "none";
  }

  /** Every table omopetl creates is a Delta table (MERGE, UPDATE, DELETE and atomic replaces need Delta). */
  protected override createTableSql(def: TableDef, ctx: RenderContext, prefix: string, _primaryKey: "none" | "inline" | "named"): string {
    return `${super.createTableSql(def, ctx, prefix, "none")} USING DELTA`;
  }

  /** One atomic Delta operation: readers see the old table until the new (empty) one commits. */
  protected override renderRebuildTable(def: TableDef, ctx: RenderContext): string[] {
    return [this.createTableSql(def, ctx, "CREATE OR REPLACE TABLE", "none")];
  }

  protected override renderConstraints(defs: readonly TableDef[], ctx: RenderContext): string[] {
    const lines: string[] = [];
    for (const def of defs) {
      if (def.primaryKey.length > 0) lines.push(`${this.table(def, ctx)}: primary key (${def.primaryKey.join(", ")}) not declared (Spark has no key constraints).`);
      for (const fk of def.foreignKeys) lines.push(`${this.table(def, ctx)}: ${fk.column} -> ${this.table(fk.references, ctx)} (${fk.referencesColumn}) not declared.`);
    }
    return lines.length > 0 ? [this.note(lines)] : [];
  }

  protected override skippedIndexesComment(tables: readonly TableDef[], ctx: RenderContext): string {
    const n = tables.reduce((sum, t) => sum + t.indexes.length, 0);
    const why = ctx.indexes === false ? "the target sets indexes: false" : "Spark has no secondary indexes";
    return this.note([`${n} standard indexes not created: ${why}.`]);
  }

  /**
   * A note the DDL returns where other dialects return a comment: Spark refuses a statement that is only a comment
   * (PARSE_SYNTAX_ERROR at end of input), so the comment heads a query that returns nothing.
   */
  private note(lines: readonly string[]): string {
    return `${sqlComment(lines)}\nSELECT 1 AS omopetl_note WHERE FALSE`;
  }

  /** Temporary views, cached: computed once when created (CACHE TABLE is eager), gone with the session. */
  protected override createTempTableAs(name: string, select: string): string[] {
    return [`DROP VIEW IF EXISTS ${this.ident(name)}`, `CACHE TABLE ${this.ident(name)} AS\n${select}`];
  }

  protected override dropTempTable(name: string): string[] {
    return [`DROP VIEW IF EXISTS ${this.ident(name)}`];
  }

  /**
   * As the base, without the guard against CDM float columns of an older omopetl (which reads
   * information_schema, absent from open-source Spark): no omopetl before this one wrote CDM tables on Spark.
   */
  override renderDdl(tables: readonly TableDef[], part: DdlBody["part"], ctx: RenderContext): string[] {
    if (part !== "tables") return super.renderDdl(tables, part, ctx);
    return [...this.createSchemas(tables, ctx), ...tables.map((t) => this.createTableIfNotExists(t, ctx))];
  }


  /** No secondary indexes on Spark (capability indexes: false): ddl part "indexes" says so, even when asked. */
  protected override renderIndexes(def: TableDef, _ctx: RenderContext): string[] {
    return def.indexes.length === 0 ? [] : [this.note([`${def.name}: ${def.indexes.length} indexes not created (Spark has no secondary indexes).`])];
  }


  /**
   * One atomic Delta operation: `INSERT OVERWRITE` of the whole target, or `INSERT INTO ... REPLACE WHERE <slice>`
   * (Delta also fails it when a row written falls outside the slice, which elsewhere would stay behind at the next
   * run). Delta's INSERT returns no count: the rows of the slice (all written by it) are counted afterwards.
   */
  protected override renderReplace(body: TransformBody, query: string, ctx: RenderContext): { statements: string[]; result: number; count?: number } {
    const target = this.table(body.target, ctx);
    const def = tableDefOrColumns(ctx, body.target, body.columns);
    // REPLACE WHERE takes no column list: the rows in the table's column order, NULL for columns the step leaves out.
    const written = new Set(body.columns.map((c) => c.name));
    const q = this.ident("q");
    const ordered = def.columns.map((c) => (written.has(c.name) ? `${q}.${this.ident(c.name)}` : `CAST(NULL AS ${this.tableColumnTypeName(def, c.type)}) AS ${this.ident(c.name)}`));
    const rows = `SELECT ${ordered.join(", ")}\nFROM (\n${indent(query)}\n) AS ${q}`;
    if (!body.slice) {
      return { statements: [`INSERT OVERWRITE ${target}\n${rows}`, this.countSql(target)], result: 0, count: 1 };
    }
    this.bareTarget = true;
    let slice: string;
    try {
      slice = this.condition(body.slice);
    } finally {
      this.bareTarget = false;
    }
    const count = this.countSql(`${target} AS ${this.ident("t")}\nWHERE ${this.condition(body.slice)}`);
    return { statements: [`INSERT INTO ${target}\nREPLACE WHERE ${slice}\n${rows}`, count], result: 0, count: 1 };
  }

  /** The merge prune without subqueries in DELETE/UPDATE conditions, which Delta refuses (spark-merge-prune.ts). */
  protected override renderMergePrune(body: TransformBody, query: string, step: string, ctx: RenderContext): MergePrune {
    return renderSparkMergePrune(
      {
        ident: (n) => this.ident(n),
        stringLiteral: (x) => this.stringLiteral(x),
        table: (r, c) => this.table(r, c),
        expr: (e) => this.expr(e),
        afterTempTable: () => [],
        cachedView: (name, select) => this.createTempTableAs(name, select),
      },
      body,
      query,
      step,
      ctx,
    );
  }

  /** Rebuilds count what they inserted (Delta's INSERT returns no count), right after the INSERT. */
  protected override renderTransform(body: TransformBody, ctx: RenderContext, step: string): RenderedStep {
    const r = super.renderTransform(body, ctx, step);
    if (body.mode !== "rebuild" || r.resultStatement === undefined) return r;
    const at = r.resultStatement + 1;
    const shift = (i: number): number => (i >= at ? i + 1 : i);
    const statements = [...r.statements.slice(0, at), this.countSql(this.table(body.target, ctx)), ...r.statements.slice(at)];
    return {
      ...r,
      statements,
      countStatement: at,
      ...(r.staleRowsStatement !== undefined ? { staleRowsStatement: shift(r.staleRowsStatement) } : {}),
      ...(r.bookkeepingStatements ? { bookkeepingStatements: r.bookkeepingStatements.map(shift) } : {}),
      ...(r.explainFailure ? { explainFailure: r.explainFailure.map((x) => ({ ...x, statement: shift(x.statement) })) } : {}),
    };
  }

  /** The id map without UNIQUE (Spark declares no constraints): ids stay unique as on DuckDB (NOT EXISTS, max + n). */
  protected override createIdMapTable(ctx: RenderContext): string {
    return this.createTableSql(this.idMapTableDef(ctx), ctx, "CREATE TABLE IF NOT EXISTS", "none");
  }

  /** The map alone (one statement per call on Spark); no older omopetl made a map without `live` here. */
  override renderIdMapSetup(ctx: RenderContext): string {
    return this.createIdMapTable(ctx);
  }

  /**
   * Liveness settled by one MERGE (Delta takes no subquery in an UPDATE's condition): keys recorded for the domain
   * revive, the domain's other keys retire, only rows whose flag changes are written.
   */
  protected override settleIdLiveness(domain: string, ctx: RenderContext): string[] {
    const map = this.table(ctx.idMap, ctx);
    const keys = this.table(idKeysTable(ctx), ctx);
    const [m, k] = [this.ident("m"), this.ident("k")];
    const live = this.ident(ID_MAP_COLUMNS.live);
    const d = this.stringLiteral(domain);
    const sk = this.ident(ID_MAP_COLUMNS.sourceKey);
    return [
      [
        `MERGE INTO ${map} AS ${m}`,
        `USING (SELECT DISTINCT ${this.ident(ID_KEYS_COLUMNS.sourceKey)} AS ${sk} FROM ${keys} WHERE ${this.ident(ID_KEYS_COLUMNS.domain)} = ${d}) AS ${k}`,
        `ON ${m}.${this.ident(ID_MAP_COLUMNS.domain)} = ${d} AND ${m}.${sk} = ${k}.${sk}`,
        `WHEN MATCHED AND ${m}.${live} IS NOT TRUE THEN UPDATE SET ${live} = TRUE`,
        `WHEN NOT MATCHED BY SOURCE AND ${m}.${this.ident(ID_MAP_COLUMNS.domain)} = ${d} AND ${m}.${live} IS NOT FALSE THEN UPDATE SET ${live} = FALSE`,
      ].join("\n"),
    ];
  }

  /**
   * A load (spark-load.ts): each file a temporary view read by Spark; 0-byte files refused; the header checked; the
   * rows staged as text and their values checked (or diverted, on_error: reject); the typed rows and their key checked;
   * then one atomic write: INSERT OVERWRITE of a CDM table, or the staging target recreated and filled. A failure
   * before the write leaves the target as it was.
   */
  protected override renderLoad(body: LoadBody, ctx: RenderContext): RenderedStep {
    const paths = sparkLoadFiles(this, body);
    const def = findTableDef(ctx, body.target);
    const schema = this.physicalSchema(body.target.schema, ctx);
    const raw = (i: number): string => `${this.ident(schema)}.${this.ident(copyTable(body.target.name, i))}`;
    const cloud = paths.map((p, i) => (isCloudFile(p) ? i + 1 : 0)).filter((i) => i > 0);
    // The copies of cloud files live in the target's schema, which a staging target's load creates only later.
    const statements = cloud.length > 0 ? [this.renderCreateSchema(schema)] : [];
    statements.push(...paths.flatMap((p, i) => (isCloudFile(p) ? cloudFileStatements(this, body, p, i + 1, raw(i + 1)) : [fileViewSql(this, body, p, i + 1)])));
    statements.push(emptyFilesCheck(this, body, paths));
    if (checksHeader(body, def?.cdm === true)) statements.push(this.failIfAny(headerMismatchSelect(this, body, headerNamesSelect(this, paths))));
    statements.push(...this.createTempTableAs(SPARK_STAGE, stagedRowsSelect(this, body, paths)));
    const stage = this.ident(SPARK_STAGE);
    const probe = this.loadValueProbe(body, stage);
    if (probe !== undefined) statements.push(probe);
    const f = this.ident("f");
    const rejects = this.loadRejects(body, stage, f, ctx);
    if (rejects) statements.push(...rejects.statements);
    const typed = [
      "SELECT",
      indent(body.columns.map((c) => `${this.loadValue(`${f}.${this.ident(c.name)}`, c, body.format)} AS ${this.ident(c.name)}`).join(",\n")),
      `FROM ${stage} AS ${f}`,
      ...(rejects?.keep ? [`WHERE ${rejects.keep}`] : []),
    ].join("\n");
    statements.push(...this.createTempTableAs(SPARK_TYPED, typed));
    statements.push(...this.loadKeyChecks(def, body, ctx));
    const target = this.table(body.target, ctx);
    const rows = `SELECT * FROM ${this.ident(SPARK_TYPED)}`;
    let resultStatement: number;
    if (def?.cdm) {
      resultStatement = statements.push(`INSERT OVERWRITE ${target} ${this.columnList(body.columns)}\n${rows}`) - 1;
    } else {
      // Recreated at every run (a table of an earlier run with another declaration must not stay), then filled.
      statements.push(this.renderCreateSchema(this.physicalSchema(body.target.schema, ctx)));
      statements.push(...this.renderRebuildTable(tableDefOrColumns(ctx, body.target, body.columns), ctx));
      resultStatement = statements.push(`INSERT INTO ${target} ${this.columnList(body.columns)}\n${rows}`) - 1;
    }
    // Delta's INSERT returns no row count: the rows written are the typed rows, counted.
    const countStatement = statements.push(this.countSql(this.ident(SPARK_TYPED))) - 1;
    statements.push(...this.dropTempTable(SPARK_TYPED), ...this.dropTempTable(SPARK_STAGE));
    if (rejects) statements.push(...rejects.cleanup);
    statements.push(...paths.map((_, i) => `DROP VIEW IF EXISTS ${this.ident(fileView(i + 1))}`));
    statements.push(...cloud.map((i) => `DROP TABLE IF EXISTS ${raw(i)}`));
    return { statements, transactional: true, resultStatement, countStatement };
  }

  /** A cloud file is copied into a table first (COPY INTO), which keeps no line order (spark-load.ts). */
  protected override loadRowsInFileOrder(body: LoadBody): boolean {
    return !body.files.some((f) => isCloudFile(f));
  }

  /** The count of the rows of `from` (a FROM clause), as the connection reads a statement's count. */
  private countSql(from: string): string {
    return `SELECT count(*) AS num_affected_rows FROM ${from}`;
  }

  /** A load's key, checked on its typed rows before they are written (Spark cannot take a write back). */
  protected override loadKeyChecks(def: TableDef | undefined, body: LoadBody, ctx: RenderContext): string[] {
    const typed = this.ident(SPARK_TYPED);
    const hooks = {
      ident: (n: string) => this.ident(n),
      stringLiteral: (s: string) => this.stringLiteral(s),
      physicalSchema: (l: string, c: RenderContext) => this.physicalSchema(l, c),
      table: () => typed,
      failIfAny: (s: string) => this.failIfAny(s),
      textOrder: (x: string) => this.textOrder(x),
      textCast: (x: string) => this.textCast(x),
    };
    if (def && body.key && !def.cdm) return renderKeyCheck(hooks, { ...def, primaryKey: body.key }, ctx, LOAD_KEY_FIX, true);
    return renderKeyCheck(hooks, def, ctx, LOAD_KEY_FIX);
  }

  /** No key is known to hold: Spark's tables declare none, and rebuilt staging tables are not checked here. */
  protected override checkedKey(): undefined {
    return undefined;
  }
}
