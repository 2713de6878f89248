import type { Expr } from "../../core/expr/ast.js";
import type { LoadBody, TableDef, TableRef } from "../../core/model/plan.js";
import { BaseSqlGenerator } from "../base/base-generator.js";
import { globToRegex, hasGlob, localPath, splitDirectory, uriScheme } from "../base/file-patterns.js";
import { findTableDef, tableDefOrColumns } from "../base/plan-helpers.js";
import { checksHeader, headerMismatchSelect } from "../base/load-header-check.js";
import { emptyFileMessage } from "../base/load-empty-file.js";
import { STAGE_FILE_COLUMN, STAGE_ROW_COLUMN } from "../base/load-values.js";
import { dollarTag, indent, sqlComment } from "../base/sql-text.js";
import type { ProviderCapabilities, RenderContext, RenderedStep } from "../provider-api.js";
import { invalidPlan, UnsupportedFeatureError } from "../provider-errors.js";

/** What PostgreSQL 15 can do. */
export const POSTGRES_CAPABILITIES: ProviderCapabilities = {
  // Loads fill file_columns from the file each staged row records (COPY per file).
  fileNameColumns: true,
  merge: true,
  onConflict: true,
  transactionalDdl: true,
  createOrReplaceTable: false,
  // COPY FROM '<file>' runs in the server and reads the server's file system.
  serverSideFileLoad: true,
  fileUriSchemes: ["file"],
  fileGlobs: true,
  parquet: false,
  alterTableAddPrimaryKey: true,
  alterTableAddForeignKey: true,
  indexes: true,
  nullsOrdering: true,
  tempTables: true,
  // NAMEDATALEN - 1: longer names are silently truncated by the server, so they are rejected instead.
  maxIdentifierLength: 63,
  transactions: "multi-statement",
  singleWriter: false,
};

/** The session-local staging table of loads (dropped at commit). */
const STAGE_TABLE = "omopetl_load_stage";
/** Alias of the staged rows in load statements. */
const FILE_ALIAS = "f";
/** Bytes read to find a file's header line. */
const HEADER_BYTES = 1048576;

/**
 * SQL generation for PostgreSQL 15 (MERGE needs 15).
 *
 * Loads are engine-side: `COPY ... FROM '<path>'` reads the file in the server process, so paths are the server's
 * (the client never reads rows). Because COPY needs the file's columns in order, a DO block reads the header line
 * (pg_read_binary_file), maps header names to target columns case-insensitively (unknown file columns go to
 * throw-away staging columns; target columns absent from the file stay NULL), and COPYs every file into a temporary
 * table of text columns; an INSERT ... SELECT then casts into the target. Globs in the last path segment are
 * expanded by the server too (pg_ls_dir, sorted by name). This needs superuser or the pg_read_server_files role
 * (plus EXECUTE on pg_read_binary_file and pg_ls_dir). URIs other than file:// and Parquet are not supported.
 */
export class PostgresGenerator extends BaseSqlGenerator {
  /** A DO block: PostgreSQL has no error() function to call from a query. */
  override failIfAny(select: string): string {
    const tag = dollarTag(select);
    return `DO ${tag}\nDECLARE m text;\nBEGIN\n  SELECT a.msg INTO m FROM (\n${indent(indent(select))}\n  ) AS a LIMIT 1;\n  IF m IS NOT NULL THEN RAISE EXCEPTION '%', m; END IF;\nEND\n${tag}`;
  }

  readonly dialect = "postgres";
  readonly capabilities = POSTGRES_CAPABILITIES;

  /**
   * Strings with backslashes use the E'' form with backslashes doubled, so they mean the same whether or not the
   * server has standard_conforming_strings on (with it off, a trailing backslash in '...' would escape the quote).
   */
  override stringLiteral(s: string): string {
    const plain = super.stringLiteral(s);
    return s.includes("\\") ? `E${plain.replace(/\\/g, "\\\\")}` : plain;
  }

  protected override renderDivision(e: Extract<Expr, { k: "bin" }>, left: string, right: string): string {
    const integral = (t: string): boolean => t === "integer" || t === "bigint";
    // A float quotient of two integers needs a floating operand (as DuckDB's "/" divides in DOUBLE).
    if (e.type === "float" && integral(e.left.type) && integral(e.right.type)) return `CAST(${left} AS DOUBLE PRECISION) / ${right}`;
    return `${left} / ${right}`;
  }

  protected override renderRound(e: Extract<Expr, { k: "fn" }>): string {
    // round(double precision) rounds half to even and round(double, int) does not exist: round as numeric.
    const args = [`CAST(${this.expr(e.args[0]!)} AS NUMERIC)`, ...e.args.slice(1).map((a) => this.expr(a))];
    return this.castToNodeType(this.call("round", args), e);
  }

  protected override extractInt(part: string, x: string): string {
    // EXTRACT returns numeric (with fractional seconds); bigint keeps the arithmetic of date_diff exact and integral.
    if (part === "second") return `CAST(FLOOR(EXTRACT(SECOND FROM ${x})) AS BIGINT)`;
    return `CAST(EXTRACT(${part.toUpperCase()} FROM ${x}) AS BIGINT)`;
  }

  protected override renderDatePart(part: string, d: Expr): string {
    const x = d.type === "date" && (part === "hour" || part === "minute" || part === "second") ? `CAST(${this.expr(d)} AS TIMESTAMP)` : this.expr(d);
    if (part === "second") return `CAST(FLOOR(EXTRACT(SECOND FROM ${x})) AS INTEGER)`;
    return `CAST(EXTRACT(${part.toUpperCase()} FROM ${x}) AS INTEGER)`;
  }

  protected override renderMakeDate(args: readonly Expr[]): string {
    // make_date takes integers; PostgreSQL does not narrow bigint implicitly.
    return this.call(
      "make_date",
      args.map((a) => (a.type === "integer" ? this.expr(a) : `CAST(${this.expr(a)} AS INTEGER)`)),
    );
  }

  protected override binaryCollate(x: string): string {
    return `${x} COLLATE "C"`;
  }

  protected override renderCreateSchema(physical: string): string {
    // CREATE SCHEMA IF NOT EXISTS still needs CREATE on the database; checking first lets users whose DBA created
    // the schemas run without that privilege.
    const body = [
      "BEGIN",
      `  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = ${this.stringLiteral(physical)}) THEN`,
      `    CREATE SCHEMA ${this.ident(physical)};`,
      "  END IF;",
      "END",
    ].join("\n");
    return this.doBlock(body);
  }

  private doBlock(body: string): string {
    const tag = dollarTag(body);
    return `DO ${tag}\n${body}\n${tag}`;
  }

  /** Fresh statistics for the planner: a just-loaded table would otherwise be planned as empty. */
  /** From the catalog: information_schema.tables hides the tables the role has no privilege on. */
  override renderExistingTables(tables: readonly TableRef[], ctx: RenderContext): string {
    const one = (t: TableRef) => `(n.nspname = ${this.stringLiteral(this.physicalSchema(t.schema, ctx))} AND c.relname = ${this.stringLiteral(t.name)})`;
    return [
      "SELECT n.nspname AS schema_name, c.relname AS table_name",
      "FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace",
      `WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND (${tables.map(one).join("\n   OR ") || "FALSE"})`,
    ].join("\n");
  }

  protected override afterBulkWrite(target: TableRef, ctx: RenderContext): string[] {
    return [`ANALYZE ${this.table(target, ctx)}`];
  }

  /** Autovacuum never analyses temporary tables: without statistics the merge prune's joins are planned blind. */
  override afterTempTable(table: string): string[] {
    return [`ANALYZE ${table}`];
  }

  protected override renderRebuildTable(def: TableDef, ctx: RenderContext): string[] {
    // Transactional DDL: DROP and CREATE commit together with the INSERT that follows. The primary key is declared
    // under the name the constraints step uses, so that step finds it. A table other tables reference by foreign
    // key cannot be dropped: PostgreSQL then fails the step rather than dropping those keys (no CASCADE).
    return [`DROP TABLE IF EXISTS ${this.table(def, ctx)}`, this.createTableSql(def, ctx, "CREATE TABLE", "named")];
  }

  /**
   * A rebuilt table's key is checked by the aggregate every engine runs (the same message as DuckDB's), then declared:
   * the unique index is built once over the inserted rows instead of maintained row by row.
   */
  protected override rebuiltKeyChecked(_def: TableDef): boolean {
    return true;
  }

  /** The primary key under the name the constraints step looks for, added after the insert and its check. */
  protected override renderRebuiltKey(def: TableDef, ctx: RenderContext): string[] {
    if (def.primaryKey.length === 0) return [];
    const cols = def.primaryKey.map((c) => this.ident(c)).join(", ");
    return [`ALTER TABLE ${this.table(def, ctx)} ADD CONSTRAINT ${this.ident(this.primaryKeyName(def))} PRIMARY KEY (${cols})`];
  }

  /** `IF NOT EXISTS (constraint conname on table) THEN ALTER TABLE ... END IF;` inside a DO block. */
  private guardedConstraint(def: TableDef, ctx: RenderContext, name: string, definition: string): string {
    const table = this.table(def, ctx);
    return [
      "  IF NOT EXISTS (",
      "    SELECT 1 FROM pg_catalog.pg_constraint",
      `    WHERE conrelid = ${this.stringLiteral(table)}::regclass AND conname = ${this.stringLiteral(name)}`,
      "  ) THEN",
      `    ALTER TABLE ${table} ADD CONSTRAINT ${this.ident(name)} ${definition};`,
      "  END IF;",
    ].join("\n");
  }

  protected override renderConstraints(defs: readonly TableDef[], ctx: RenderContext): string[] {
    const out: string[] = [];
    for (const def of defs) {
      if (def.primaryKey.length === 0) continue;
      const pk = `PRIMARY KEY (${def.primaryKey.map((c) => this.ident(c)).join(", ")})`;
      out.push(this.doBlock(`BEGIN\n${this.guardedConstraint(def, ctx, this.primaryKeyName(def), pk)}\nEND`));
    }
    for (const def of defs) {
      const blocks: string[] = [];
      const notInPlan: string[] = [];
      const notKey: string[] = [];
      for (const fk of def.foreignKeys) {
        const referenced = findTableDef(ctx, fk.references);
        const text = `  ${fk.column} -> ${this.table(fk.references, ctx)} (${fk.referencesColumn})`;
        // Only tables of the plan are known to exist (and to have their keys): a key into any other table would
        // fail the step, so it is listed instead.
        if (!referenced) {
          notInPlan.push(text);
          continue;
        }
        // A foreign key needs a unique key on the referenced column; the spec has a few pointing at columns that
        // are not primary keys (e.g. into tables without one). Those cannot be created either.
        if (!(referenced.primaryKey.length === 1 && referenced.primaryKey[0] === fk.referencesColumn)) {
          notKey.push(text);
          continue;
        }
        const definition = `FOREIGN KEY (${this.ident(fk.column)}) REFERENCES ${this.table(fk.references, ctx)} (${this.ident(fk.referencesColumn)})`;
        blocks.push(this.guardedConstraint(def, ctx, this.foreignKeyName(def, fk.column), definition));
      }
      if (blocks.length > 0) out.push(this.doBlock(`BEGIN\n${blocks.join("\n")}\nEND`));
      const notes: string[] = [];
      if (notInPlan.length > 0) notes.push(`${this.table(def, ctx)}: foreign keys not created, the referenced table is not part of this plan:`, ...notInPlan);
      if (notKey.length > 0) notes.push(`${this.table(def, ctx)}: foreign keys not created, the referenced column is not a primary key:`, ...notKey);
      if (notes.length > 0) out.push(sqlComment(notes));
    }
    return out;
  }

  /** PostgreSQL enforces varchar(n) on insert itself, with the message the other engines copy. */
  protected override varcharLength(value: string, _length: number): string {
    return value;
  }

  protected override tempTable(name: string): string {
    return `pg_temp.${this.ident(name)}`;
  }

  /** Dropped at commit; dropped first in case an earlier step left one in the same still-open transaction. */
  protected override createTempTableAs(name: string, select: string): string[] {
    return [`DROP TABLE IF EXISTS ${this.tempTable(name)}`, `CREATE TEMPORARY TABLE ${this.ident(name)} ON COMMIT DROP AS\n${select}`];
  }

  /** ON COMMIT DROP does it. */
  protected override dropTempTable(_name: string): string[] {
    return [];
  }

  protected override lockIdMap(ctx: RenderContext): string[] {
    // Ids are MAX(id)+n: two steps assigning at once would compute the same ids. This lock serialises assigners
    // (it conflicts with itself and with writers) but not readers; it is held to the end of the step's transaction.
    return [`LOCK TABLE ${this.table(ctx.idMap, ctx)} IN SHARE ROW EXCLUSIVE MODE`];
  }

  protected override renderLoad(body: LoadBody, ctx: RenderContext): RenderedStep {
    const where = `${body.target.schema}.${body.target.name}`;
    if (body.files.length === 0) throw invalidPlan(`load of ${where} lists no file.`);
    if (body.columns.length === 0) throw invalidPlan(`load of ${where} has no columns.`);
    if (body.format.type === "parquet") {
      throw new UnsupportedFeatureError(this.dialect, "loading Parquet files", undefined, "Convert the files to CSV, or load them with the duckdb provider.");
    }
    const format = body.format;
    if (format.delimiter.length !== 1 || Buffer.byteLength(format.delimiter) !== 1) {
      throw new UnsupportedFeatureError(this.dialect, `the delimiter ${JSON.stringify(format.delimiter)}`, "COPY needs a one-byte delimiter");
    }
    // Unquoted files (Athena exports): CSV mode with a quote character that never occurs in text, so '"' is data.
    const quote = format.quote ?? "\b";
    if (quote.length !== 1 || Buffer.byteLength(quote) !== 1 || quote === format.delimiter) {
      throw new UnsupportedFeatureError(this.dialect, `the quote character ${JSON.stringify(format.quote)}`, "COPY needs a one-byte quote character other than the delimiter");
    }

    const statements: string[] = [];
    const def = findTableDef(ctx, body.target);
    if (!def?.cdm) {
      statements.push(this.renderCreateSchema(this.physicalSchema(body.target.schema, ctx)));
      // Recreated at every run, not CREATE TABLE IF NOT EXISTS: a table made by an earlier run with another declaration
      // (a renamed column, another type) would otherwise stay, and a re-run would differ from a fresh run.
      statements.push(...this.renderRebuildTable(tableDefOrColumns(ctx, body.target, [...body.columns, ...this.fileColumnValues(body, "").map((c) => c.def)]), ctx));
    }
    const stage = `pg_temp.${this.ident(STAGE_TABLE)}`;
    // Dropped first in case an earlier load ran in the same still-open transaction (ON COMMIT DROP not yet fired).
    statements.push(`DROP TABLE IF EXISTS ${stage}`);
    const probe = this.loadValueProbe(body, stage);
    const f = this.ident(FILE_ALIAS);
    const rejects = this.loadRejects(body, stage, f, ctx);
    const fileValues = this.fileColumnValues(body, `${f}.${STAGE_FILE_COLUMN}`);
    // File columns read the file each staged row records, as the value checks do.
    const numbered = probe !== undefined || rejects?.staged === true || fileValues.length > 0;
    // With value checks, each staged row records its file and its order (an identity, which COPY fills in file order).
    const numbering = !numbered ? [] : [`${STAGE_ROW_COLUMN} BIGINT GENERATED ALWAYS AS IDENTITY`, `${STAGE_FILE_COLUMN} TEXT`];
    const stageColumns = [...numbering, ...body.columns.map((c) => `${this.ident(c.name)} TEXT`)];
    statements.push(`CREATE TEMPORARY TABLE ${this.ident(STAGE_TABLE)} (\n${indent(stageColumns.join(",\n"))}\n) ON COMMIT DROP`);
    statements.push(this.copyFilesBlock(body, stage, quote, checksHeader(body, def?.cdm === true), numbered));
    if (probe !== undefined) statements.push(probe);
    if (rejects) statements.push(...rejects.statements);

    const target = this.table(body.target, ctx);
    if (def?.cdm) statements.push(`DELETE FROM ${target}`);
    const insert = [
      `INSERT INTO ${target} ${this.columnList([...body.columns, ...fileValues.map((c) => c.def)])}`,
      "SELECT",
      indent(
        [...body.columns.map((c) => `${this.loadValue(`${f}.${this.ident(c.name)}`, c, format)} AS ${this.ident(c.name)}`), ...fileValues.map((c) => `${c.value} AS ${this.ident(c.def.name)}`)].join(",\n"),
      ),
      `FROM ${stage} AS ${f}`,
      ...(rejects?.keep ? [`WHERE ${rejects.keep}`] : []),
    ].join("\n");
    const resultStatement = statements.push(insert) - 1;
    statements.push(...this.loadKeyChecks(def, body, ctx));
    statements.push(...this.afterBulkWrite(body.target, ctx));
    if (rejects) statements.push(...rejects.cleanup);
    return { statements, transactional: true, resultStatement };
  }

  /** A one-character string: control characters (tab, backspace) as chr(n) so the SQL stays printable. */
  private charLiteral(ch: string): string {
    const code = ch.codePointAt(0) ?? 0;
    return code < 32 || code === 127 ? `chr(${code})` : this.stringLiteral(ch);
  }

  /** The DO block that expands globs, reads headers and COPYs every file into the staging table. */
  private copyFilesBlock(body: LoadBody, stage: string, quote: string, checkHeader: boolean, numbered: boolean): string {
    const lit = (s: string): string => this.stringLiteral(s);
    const expand: string[] = [];
    for (const file of body.files) {
      const scheme = uriScheme(file);
      if (scheme !== undefined && scheme !== "file") {
        throw new UnsupportedFeatureError(this.dialect, `loading from ${scheme}:// URIs`, file, "Download the files to the database server first, or use the duckdb provider.");
      }
      const path = localPath(file);
      if (!path.startsWith("/")) throw invalidPlan(`load file "${file}" is not an absolute path; the database server resolves paths.`);
      if (!hasGlob(path)) {
        expand.push(`files := array_append(files, ${lit(path)});`);
        continue;
      }
      const { dir, base } = splitDirectory(path);
      if (hasGlob(dir)) throw new UnsupportedFeatureError(this.dialect, "glob characters in directory names", path, "Only the file name may be a pattern.");
      const regex = globToRegex(base);
      if (regex === undefined) throw invalidPlan(`load file pattern "${file}" is malformed.`);
      const prefix = dir.endsWith("/") ? dir : `${dir}/`;
      expand.push(
        [
          `matches := ARRAY(`,
          `  SELECT ${lit(prefix)} || entry FROM pg_catalog.pg_ls_dir(${lit(dir)}) AS entry`,
          `  WHERE entry ~ ${lit(regex)} ORDER BY entry COLLATE "C"`,
          `);`,
          `IF cardinality(matches) = 0 THEN`,
          `  RAISE EXCEPTION 'No files found that match the pattern %', ${lit(path)};`,
          `END IF;`,
          `files := files || matches;`,
        ].join("\n"),
      );
    }
    const columns = `ARRAY[${body.columns.map((c) => lit(c.name)).join(", ")}]::text[]`;
    const copyOptions = `FORMAT csv, HEADER ${body.format.header ? "true" : "false"}, DELIMITER %L, QUOTE %L, ENCODING %L`;
    // A 0-byte file is refused before it is copied (src/core/load/empty-file.ts).
    const emptyCheck = [`IF length(head) = 0 THEN`, `  RAISE EXCEPTION '%', ${emptyFileMessage(lit, "f", body)};`, `END IF;`];
    const perFile = body.format.header
      ? [
          `head := pg_catalog.pg_read_binary_file(f, 0, ${HEADER_BYTES});`,
          ...emptyCheck,
          `eol := position(decode('0a', 'hex') IN head);`,
          `IF eol = 0 AND length(head) = ${HEADER_BYTES} THEN`,
          `  RAISE EXCEPTION 'the header line of % is longer than ${HEADER_BYTES} bytes', f;`,
          `END IF;`,
          `header := convert_from(CASE WHEN eol > 0 THEN substring(head FROM 1 FOR eol - 1) ELSE head END, 'UTF8');`,
          `header := regexp_replace(rtrim(header, chr(13)), '^' || chr(65279), '');`,
          `IF header = '' THEN`,
          `  RAISE EXCEPTION 'file % has no header line', f;`,
          `END IF;`,
          `copy_columns := ARRAY[]::text[];`,
          `FOREACH field IN ARRAY string_to_array(header, ${this.charLiteral(body.format.delimiter)}) LOOP`,
          ...(body.format.quote !== null
            ? [
                `  IF length(field) >= 2 AND left(field, 1) = ${this.charLiteral(body.format.quote)} AND right(field, 1) = ${this.charLiteral(body.format.quote)} THEN`,
                `    field := replace(substr(field, 2, length(field) - 2), ${this.charLiteral(body.format.quote + body.format.quote)}, ${this.charLiteral(body.format.quote)});`,
                `  END IF;`,
              ]
            : []),
          `  IF NOT field = ANY(header_names) THEN`,
          `    header_names := array_append(header_names, field);`,
          `  END IF;`,
          `  matched := (SELECT c FROM unnest(target_columns) AS c WHERE lower(c) = lower(field) LIMIT 1);`,
          `  IF matched IS NULL OR matched = ANY(copy_columns) THEN`,
          `    -- a file column the target does not have (or a repeated one): staged, then ignored`,
          `    extra := extra + 1;`,
          `    matched := 'omopetl_extra_' || extra;`,
          `    EXECUTE format('ALTER TABLE ${stage} ADD COLUMN %I text', matched);`,
          `  END IF;`,
          `  copy_columns := array_append(copy_columns, matched);`,
          `END LOOP;`,
        ]
      : [`head := pg_catalog.pg_read_binary_file(f, 0, 1);`, ...emptyCheck, `copy_columns := target_columns;`];
    const code = [
      "DECLARE",
      `  target_columns text[] := ${columns};`,
      "  files text[] := ARRAY[]::text[];",
      "  matches text[];",
      "  f text;",
      "  head bytea;",
      "  eol integer;",
      "  header text;",
      "  field text;",
      "  matched text;",
      "  copy_columns text[];",
      "  extra integer := 0;",
      "  header_names text[] := ARRAY[]::text[];",
      "  mismatch text;",
      "BEGIN",
      indent(expand.join("\n")),
      "  FOREACH f IN ARRAY files LOOP",
      indent(
        [
          ...perFile,
          ...(numbered ? [`EXECUTE format('ALTER TABLE ${stage} ALTER COLUMN ${STAGE_FILE_COLUMN} SET DEFAULT %L', f);`] : []),
          `EXECUTE format(`,
          `  'COPY ${stage} (%s) FROM %L WITH (${copyOptions})',`,
          `  (SELECT string_agg(quote_ident(c), ', ') FROM unnest(copy_columns) AS c), f, ${this.charLiteral(body.format.delimiter)}, ${this.charLiteral(quote)}, 'UTF8'`,
          `);`,
        ].join("\n"),
        4,
      ),
      "  END LOOP;",
      ...(checkHeader
        ? [
            "  -- a declared column in no file's header (after the files were copied: the transaction undoes them)",
            indent(`SELECT a.msg INTO mismatch FROM (\n${indent(headerMismatchSelect(this, body, "SELECT h.name, h.pos FROM unnest(header_names) WITH ORDINALITY AS h(name, pos)"))}\n) AS a;`),
            "  IF mismatch IS NOT NULL THEN",
            "    RAISE EXCEPTION '%', mismatch;",
            "  END IF;",
          ]
        : []),
      "END",
    ].join("\n");
    return this.doBlock(code);
  }
}
