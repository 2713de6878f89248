import type { PlanStep, SqlBody, TransformBody } from "../../core/model/plan.js";
import type { RenderContext, RenderedStep, SqlGenerator } from "../provider-api.js";
import { invalidPlan, UnsupportedFeatureError } from "../provider-errors.js";
import { findTableDef, requireTableDefs, tableDefOrColumns } from "./plan-helpers.js";
import { renderVocabularyChecks } from "./vocabulary-check.js";
import { renderKeyCheck } from "./key-check.js";
import { mergeKeysTableDef, mergeKeyText, renderMergePrune, type MergePrune, type ProducedKeys } from "./merge-prune.js";
import { renderParamLiteral, renderSqlStep, type ParamType } from "./sql-step.js";
import { indent, list } from "./sql-text.js";
import { renderCheckBatch, renderCheckQuery, renderCheckSample, renderCheckScan, renderFieldProbe, renderFieldsProbe } from "./check-sql.js";
import type { CheckMeasure, CheckRowSet } from "../../core/checks/check-model.js";
import type { TableRef } from "../../core/model/plan.js";
import { IdAssignmentRenderer } from "./id-assignment-renderer.js";
export { ID_MAP_COLUMNS } from "./id-liveness.js";

/** Alias of the target table in MERGE/DELETE statements; the plan's `slice` expressions use it. */
const TARGET_ALIAS = "t";

/** Alias of the source rows in MERGE. */
const SOURCE_ALIAS = "s";

/** The temporary table a merge step's rows are materialised in, when {@link BaseSqlGenerator.mergeSourceMaterialized}. */
const MERGE_SOURCE_TABLE = "omopetl_merge_source";

/** Its column holding each row's key as the merge ledger's text (read by the prune instead of running the select). */
const MERGE_SOURCE_KEY = "omopetl_merge_key";

/**
 * What {@link BaseSqlGenerator.renderMergeStatements} returns: the merge's statements and, as indexes into them,
 * the upsert whose count is the step's result, the DELETE of rows whose source is gone, and the statements keeping
 * omopetl's ledger.
 */
export type MergeStatements = Omit<RenderedStep, "transactional" | "resultStatement"> & { resultStatement: number };

/**
 * The shared SQL generator. Dialects extend it and override the hooks where their SQL differs; everything here is
 * pure and deterministic. Statements are laid out one clause per line, with nested queries indented.
 *
 * Hooks a dialect must provide: {@link dialect}, {@link capabilities}, {@link renderLoad},
 * {@link renderCreateSchema}, {@link renderRebuildTable}, {@link renderConstraints}, {@link binaryCollate}.
 *
 * The generator is built in rooms, each a class extending the one below it (ARCHITECTURE.md, "The generator's
 * rooms"): {@link ExpressionRenderer} (identifiers, literals, casts, operators), {@link FunctionRenderer} (the
 * function catalogue, aggregates, windows), {@link DdlRenderer} (schemas, tables, keys, indexes, catalog and ledger
 * SQL), {@link LoadRenderer} (loads and their value checks), {@link SelectRenderer} (a transform's selects and the
 * queries built on them), {@link IdAssignmentRenderer} (surrogate ids) and this class, the statements of a step
 * (transform modes, merge, sql steps). A dialect extends this class and overrides hooks of any room.
 */
export abstract class BaseSqlGenerator extends IdAssignmentRenderer implements SqlGenerator {
  renderStep(step: PlanStep, ctx: RenderContext): RenderedStep {
    const body = step.body;
    switch (body.kind) {
      case "load":
        // A provider that does not fill file columns must not load the rows without them.
        if (body.fileColumns?.length && this.capabilities.fileNameColumns !== true) {
          throw new UnsupportedFeatureError(this.dialect, "file_columns in loads", `${body.target.schema}.${body.target.name}`, "Load with the duckdb or postgres provider, or add the file's name in a transform.");
        }
        return this.renderLoad(body, ctx);
      case "loads":
        return concatParts(body.loads.map((load) => this.renderStep({ ...step, body: load }, ctx)));
      case "transform":
        return this.renderTransform(body, ctx, step.name);
      case "sql":
        return this.renderSqlStep(body, ctx);
      case "ddl":
        return { statements: this.renderDdl(requireTableDefs(ctx, body.tables), body.part, ctx), transactional: true };
    }
  }

  /** A data quality check's counting query ([check-sql.ts](check-sql.ts)). */
  renderCheck(measure: CheckMeasure, ctx: RenderContext): string {
    return renderCheckQuery(this, measure, ctx);
  }

  /** Several checks' counting queries in one ([check-sql.ts](check-sql.ts)). */
  renderCheckBatch(measures: readonly CheckMeasure[], ctx: RenderContext): string {
    return renderCheckBatch(this, measures, ctx);
  }

  /** Row sets of checks over the same rows counted in one query ([check-sql.ts](check-sql.ts)). */
  renderCheckScan(rowSets: readonly CheckRowSet[], ctx: RenderContext): string {
    return renderCheckScan(this, rowSets, ctx);
  }

  /** Up to `limit` violating rows of a check ([check-sql.ts](check-sql.ts)). */
  renderCheckSample(measure: CheckMeasure, ctx: RenderContext, limit: number): string {
    return renderCheckSample(this, measure, ctx, limit);
  }

  /** A query failing when `column` is missing from `table` ([check-sql.ts](check-sql.ts)). */
  renderFieldProbe(table: TableRef, column: string, ctx: RenderContext): string {
    return renderFieldProbe(this, table, column, ctx);
  }

  /** A query failing when any of `columns` is missing from `table` ([check-sql.ts](check-sql.ts)). */
  renderFieldsProbe(table: TableRef, columns: readonly string[], ctx: RenderContext): string {
    return renderFieldsProbe(this, table, columns, ctx);
  }

  /** `sql` steps: placeholders replaced by quoted schema names and parameter literals ({@link paramLiteral}). */
  protected renderSqlStep(body: SqlBody, ctx: RenderContext): RenderedStep {
    return renderSqlStep(this, body, ctx);
  }

  /**
   * A `${params.x}` of a sql step: a complete literal of the parameter's declared type, so a value can never be
   * read as SQL. Override for a dialect whose literals differ. @throws INVALID_LITERAL
   */
  paramLiteral(value: string | number | boolean, type: ParamType): string {
    return renderParamLiteral(this, value, type);
  }

  /** The ledger of the rows merge steps wrote ([merge-prune.ts](merge-prune.ts)), created with the first merge. */
  protected createMergeKeysTable(ctx: RenderContext): string {
    return this.createTableSql(mergeKeysTableDef(ctx), ctx, "CREATE TABLE IF NOT EXISTS", "none");
  }

  /**
   * Run once before the steps when one of them merges: the merge ledger (steps create it too, but on PostgreSQL two
   * of them creating it at the same moment fail on the catalog's unique index).
   */
  renderMergeKeysSetup(ctx: RenderContext): string {
    return this.createMergeKeysTable(ctx);
  }

  /** `step`: the step's name, which owns the keys it records for id liveness. */
  protected renderTransform(body: TransformBody, ctx: RenderContext, step: string): RenderedStep {
    const statements: string[] = [];
    // Statements on omopetl's own tables (id map, merge ledger): their row counts are not the step's rows.
    const bookkeeping: number[] = [];
    const def = findTableDef(ctx, body.target);
    if (body.mode !== "rebuild" && !def?.cdm) {
      // Staging/non-CDM targets are created on first use; CDM tables come from the ddl steps.
      statements.push(...this.createSchemas([body.target], ctx));
      statements.push(this.createTableIfNotExists(tableDefOrColumns(ctx, body.target, body.columns), ctx));
    }
    const assigning = body.selects.flatMap((s) => s.ids.filter((i) => i.assign).map((id) => ({ s, id })));
    if (assigning.length > 0) {
      statements.push(...this.createSchemas([ctx.idMap], ctx));
      statements.push(this.createIdMapTable(ctx));
      statements.push(this.createIdKeysTable(ctx));
      statements.push(...this.lockIdMap(ctx));
      const first = statements.length;
      statements.push(...this.renderIdAssignments(assigning, step, ctx));
      for (let i = first; i < statements.length; i++) bookkeeping.push(i);
    }
    statements.push(...renderVocabularyChecks(this, body, ctx));
    const target = this.table(body.target, ctx);
    const query = this.renderQuery(body, ctx);
    let resultStatement: number;
    let staleRowsStatement: number | undefined;
    let countStatement: number | undefined;
    switch (body.mode) {
      case "merge": {
        const merge = this.renderMergeStatements(body, query, ctx, step);
        const first = statements.length;
        statements.push(...merge.statements);
        resultStatement = first + merge.resultStatement;
        if (merge.staleRowsStatement !== undefined) staleRowsStatement = first + merge.staleRowsStatement;
        for (const i of merge.bookkeepingStatements ?? []) bookkeeping.push(first + i);
        break;
      }
      case "replace": {
        const replace = this.renderReplace(body, query, ctx);
        const first = statements.length;
        statements.push(...replace.statements);
        resultStatement = first + replace.result;
        if (replace.count !== undefined) countStatement = first + replace.count;
        break;
      }
      case "rebuild": {
        const rebuilt = tableDefOrColumns(ctx, body.target, body.columns);
        const checked = this.rebuiltKeyChecked(rebuilt);
        statements.push(...this.createSchemas([body.target], ctx));
        statements.push(...this.renderRebuildTable(checked ? { ...rebuilt, primaryKey: [] } : rebuilt, ctx));
        resultStatement = statements.push(`INSERT INTO ${target} ${this.columnList(body.columns)}\n${query}`) - 1;
        if (checked) {
          statements.push(...renderKeyCheck(this, rebuilt, ctx, "Make the step's joins and selects yield one row per key.", true));
          statements.push(...this.renderRebuiltKey(rebuilt, ctx));
        }
        statements.push(...this.renderIndexes(rebuilt, ctx));
        break;
      }
    }
    // A rebuilt table declares its primary key itself, or was checked above (rebuiltKeyChecked).
    if (body.mode !== "rebuild") statements.push(...this.keyChecks(def, ctx, "Make the step's joins and selects yield one row per key."));
    if (body.mode !== "merge") statements.push(...this.afterBulkWrite(body.target, ctx));
    return {
      statements,
      transactional: true,
      resultStatement,
      ...(countStatement !== undefined ? { countStatement } : {}),
      ...(staleRowsStatement !== undefined ? { staleRowsStatement } : {}),
      ...(bookkeeping.length > 0 ? { bookkeepingStatements: bookkeeping } : {}),
    };
  }

  /**
   * Mode replace: the step's slice (or the whole target) deleted and the query's rows inserted, in the step's
   * transaction; `result` is the index of the statement writing the rows, `count` of one counting them where the
   * write returns no count (RenderedStep.countStatement). Engines without multi-statement transactions override it
   * with one atomic statement.
   */
  protected renderReplace(body: TransformBody, query: string, ctx: RenderContext): { statements: string[]; result: number; count?: number } {
    const target = this.table(body.target, ctx);
    const t = this.ident(TARGET_ALIAS);
    const del = body.slice ? `DELETE FROM ${target} AS ${t}\nWHERE ${this.condition(body.slice)}` : `DELETE FROM ${target}`;
    return { statements: [del, `INSERT INTO ${target} ${this.columnList(body.columns)}\n${query}`], result: 1 };
  }

  /**
   * The statements pruning a merge step's target after its MERGE (merge-prune.ts); `produced`: where the keys the
   * step produced already are (a materialised source, {@link mergeSourceMaterialized}), so the select is not run again.
   */
  protected renderMergePrune(body: TransformBody, query: string, step: string, ctx: RenderContext, produced?: ProducedKeys): MergePrune {
    return renderMergePrune(this, body, query, step, ctx, produced);
  }

  /**
   * Whether a merge step first materialises its select's rows, with their key's text, in a temporary table that the
   * MERGE and the prune ([merge-prune.ts](merge-prune.ts)) both read, so the select runs once instead of twice (the
   * prune then reads its keys from that table). Default false: measured side by side (`npm run bench -- merge`, 1M
   * rows, DuckDB and PostgreSQL), storing every row cost as much as or more than running the select again, for a
   * trivial select and for one with a join and a window alike; a dialect whose selects are costly to run twice
   * (a warehouse billing by scan, no cheap re-read) and that has temporary tables returns true.
   */
  protected get mergeSourceMaterialized(): boolean {
    return false;
  }

  /**
   * The statements of a merge step after its vocabulary checks: the upsert ({@link renderMerge}), then the prune of
   * the rows the step wrote in an earlier run whose source is gone ([merge-prune.ts](merge-prune.ts)), each reading
   * the step's rows from `query` or, when {@link mergeSourceMaterialized}, from a temporary table filled once.
   * Indexes in the result are into its own `statements`. Override to render the merge and its prune another way
   * (one statement, a procedure, an engine's own change tracking); keep what `capabilities.merge` promises.
   */
  protected renderMergeStatements(body: TransformBody, query: string, ctx: RenderContext, step: string): MergeStatements {
    if (!this.capabilities.merge) throw new UnsupportedFeatureError(this.dialect, "MERGE (transform mode merge)");
    if (body.key.length === 0) throw invalidPlan(`merge into ${body.target.schema}.${body.target.name} has no key.`);
    const statements: string[] = [];
    let source = query;
    let produced: ProducedKeys | undefined;
    if (this.mergeSourceMaterialized) {
      if (!this.capabilities.tempTables) throw new UnsupportedFeatureError(this.dialect, "mergeSourceMaterialized without temporary tables");
      const s = this.ident(SOURCE_ALIAS);
      const key = this.ident(MERGE_SOURCE_KEY);
      const rows = `SELECT ${s}.*, ${mergeKeyText(this, body, SOURCE_ALIAS)} AS ${key}\nFROM (\n${indent(query)}\n) AS ${s}`;
      const table = this.tempTable(MERGE_SOURCE_TABLE);
      statements.push(...this.createTempTableAs(MERGE_SOURCE_TABLE, rows), ...this.afterTempTable(table));
      source = `SELECT ${list(body.columns.map((c) => this.ident(c.name)))}\nFROM ${table}`;
      produced = { table, column: key };
    }
    statements.push(...this.createSchemas([ctx.idMap], ctx), this.createMergeKeysTable(ctx));
    const merge = this.renderMerge(body, source, ctx);
    statements.push(...(typeof merge === "string" ? [merge] : merge));
    const resultStatement = statements.length - 1;
    // Rows the step wrote earlier whose source is gone are deleted: a re-run equals a fresh run (merge-prune.ts).
    const prune = this.renderMergePrune(body, source, step, ctx, produced);
    const first = statements.length;
    statements.push(...prune.statements);
    if (this.mergeSourceMaterialized) statements.push(...this.dropTempTable(MERGE_SOURCE_TABLE));
    return {
      statements,
      resultStatement,
      staleRowsStatement: first + prune.staleRows,
      bookkeepingStatements: prune.bookkeeping.map((i) => first + i),
    };
  }

  /**
   * The upsert of a merge step, keyed on body.key: inserts new keys, updates rows whose values changed (and only
   * those, so re-running rewrites nothing), leaves other target rows alone. `query` yields the step's rows (the
   * select, or the temporary table they were materialised in). Several statements may be returned: those before the
   * last prepare it (an index the upsert needs, a staging table), and the last one's row count is the step's result
   * (the rows inserted or updated). The base renders one `MERGE INTO`.
   */
  protected renderMerge(body: TransformBody, query: string, ctx: RenderContext): string | string[] {
    if (!this.capabilities.merge) throw new UnsupportedFeatureError(this.dialect, "MERGE (transform mode merge)");
    const t = this.ident(TARGET_ALIAS);
    const s = this.ident(SOURCE_ALIAS);
    const keys = new Set(body.key);
    for (const k of keys) {
      if (!body.columns.some((c) => c.name === k)) throw invalidPlan(`merge key "${k}" is not a column written by the step.`);
    }
    const on = body.key.map((k) => `${t}.${this.ident(k)} = ${s}.${this.ident(k)}`).join(" AND ");
    const others = body.columns.filter((c) => !keys.has(c.name));
    const def = findTableDef(ctx, body.target) ?? { cdm: false };
    const lines = [`MERGE INTO ${this.table(body.target, ctx)} AS ${t}`, `USING (\n${indent(query)}\n) AS ${s}`, `ON ${on}`];
    if (others.length > 0) {
      // Compare as stored: a float value cast to the column's type first, or a DECIMAL column would always differ.
      const changed = others.map((c) => {
        const src = `${s}.${this.ident(c.name)}`;
        const cmp = c.type.kind === "float" ? `CAST(${src} AS ${this.tableColumnTypeName(def, c.type)})` : src;
        return `${t}.${this.ident(c.name)} IS DISTINCT FROM ${cmp}`;
      });
      lines.push(`WHEN MATCHED AND (\n${indent(changed.map((c, i) => (i === 0 ? c : `OR ${c}`)).join("\n"))}\n) THEN`);
      lines.push(indent(`UPDATE SET\n${indent(others.map((c) => `${this.ident(c.name)} = ${s}.${this.ident(c.name)}`).join(",\n"))}`));
    }
    lines.push("WHEN NOT MATCHED THEN");
    lines.push(indent(`INSERT ${this.columnList(body.columns)}`));
    lines.push(indent(`VALUES (${list(body.columns.map((c) => `${s}.${this.ident(c.name)}`))})`));
    return lines.join("\n");
  }
}

/**
 * One step's statements from its parts' (a load of several tables): run one after the other, in one transaction
 * when every part is transactional; each part's result (and count) statement kept, shifted to its place.
 */
function concatParts(parts: readonly RenderedStep[]): RenderedStep {
  const statements: string[] = [];
  const partResults: NonNullable<RenderedStep["partResults"]> = [];
  const bookkeeping: number[] = [];
  const explain: NonNullable<RenderedStep["explainFailure"]> = [];
  for (const p of parts) {
    const at = statements.length;
    statements.push(...p.statements);
    if (p.resultStatement !== undefined) partResults.push({ resultStatement: at + p.resultStatement, ...(p.countStatement !== undefined ? { countStatement: at + p.countStatement } : {}) });
    bookkeeping.push(...(p.bookkeepingStatements ?? []).map((i) => at + i));
    explain.push(...(p.explainFailure ?? []).map((x) => ({ ...x, statement: at + x.statement })));
  }
  const first = partResults[0];
  return {
    statements,
    transactional: parts.every((p) => p.transactional),
    ...(first ? { resultStatement: first.resultStatement, ...(first.countStatement !== undefined ? { countStatement: first.countStatement } : {}), partResults } : {}),
    ...(bookkeeping.length > 0 ? { bookkeepingStatements: bookkeeping } : {}),
    ...(explain.length > 0 ? { explainFailure: explain } : {}),
  };
}
