import type { CastType, Expr, ValueType } from "../../core/expr/ast.js";
import type { LoadBody, TableDef } from "../../core/model/plan.js";
import { BaseSqlGenerator } from "../base/base-generator.js";
import { localPath, uriScheme } from "../base/file-patterns.js";
import { findTableDef, tableDefOrColumns } from "../base/plan-helpers.js";
import { idKeysTableDef } from "../base/id-liveness.js";
import { duckDbFloatText } from "./duckdb-float-text.js";
import { checksHeader, headerMismatchSelect } from "../base/load-header-check.js";
import { emptyFileMessage } from "../base/load-empty-file.js";
import { STAGE_FILE_COLUMN, STAGE_ROW_COLUMN } from "../base/load-values.js";
import { indent, sqlComment } from "../base/sql-text.js";
import type { ProviderCapabilities, RenderContext, RenderedStep } from "../provider-api.js";
import { invalidPlan, UnsupportedFeatureError } from "../provider-errors.js";

/** What DuckDB 1.5 can do (checked against the pinned @duckdb/node-api 1.5.5). */
export const DUCKDB_CAPABILITIES: ProviderCapabilities = {
  // Loads fill file_columns from read_csv(filename = ...).
  fileNameColumns: true,
  merge: true,
  onConflict: true,
  transactionalDdl: true,
  createOrReplaceTable: true,
  serverSideFileLoad: true,
  fileUriSchemes: ["file", "s3", "gs", "gcs", "r2", "az", "azure", "abfss", "http", "https", "hf"],
  fileGlobs: true,
  parquet: true,
  // DuckDB 1.5 supports ALTER TABLE ADD PRIMARY KEY but fails when the key exists, and has no conditional DDL;
  // primary keys are therefore declared in CREATE TABLE (idempotent with IF NOT EXISTS).
  alterTableAddPrimaryKey: true,
  // "Not implemented Error: No support for that ALTER TABLE option yet!"
  alterTableAddForeignKey: false,
  indexes: true,
  // ART indexes serve point lookups only: DuckDB plans no join or range scan through them, yet maintains them on
  // every insert and writes them at every checkpoint (measured: 7 s of the 49 s x1000 Synthea run). OHDSI's
  // analytics scan and join, where zone maps do the pruning. `indexes: true` on the target creates them.
  standardIndexes: false,
  transactions: "multi-statement",
  // One native connection per database, its statements serialised (duckdb-connection.ts).
  singleWriter: true,
  nullsOrdering: true,
  tempTables: true,
  maxIdentifierLength: 1024,
};

/** Alias of the file rows in load statements. */
const FILE_ALIAS = "f";
/** The connection-local table a load's rows are staged in (as text) while their values are checked. */
const STAGE_TABLE = "omopetl_load_stage";
const STAGE = `temp.main.${STAGE_TABLE}`;

/**
 * SQL generation for DuckDB 1.5.
 *
 * Loads read files with read_csv/read_parquet inside the engine. Every CSV field is read as VARCHAR and cast
 * afterwards (dates through strptime with the file's format), so yyyymmdd vocabulary exports load like ISO files
 * and type errors name the column. Columns are matched to the file's header by name, case-insensitively (DuckDB
 * identifiers are case-insensitive); target columns absent from a file are loaded as NULL, which
 * `UNION ALL BY NAME` with an empty row of all target columns achieves in plain SQL. File columns not in the target
 * are ignored.
 */
export class DuckDbGenerator extends BaseSqlGenerator {
  readonly dialect = "duckdb";
  readonly capabilities = DUCKDB_CAPABILITIES;

  override castTypeName(t: CastType): string {
    // DuckDB's NUMERIC is DECIMAL(18,3): fine for storage (OHDSI's DDL uses it) but it would round intermediate
    // results, so casts to float use DOUBLE.
    if (t.kind === "float") return "DOUBLE";
    return super.castTypeName(t);
  }

  protected override renderCast(arg: string, to: CastType, from?: ValueType): string {
    // DuckDB ignores the length of VARCHAR(n); PostgreSQL truncates on an explicit cast. Truncate here too.
    if (to.kind === "varchar" && to.length !== undefined) return `left(CAST(${arg} AS VARCHAR), ${to.length})`;
    return super.renderCast(arg, to, from);
  }

  protected override renderDivision(e: Extract<Expr, { k: "bin" }>, left: string, right: string): string {
    // DuckDB's "/" always divides exactly; "//" is integer division truncating toward zero, like PostgreSQL's.
    if (e.type === "integer" || e.type === "bigint") return `${left} // ${right}`;
    return `${left} / ${right}`;
  }

  protected override renderFunction(e: Extract<Expr, { k: "fn" }>): string {
    const d = e.args[1];
    if (e.name === "split_part" && e.args.length === 3 && !(d?.k === "lit" && typeof d.value === "string" && d.value !== "")) {
      // DuckDB splits by an empty delimiter into characters; PostgreSQL's field 1 is then the whole string.
      const [s, delim, n] = e.args.map((a) => this.expr(a)) as [string, string, string];
      return `(CASE WHEN ${delim} = '' THEN CASE WHEN ${n} = 1 THEN ${s} ELSE '' END ELSE split_part(${s}, ${delim}, ${n}) END)`;
    }
    return super.renderFunction(e);
  }

  protected override floatText(x: string): string {
    return duckDbFloatText(x);
  }

  /** DuckDB returns NULL for x / 0 and x % 0, where PostgreSQL fails: the base generator guards the divisor. */
  protected override get zeroDivisorFails(): boolean {
    return false;
  }

  protected override intDivide(a: string, b: string): string {
    return `${a} // ${b}`;
  }

  protected override binaryCollate(x: string): string {
    // Byte order of UTF-8, whatever default_collation is set to; equals PostgreSQL's COLLATE "C".
    return `${x} COLLATE "binary"`;
  }

  protected override renderCreateSchema(physical: string): string {
    return `CREATE SCHEMA IF NOT EXISTS ${this.ident(physical)}`;
  }

  /**
   * The id map without PRIMARY KEY/UNIQUE: on DuckDB those are ART indexes over millions of long keys, maintained on
   * every insert and rewritten at every checkpoint (measured: ~17 s of the x1000 Synthea run). Uniqueness holds
   * without them: a key is added only when absent (NOT EXISTS), ids are max + row_number, and the compiler chains
   * the steps assigning one domain so two never assign at once.
   */
  protected override createIdMapTable(ctx: RenderContext): string {
    const def = this.idMapTableDef(ctx);
    return `CREATE TABLE IF NOT EXISTS ${this.table(def, ctx)} (\n${indent(this.tableElements(def, "none").join(",\n"))}\n)`;
  }

  /** The id liveness key table without its primary key, for the same reason as the map (inserts check NOT EXISTS). */
  protected override createIdKeysTable(ctx: RenderContext): string {
    return this.createTableSql(idKeysTableDef(ctx), ctx, "CREATE TABLE IF NOT EXISTS", "none");
  }

  /**
   * CDM tables are created without their primary key, as on PostgreSQL (where ddl part "constraints" adds it), and
   * for a reason of DuckDB's own: a key is an ART index, maintained on every insert and rewritten at every
   * checkpoint (measured: 5.5 s of the 45 s x1000 Synthea run). Every write to a CDM table checks its key instead
   * (the base generator's keyChecks), and "constraints" enforces it with a unique index. Other tables declare theirs inline:
   * DuckDB cannot add a primary key idempotently later.
   */
  protected override primaryKeyMode(def: TableDef): "none" | "inline" {
    return def.cdm ? "none" : "inline";
  }

  /**
   * Staging tables a transform rebuilds keep no PRIMARY KEY either: on DuckDB it is an ART index, built on insert and
   * rewritten in full at every later checkpoint of the run (Synthea's encounter_visit_* tables: 600,000 keys each at
   * x1000, one of them over five columns). Their key is checked by one aggregate after the insert, as CDM tables' are.
   */
  protected override rebuiltKeyChecked(_def: TableDef): boolean {
    return true;
  }

  protected override regexFullMatch(x: string, pattern: string): string {
    return `regexp_full_match(${x}, ${this.stringLiteral(pattern)})`;
  }

  /** RE2 with option 's': `.` takes a line break, as PostgreSQL's `.` does (`^`/`$` stay the ends of the text). */
  protected override regexSearch(x: string, pattern: string): string {
    return `regexp_matches(${x}, ${this.stringLiteral(pattern)}, 's')`;
  }

  protected override regexReplaceAll(x: string, pattern: string, replacement: string): string {
    return `regexp_replace(${x}, ${this.stringLiteral(pattern)}, ${this.stringLiteral(replacement)}, 'gs')`;
  }

  /** DuckDB's regexp_extract gives '' without a match, where the catalogue promises NULL. */
  protected override regexExtract(x: string, pattern: string, group: number): string {
    const p = this.stringLiteral(pattern);
    return `(CASE WHEN regexp_matches(${x}, ${p}, 's') THEN regexp_extract(${x}, ${p}, ${group}, 's') END)`;
  }

  protected override floatInRange(v: string): string {
    // DuckDB's NUMERIC is DECIMAL(18,3); TRY_CAST to DOUBLE gives infinity on overflow and 0 on underflow.
    const x = `TRY_CAST(${v} AS DOUBLE)`;
    return `(isfinite(${x}) AND (${x} <> 0 OR NOT regexp_matches(regexp_replace(${v}, '[eE].*$', ''), '[1-9]')))`;
  }


  protected override tempTable(name: string): string {
    return `temp.main.${this.ident(name)}`;
  }

  protected override createTempTableAs(name: string, select: string): string[] {
    return [`CREATE OR REPLACE TEMPORARY TABLE ${this.ident(name)} AS\n${select}`];
  }

  protected override failValue(message: string, type: string): string {
    return `CAST(error(${message}) AS ${type})`;
  }

  /** DuckDB's error() fails the statement; it is only called for a row the query returns. */
  override failIfAny(select: string): string {
    return `SELECT error(a.msg)\nFROM (\n${indent(select)}\n) AS a`;
  }

  protected override renderRebuildTable(def: TableDef, ctx: RenderContext): string[] {
    return [this.createTableSql(def, ctx, "CREATE OR REPLACE TABLE", "inline")];
  }

  protected override renderConstraints(defs: readonly TableDef[], ctx: RenderContext): string[] {
    const out: string[] = [];
    for (const def of defs) {
      const lines: string[] = [];
      const name = this.table(def, ctx);
      if (def.primaryKey.length > 0 && def.cdm) {
        // The primary key as a unique index: DuckDB cannot add a PRIMARY KEY idempotently, but can this.
        const cols = def.primaryKey.map((c) => this.ident(c)).join(", ");
        out.push(`CREATE UNIQUE INDEX IF NOT EXISTS ${this.ident(this.primaryKeyName(def))} ON ${name} (${cols})`);
      } else if (def.primaryKey.length > 0) {
        lines.push(`${name}: primary key (${def.primaryKey.join(", ")}) is declared by its CREATE TABLE (DuckDB cannot add one idempotently).`);
      }
      if (def.foreignKeys.length > 0) {
        lines.push(`${name}: DuckDB cannot add foreign keys to an existing table (ALTER TABLE ADD FOREIGN KEY); not enforced:`);
        for (const fk of def.foreignKeys) {
          lines.push(`  ${fk.column} -> ${this.table(fk.references, ctx)} (${fk.referencesColumn})`);
        }
      }
      if (lines.length > 0) out.push(sqlComment(lines));
    }
    return out;
  }

  protected override renderLoad(body: LoadBody, ctx: RenderContext): RenderedStep {
    if (body.files.length === 0) throw invalidPlan(`load of ${body.target.schema}.${body.target.name} lists no file.`);
    if (body.columns.length === 0) throw invalidPlan(`load of ${body.target.schema}.${body.target.name} has no columns.`);
    const files = body.files.map((f) => {
      const scheme = uriScheme(f);
      if (scheme !== undefined && !this.capabilities.fileUriSchemes.includes(scheme)) {
        throw new UnsupportedFeatureError(this.dialect, `loading from ${scheme}:// URIs`, f);
      }
      return localPath(f);
    });
    const fileList = `[${files.map((f) => this.stringLiteral(f)).join(", ")}]`;
    const format = body.format;
    const statements: string[] = [];
    const def = findTableDef(ctx, body.target);
    if (!def?.cdm) {
      statements.push(this.renderCreateSchema(this.physicalSchema(body.target.schema, ctx)));
      // Recreated at every run, not CREATE TABLE IF NOT EXISTS: a table made by an earlier run with another declaration
      // (a renamed column, another type) would otherwise stay, and a re-run would differ from a fresh run.
      statements.push(...this.renderRebuildTable(tableDefOrColumns(ctx, body.target, [...body.columns, ...this.fileColumnValues(body, "").map((c) => c.def)]), ctx));
    }
    // Before anything reads the files: read_blob lists them (globs expanded) with their sizes, not their contents.
    const empty = [`SELECT ${emptyFileMessage((s) => this.stringLiteral(s), "b.filename", body)} AS msg`, `FROM read_blob(${fileList}) AS b`, "WHERE b.size = 0", `ORDER BY ${this.binaryCollate("b.filename")}`, "LIMIT 1"];
    statements.push(this.failIfAny(empty.join("\n")));
    const target = this.table(body.target, ctx);
    const f = this.ident(FILE_ALIAS);
    let source: string;
    let values: string[];
    let reader: string;
    let stagedSource: string | undefined;
    if (format.type === "parquet") {
      if (body.fileColumns?.length) throw new UnsupportedFeatureError(this.dialect, "file_columns for Parquet files");
      if (body.rejects) throw new UnsupportedFeatureError(this.dialect, "on_error: reject for Parquet files", undefined, "Parquet values are typed by their file; remove on_error.");
      reader = `read_parquet(${fileList}, union_by_name = true)`;
      // Parquet is typed: the empty row carries the target types so union by name keeps them; values are cast.
      const empty = body.columns.map((c) => `CAST(NULL AS ${this.castTypeName(c.type)}) AS ${this.ident(c.name)}`);
      source = [
        `SELECT * FROM read_parquet(${fileList}, union_by_name = true)`,
        "UNION ALL BY NAME",
        `SELECT\n${indent(empty.join(",\n"))}`,
        "WHERE false",
      ].join("\n");
      values = body.columns.map((c) => `CAST(${f}.${this.ident(c.name)} AS ${this.castTypeName(c.type)})`);
    } else {
      const quote = format.quote ?? "";
      const options = [
        `header = ${format.header ? "true" : "false"}`,
        `delim = ${this.stringLiteral(format.delimiter)}`,
        `quote = ${this.stringLiteral(quote)}`,
        `escape = ${this.stringLiteral(quote)}`,
        "all_varchar = true",
        // A quoted empty field is an empty string, an unquoted one NULL (as PostgreSQL's COPY does).
        "allow_quoted_nulls = false",
      ];
      reader = `read_csv(${fileList}, ${options.join(", ")})`;
      // Staged rows name their file (the value checks say which file and row a bad value is in).
      const named = [...options, `filename = ${this.stringLiteral(STAGE_FILE_COLUMN)}`];
      if (format.header) {
        options.push("union_by_name = true");
        named.push("union_by_name = true");
        reader = `read_csv(${fileList}, ${options.join(", ")})`;
        const empty = body.columns.map((c) => `CAST(NULL AS VARCHAR) AS ${this.ident(c.name)}`);
        const unioned = (opts: string[]): string =>
          [`SELECT * FROM read_csv(${fileList}, ${opts.join(", ")})`, "UNION ALL BY NAME", `SELECT\n${indent(empty.join(",\n"))}`, "WHERE false"].join("\n");
        source = unioned(options);
        stagedSource = unioned(named);
      } else {
        // No header: the file's columns are the target's, in order.
        const struct = `{${body.columns.map((c) => `${this.stringLiteral(c.name)}: 'VARCHAR'`).join(", ")}}`;
        source = `SELECT * FROM read_csv(${fileList}, ${options.join(", ")}, columns = ${struct})`;
        stagedSource = `SELECT * FROM read_csv(${fileList}, ${named.join(", ")}, columns = ${struct})`;
      }
      values = body.columns.map((c) => this.loadValue(`${f}.${this.ident(c.name)}`, c, format));
    }
    if (checksHeader(body, def?.cdm === true)) {
      const names = `SELECT column_name AS name, row_number() OVER () AS pos\nFROM (DESCRIBE SELECT * FROM ${reader})`;
      statements.push(this.failIfAny(headerMismatchSelect(this, body, names)));
    }
    // No row is written unless every value converts. With on_error: reject, the files' rows are staged as text,
    // numbered in file order (row_number() over the scan follows the files' order, and the files' list order), and
    // the rows holding a bad value are diverted to the rejects table. Otherwise the insert reads the files once,
    // checking every value as it goes (loadCheckedSource) and failing at the first bad one with a marker; only then
    // are the rows staged and probed (explainFailure), for the message naming file, row and column. Staging first
    // cost more than the insert itself: 4.8 of the 11.2 s of Synthea's x1000 load, the probe another 1.6 s.
    const probe = stagedSource === undefined ? undefined : this.loadValueProbe(body, STAGE);
    const rejects = stagedSource === undefined ? undefined : this.loadRejects(body, STAGE, f, ctx);
    const staged = rejects?.staged === true;
    // File columns read the file name DuckDB gives each row (filename = ...): the staged reader's.
    const fileValues = this.fileColumnValues(body, `${f}.${STAGE_FILE_COLUMN}`);
    let from = `FROM (\n${indent(fileValues.length > 0 && !staged ? stagedSource! : source)}\n) AS ${f}`;
    const stageStatement = (): string => {
      const cols = body.columns.map((c) => `${f}.${this.ident(c.name)}`);
      return [
        `CREATE OR REPLACE TEMPORARY TABLE ${this.ident(STAGE_TABLE)} AS`,
        `SELECT row_number() OVER () AS ${STAGE_ROW_COLUMN}, ${f}.${STAGE_FILE_COLUMN}, ${cols.join(", ")}`,
        `FROM (\n${indent(stagedSource!)}\n) AS ${f}`,
      ].join("\n");
    };
    let explain: string[] | undefined;
    if (staged) {
      statements.push(stageStatement());
      from = `FROM ${STAGE} AS ${f}`;
    } else if (probe !== undefined) {
      const files = body.files.join(", ");
      // Seen alone only where the SQL runs without omopetl (compile --sql-dir), which runs the probe after it.
      const marker = `LOAD_BAD_VALUE: a value of ${files} does not convert to its column's type (omopetl run names its file, row and column).`;
      const checked = this.loadCheckedSource(body, fileValues.length > 0 ? stagedSource! : source, marker);
      if (checked !== undefined) {
        from = `FROM (\n${indent(checked)}\n) AS ${f}`;
        explain = [stageStatement(), probe, `DROP TABLE IF EXISTS ${STAGE}`];
      }
    }
    if (rejects) statements.push(...rejects.statements);
    if (rejects?.keep) from += `\nWHERE ${rejects.keep}`;
    if (def?.cdm) statements.push(`DELETE FROM ${target}`);
    const insert = [
      `INSERT INTO ${target} ${this.columnList([...body.columns, ...fileValues.map((c) => c.def)])}`,
      "SELECT",
      indent([...values.map((v, i) => `${v} AS ${this.ident(body.columns[i]!.name)}`), ...fileValues.map((c) => `${c.value} AS ${this.ident(c.def.name)}`)].join(",\n")),
      from,
    ].join("\n");
    const resultStatement = statements.push(insert) - 1;
    statements.push(...this.loadKeyChecks(def, body, ctx));
    if (staged) statements.push(`DROP TABLE IF EXISTS ${STAGE}`);
    if (rejects) statements.push(...rejects.cleanup);
    return { statements, transactional: true, resultStatement, ...(explain ? { explainFailure: [{ statement: resultStatement, statements: explain }] } : {}) };
  }
}
