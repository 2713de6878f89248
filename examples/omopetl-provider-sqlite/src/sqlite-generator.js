/**
 * SQL generation for SQLite (3.44 or later, as bundled by better-sqlite3 12), written against omopetl's public
 * provider API only (`omopetl/provider`). It extends the shared BaseSqlGenerator and overrides the hooks where
 * SQLite differs from the PostgreSQL semantics omopetl promises (docs/semantics.md):
 *
 * - no date type: dates and timestamps are ISO text, computed by functions the connection registers
 *   (sql-functions.js: `omopetl_date_add`, `omopetl_date_diff`, ...);
 * - casts are lenient (`CAST('abc' AS REAL)` is 0, `CAST(2.5 AS INTEGER)` is 2, `CAST('2020-01-01' AS DATE)` is
 *   2020): every cast goes through {@link SqliteGenerator#convert}, which checks and converts like PostgreSQL;
 * - integers are 64-bit (`2147483647 + 1` does not fail): integer arithmetic is range-checked;
 * - `LIKE` ignores ASCII case, `upper` maps ASCII only, `x / 0` is NULL: registered functions instead;
 * - schemas are attached database files (`CREATE SCHEMA IF NOT EXISTS x` is executed by the connection as ATTACH,
 *   which SQLite refuses inside a transaction, so {@link SqliteGenerator#renderStep} puts them first);
 * - no MERGE: transform mode merge is an upsert (`INSERT ... ON CONFLICT (key) DO UPDATE ... WHERE changed`);
 * - no CSV reader: loads read the table-valued function `omopetl_read_csv` (csv-reader.js).
 */
import {
  BaseCatalogSql,
  BaseLedgerSql,
  BaseSqlGenerator,
  UnsupportedFeatureError,
  checksHeader,
  headerMismatchSelect,
  indent,
  invalidPlan,
  localPath,
  objectName,
  sqlComment,
  tableDefOrColumns,
  uriScheme,
} from "omopetl/provider";
import { SQLITE_CAPABILITIES } from "./sqlite-capabilities.js";

/** Alias of the staged file rows in load statements. */
const FILE_ALIAS = "f";
/** The connection-local table a load's rows are staged in (as text) while their values are checked. */
const STAGE_TABLE = "omopetl_load_stage";
const STAGE = `temp.${STAGE_TABLE}`;
/** Columns of the stage besides the target's (the names omopetl's value checks read: load-values.ts). */
const STAGE_FILE_COLUMN = "omopetl_file";
const STAGE_ROW_COLUMN = "omopetl_row";

/** SQLite's keywords (https://sqlite.org/lang_keywords.html): quoted when used as identifiers. */
const SQLITE_KEYWORDS = new Set(
  `abort action add after all alter always analyze and as asc attach autoincrement before begin between by cascade case
  cast check collate column commit conflict constraint create cross current current_date current_time
  current_timestamp database default deferrable deferred delete desc detach distinct do drop each else end escape
  except exclude exclusive exists explain fail filter first following for foreign from full generated glob group
  groups having if ignore immediate in index indexed initially inner insert instead intersect into is isnull join
  key last left like limit match materialized natural no not nothing notnull null nulls of offset on or order others
  outer over partition plan pragma preceding primary query raise range recursive references regexp reindex release
  rename replace restrict returning right rollback row rows savepoint select set table temp temporary then ties to
  transaction trigger unbounded union unique update using vacuum values view virtual when where window with without
  true false rowid oid _rowid_`.split(/\s+/),
);

/** The statement the connection executes as ATTACH (see sqlite-connection.js). */
const CREATE_SCHEMA = /^CREATE SCHEMA IF NOT EXISTS /;

const INTEGRAL = new Set(["integer", "bigint"]);

/** Function renames: the catalogue's name -> the registered function computing PostgreSQL's result. */
const RENAMED = {
  lower: "omopetl_lower",
  upper: "omopetl_upper",
  left: "omopetl_left",
  right: "omopetl_right",
  substr: "omopetl_substr",
  split_part: "omopetl_split_part",
  md5: "omopetl_md5",
  greatest: "omopetl_greatest",
  least: "omopetl_least",
  sqrt: "omopetl_sqrt",
  power: "omopetl_power",
  strpos: "instr",
  translate: "omopetl_translate",
};

/**
 * omopetl's own tables (run ledger, row accounting, coverage): standard SQL but for timestamps, which are ISO text
 * here (no `TIMESTAMP '...'` literal). `ADD COLUMN IF NOT EXISTS`, which SQLite has not either and which no SQL
 * statement can express conditionally, is executed by the connection after a look at the table's columns.
 */
class SqliteLedgerSql extends BaseLedgerSql {
  timestamp(d) {
    return this.quoting.stringLiteral(d.toISOString().replace("T", " ").replace("Z", ""));
  }
}

/** Catalog queries over `pragma_table_list` (every attached database), SQLite's information_schema.tables. */
class SqliteCatalogSql extends BaseCatalogSql {
  findTables(name, schema) {
    const where = [`name = ${this.quoting.stringLiteral(name)}`, "type IN ('table', 'view')"];
    if (schema !== undefined) where.push(`schema = ${this.quoting.stringLiteral(schema)}`);
    return `SELECT DISTINCT schema AS table_schema, name AS table_name FROM pragma_table_list\nWHERE ${where.join(" AND ")}\nORDER BY table_schema`;
  }
}

/** SQL generation for the "sqlite" dialect. */
export class SqliteGenerator extends BaseSqlGenerator {
  dialect = "sqlite";
  capabilities = SQLITE_CAPABILITIES;
  ledgerSql = new SqliteLedgerSql(this);
  catalogSql = new SqliteCatalogSql(this, (schema) => this.renderCreateSchema(schema));

  // ---- identifiers and literals ---------------------------------------------------------------------------------

  /** Bare when a plain lower-case name that is no SQLite keyword, else double-quoted (the base rule, SQLite's words). */
  ident(name) {
    const s = super.ident(name);
    return s.startsWith('"') || !SQLITE_KEYWORDS.has(name) ? s : `"${name}"`;
  }

  /** Dates and timestamps are ISO text (SQLite has no DATE literal); canonical so that text comparison orders them. */
  literal(e) {
    if (e.value !== null && (e.type === "date" || e.type === "datetime")) {
      return `${e.type === "date" ? "omopetl_date" : "omopetl_timestamp"}(${this.stringLiteral(e.value)})`;
    }
    return super.literal(e);
  }

  // ---- types and casts -------------------------------------------------------------------------------------------

  /**
   * Declared column types keep their names (BIGINT, DOUBLE PRECISION, DATE, BOOLEAN, ...): SQLite gives them the
   * right affinity, and the connection reads the declared type back to return bigints as text and booleans as
   * booleans. ISO date text is no number, so a DATE column (NUMERIC affinity) stores it as text.
   */
  castTypeName(t) {
    return super.castTypeName(t);
  }

  /**
   * `sql` (of plan type `from`) converted to `to` with PostgreSQL's rules; SQLite's CAST alone would read 'abc' as
   * 0, truncate 2.5 to 2 and turn '2020-01-05' into the number 2020.
   */
  convert(sql, from, to) {
    switch (to.kind) {
      case "integer":
      case "bigint": {
        const check = to.kind === "integer" ? "omopetl_int4" : "omopetl_int8";
        if (from === "string" || from === "any") {
          const msg = `${this.stringLiteral(`invalid input syntax for type ${to.kind}: "`)} || ${sql} || '"'`;
          return `(CASE WHEN ${sql} IS NULL THEN NULL WHEN ${this.regexFullMatch(sql, " *[+-]?[0-9]+ *")} THEN ${check}(CAST(trim(${sql}) AS INTEGER)) ELSE ${this.failValue(msg, "INTEGER")} END)`;
        }
        if (from === "float") return `${to.kind === "integer" ? "omopetl_float_to_int4" : "omopetl_float_to_int8"}(${sql})`;
        if (from === "boolean") return `CAST(${sql} AS INTEGER)`;
        if (from === "integer" || (from === "bigint" && to.kind === "bigint")) return sql;
        if (from === "null") return `CAST(${sql} AS INTEGER)`;
        return `${check}(${sql})`;
      }
      case "float":
        if (from === "string" || from === "any") return `omopetl_text_to_float(${sql})`;
        return `CAST(${sql} AS REAL)`;
      case "date":
        if (from === "date" || from === "null") return sql;
        return `omopetl_date(${sql})`;
      case "datetime":
        if (from === "datetime" || from === "null") return sql;
        return `omopetl_timestamp(${sql})`;
      case "boolean":
        if (from === "boolean" || from === "null") return sql;
        if (from === "string" || from === "any") {
          const v = `lower(trim(${sql}))`;
          const msg = `'invalid input syntax for type boolean: "' || ${sql} || '"'`;
          return `(CASE WHEN ${sql} IS NULL THEN NULL WHEN ${v} IN ('t', 'true', 'y', 'yes', 'on', '1') THEN TRUE WHEN ${v} IN ('f', 'false', 'n', 'no', 'off', '0') THEN FALSE ELSE ${this.failValue(msg, "INTEGER")} END)`;
        }
        return `(CASE WHEN ${sql} IS NULL THEN NULL WHEN ${sql} <> 0 THEN TRUE ELSE FALSE END)`;
      case "varchar": {
        let text;
        if (from === "float") text = `omopetl_float_text(${sql})`;
        else if (from === "boolean") text = `(CASE WHEN ${sql} THEN 'true' WHEN NOT ${sql} THEN 'false' END)`;
        else if (from === "string" || from === "date" || from === "datetime" || from === "null") text = sql;
        else text = `CAST(${sql} AS TEXT)`;
        return to.length === undefined ? text : `substr(${text}, 1, ${to.length})`;
      }
    }
    throw invalidPlan(`cast to ${JSON.stringify(to)}`);
  }

  /**
   * The cast hook, for what omopetl casts itself: a load's file text (`from` "string", already checked by the load's
   * value probe) and the base's casts. Through {@link convert}, so a loaded date is ISO text as a cast one is.
   */
  renderCast(arg, to, from) {
    return this.convert(arg, from ?? "any", to);
  }

  expr(e) {
    switch (e.k) {
      case "cast":
        return this.convert(this.expr(e.arg), e.arg.type, e.to);
      case "like": {
        // SQLite's LIKE ignores ASCII case; PostgreSQL's does not.
        const call = `omopetl_like(${this.expr(e.arg)}, ${this.expr(e.pattern)})`;
        return e.negated ? `NOT ${call}` : call;
      }
      case "bin":
        if (["+", "-", "*"].includes(e.op) && INTEGRAL.has(e.type) && INTEGRAL.has(e.left.type) && INTEGRAL.has(e.right.type)) {
          // SQLite computes in 64 bits and turns an overflow into a REAL: check the range of the plan's type.
          return `${e.type === "integer" ? "omopetl_int4" : "omopetl_int8"}(${super.expr(e)})`;
        }
        return super.expr(e);
      default:
        return super.expr(e);
    }
  }

  /** A select's output column, converted to its column's type by {@link convert} where the expression's type differs. */
  outputColumn(select, col) {
    const found = select.columns.find((c) => c.name === col.name);
    const e = found?.expr ?? { k: "lit", value: null, type: "null" };
    const want = col.type.kind === "varchar" ? "string" : col.type.kind;
    if (e.type === want) return super.outputColumn(select, col);
    const typed = this.convert(this.expr(e), e.type, col.type.kind === "varchar" ? { kind: "varchar" } : col.type);
    if (col.type.kind === "varchar" && col.type.length !== undefined && !(e.k === "lit" && e.value === null)) return this.varcharLength(typed, col.type.length);
    return typed;
  }

  /** A double as text, as PostgreSQL prints it (registered function). */
  floatText(x) {
    return `omopetl_float_text(${x})`;
  }

  /** SQLite returns NULL for x / 0 and x % 0: the base generator then guards every divisor. */
  get zeroDivisorFails() {
    return false;
  }

  /** A value failing the statement with `message` (the registered omopetl_error). */
  failValue(message, type) {
    return `CAST(omopetl_error(${message}) AS ${type})`;
  }

  /** A statement failing with the `msg` of the row `select` returns, if any. */
  failIfAny(select) {
    return `SELECT omopetl_error(a.msg)\nFROM (\n${indent(select)}\n) AS a`;
  }

  regexFullMatch(x, pattern) {
    return `omopetl_regexp_full(${x}, ${this.stringLiteral(`^(${pattern})$`)})`;
  }

  floatInRange(v) {
    return `omopetl_float_in_range(${v})`;
  }

  /** UTF-8 byte order: SQLite's BINARY collation compares the bytes (memcmp). */
  binaryCollate(x) {
    return `${x} COLLATE BINARY`;
  }

  // ---- functions -------------------------------------------------------------------------------------------------

  renderFunction(e) {
    const args = () => e.args.map((a) => this.expr(a));
    if (e.name in RENAMED) return this.call(RENAMED[e.name], args());
    switch (e.name) {
      case "lpad":
      case "rpad":
        this.arity(e, 2, 3);
        return this.call(`omopetl_${e.name}`, args());
      case "coalesce":
        // SQLite's coalesce() wants two arguments at least.
        return e.args.length === 1 ? `(${this.expr(e.args[0])})` : super.renderFunction(e);
      case "current_date":
        this.arity(e, 0);
        return "omopetl_current_date()";
      default:
        return super.renderFunction(e);
    }
  }

  renderRound(e) {
    return this.call("omopetl_round", e.args.map((a) => this.expr(a)));
  }

  renderDateAdd(d, n, unit, type) {
    const kind = d.type === "date" && type !== "datetime" ? "date" : "timestamp";
    return `omopetl_date_add(${this.expr(d)}, ${this.expr(n)}, ${this.stringLiteral(unit)}, '${kind}')`;
  }

  renderDateDiff(unit, a, b) {
    return `omopetl_date_diff(${this.stringLiteral(unit)}, ${this.expr(a)}, ${this.expr(b)})`;
  }

  renderDatePart(part, d) {
    return `omopetl_date_part(${this.stringLiteral(part)}, ${this.expr(d)})`;
  }

  renderDateTrunc(part, d) {
    return `omopetl_date_trunc(${this.stringLiteral(part)}, ${this.expr(d)}, '${d.type === "date" ? "date" : "timestamp"}')`;
  }

  renderMakeDate(args) {
    return this.call("omopetl_make_date", args.map((a) => this.expr(a)));
  }

  renderParseDate(s, format) {
    return `omopetl_strptime(${s}, ${this.stringLiteral(format)}, 'date')`;
  }

  renderParseTimestamp(s, format) {
    return `omopetl_strptime(${s}, ${this.stringLiteral(format)}, 'timestamp')`;
  }

  renderParseFormats(s, formats, kind) {
    return this.call("omopetl_strptime_any", [s, kind === "date" ? "'date'" : "'timestamp'", ...formats.map((f) => this.stringLiteral(f))]);
  }

  /** The regular-expression functions, by registered JavaScript functions reading the one flavour. */
  regexSearch(x, pattern) {
    return `omopetl_regexp_search(${x}, ${this.stringLiteral(pattern)})`;
  }

  regexReplaceAll(x, pattern, replacement) {
    return `omopetl_regexp_replace_all(${x}, ${this.stringLiteral(pattern)}, ${this.stringLiteral(replacement)})`;
  }

  regexExtract(x, pattern, group) {
    return `omopetl_regexp_extract(${x}, ${this.stringLiteral(pattern)}, ${group})`;
  }

  /** RANGE offsets over dates would need interval arithmetic on ISO text, which SQLite's frames cannot do. */
  rangeOffset(n, orderBy) {
    const key = orderBy.length === 1 ? orderBy[0].expr.type : undefined;
    if (key === "date" || key === "datetime") {
      throw new UnsupportedFeatureError(this.dialect, "RANGE window frames with an offset over a date", undefined, "Order by a day number (date_diff('day', DATE '1970-01-01', d)) instead.");
    }
    return super.rangeOffset(n, orderBy);
  }

  // ---- loads -----------------------------------------------------------------------------------------------------

  /** A checked ISO text as a date or timestamp: SQLite keeps them as ISO text, normalised by omopetl_date/timestamp. */
  isoValue(text, kind) {
    return kind === "date" ? `omopetl_date(${text})` : `omopetl_timestamp(${text})`;
  }

  /** The JSON argument of the csv functions (csv-reader.js). */
  csvSpec(body, files) {
    const f = body.format;
    return this.stringLiteral(
      JSON.stringify({ files, delimiter: f.delimiter, quote: f.quote ?? null, header: f.header, columns: body.columns.map((c) => c.name) }),
    );
  }

  /**
   * Replaces the target's rows with the files' rows, in one transaction: the rows are staged as text (file, row
   * number and one column per target column, from `omopetl_read_csv`), checked (omopetl's value probe, the same
   * messages as on every engine), then converted and inserted.
   */
  renderLoad(body, ctx) {
    const { target, format } = body;
    if (body.files.length === 0) throw invalidPlan(`load of ${target.schema}.${target.name} lists no file.`);
    if (body.columns.length === 0) throw invalidPlan(`load of ${target.schema}.${target.name} has no columns.`);
    if (format.type === "parquet") {
      throw new UnsupportedFeatureError(this.dialect, "loading Parquet files", undefined, "Convert the files to CSV, or use the duckdb provider.");
    }
    const files = body.files.map((file) => {
      const scheme = uriScheme(file);
      if (scheme !== undefined && !this.capabilities.fileUriSchemes.includes(scheme)) {
        throw new UnsupportedFeatureError(this.dialect, `loading from ${scheme}:// URIs`, file, "Copy the files to a local folder first.");
      }
      return localPath(file);
    });
    const statements = [];
    const def = ctx.tables.find((t) => t.schema === target.schema && t.name === target.name);
    if (!def?.cdm) {
      statements.push(this.renderCreateSchema(this.physicalSchema(target.schema, ctx)));
      // Recreated at every run (as the built-in providers do): a re-run after a changed declaration equals a fresh run.
      statements.push(...this.renderRebuildTable(tableDefOrColumns(ctx, target, body.columns), ctx));
    }
    const spec = this.csvSpec(body, files);
    if (checksHeader(body, def?.cdm === true)) {
      const names = `SELECT name, pos FROM omopetl_csv_header(${spec})`;
      statements.push(this.failIfAny(headerMismatchSelect(this, body, names)));
    }
    const f = this.ident(FILE_ALIAS);
    const staged = body.columns.map((c, i) => `json_extract(${f}.v, '$[${i}]') AS ${this.ident(c.name)}`);
    statements.push(`DROP TABLE IF EXISTS ${STAGE}`);
    statements.push(
      [
        `CREATE TEMP TABLE ${STAGE_TABLE} AS`,
        `SELECT ${f}.rn AS ${STAGE_ROW_COLUMN}, ${f}.file AS ${STAGE_FILE_COLUMN},`,
        indent(staged.join(",\n")),
        `FROM omopetl_read_csv(${spec}) AS ${f}`,
      ].join("\n"),
    );
    const probe = this.loadValueProbe(body, STAGE);
    if (probe !== undefined) statements.push(probe);
    const table = this.table(target, ctx);
    if (def?.cdm) statements.push(`DELETE FROM ${table}`);
    const insert = [
      `INSERT INTO ${table} ${this.columnList(body.columns)}`,
      "SELECT",
      indent(body.columns.map((c) => `${this.loadValue(`${f}.${this.ident(c.name)}`, c, format)} AS ${this.ident(c.name)}`).join(",\n")),
      `FROM ${STAGE} AS ${f}`,
      `ORDER BY ${f}.${STAGE_ROW_COLUMN}`,
    ].join("\n");
    const resultStatement = statements.push(insert) - 1;
    statements.push(...this.loadKeyChecks(def, body, ctx));
    statements.push(`DROP TABLE IF EXISTS ${STAGE}`);
    return { statements, transactional: true, resultStatement };
  }

  // ---- schemas, tables, keys, indexes ----------------------------------------------------------------------------

  /** Executed by the connection as ATTACH DATABASE (SQLite has no CREATE SCHEMA); see {@link renderStep}. */
  renderCreateSchema(physical) {
    return `CREATE SCHEMA IF NOT EXISTS ${this.ident(physical)}`;
  }

  /**
   * Every step with its CREATE SCHEMA statements first: the connection attaches a database for each, and SQLite
   * cannot ATTACH inside a transaction, so they must come before the step's first other statement (which begins it).
   */
  renderStep(step, ctx) {
    const rendered = super.renderStep(step, ctx);
    const r = { ...rendered, statements: rendered.statements.map(valuesWithoutColumnAliases) };
    const order = r.statements.map((s, i) => [s, i]);
    const first = order.filter(([s]) => CREATE_SCHEMA.test(s));
    if (first.length === 0) return r;
    const seen = new Set();
    const moved = [...first.filter(([s]) => !seen.has(s) && seen.add(s)), ...order.filter(([s]) => !CREATE_SCHEMA.test(s))];
    const out = { ...r, statements: moved.map(([s]) => s) };
    if (r.resultStatement !== undefined) out.resultStatement = moved.findIndex(([, i]) => i === r.resultStatement);
    return out;
  }

  /** CDM tables get their key from the "constraints" part (a unique index), as on DuckDB; others declare it inline. */
  primaryKeyMode(def) {
    return def.cdm ? "none" : "inline";
  }

  renderRebuildTable(def, ctx) {
    return [`DROP TABLE IF EXISTS ${this.table(def, ctx)}`, this.createTableSql(def, ctx, "CREATE TABLE", "inline")];
  }

  /** SQLite qualifies the index name with the schema, and names the table without it. */
  indexSql(def, ctx, name, columns, unique = false) {
    const schema = this.ident(this.physicalSchema(def.schema, ctx));
    return `CREATE ${unique ? "UNIQUE " : ""}INDEX IF NOT EXISTS ${schema}.${this.ident(name)} ON ${this.ident(def.name)} (${columns.map((c) => this.ident(c)).join(", ")})`;
  }

  renderIndexes(def, ctx) {
    return def.indexes.map((cols) => this.indexSql(def, ctx, this.indexName(def, cols), cols));
  }

  /** Primary keys as unique indexes (SQLite cannot add a constraint to a table); foreign keys are a comment. */
  renderConstraints(defs, ctx) {
    const out = [];
    for (const def of defs) {
      if (def.primaryKey.length > 0 && def.cdm) out.push(this.indexSql(def, ctx, this.primaryKeyName(def), def.primaryKey, true));
      if (def.foreignKeys.length > 0) {
        const lines = [`${this.table(def, ctx)}: SQLite cannot add foreign keys to an existing table; not enforced:`];
        for (const fk of def.foreignKeys) lines.push(`  ${fk.column} -> ${this.table(fk.references, ctx)} (${fk.referencesColumn})`);
        out.push(sqlComment(lines));
      }
    }
    return out;
  }

  /**
   * The CDM DDL. Part "tables" leaves out omopetl's check for float columns made by an older omopetl (it reads
   * information_schema, which SQLite has not; no SQLite database of an older omopetl exists).
   */
  renderDdl(tables, part, ctx) {
    if (part !== "tables") return super.renderDdl(tables, part, ctx);
    return [...this.createSchemas(tables, ctx), ...tables.map((t) => this.createTableIfNotExists(t, ctx))];
  }

  /** Which tables exist, from every attached database's catalog. */
  renderExistingTables(tables, ctx) {
    const one = (t) => `(lower(schema) = lower(${this.stringLiteral(this.physicalSchema(t.schema, ctx))}) AND lower(name) = lower(${this.stringLiteral(t.name)}))`;
    return `SELECT schema AS schema_name, name AS table_name\nFROM pragma_table_list\nWHERE ${tables.map(one).join("\n   OR ") || "FALSE"}`;
  }

  /** The id map and its key table; no migration of an older map's columns (no older SQLite id map exists). */
  renderIdMapSetup(ctx) {
    return [this.createIdMapTable(ctx), this.createIdKeysTable(ctx)].join(";\n");
  }

  // ---- merge -----------------------------------------------------------------------------------------------------

  /**
   * Transform mode merge without MERGE: an upsert on the key, updating only rows whose values differ (so a re-run
   * reports 0 rows) and inserting new keys. ON CONFLICT needs a unique index on the key, created first (the upsert,
   * last, is the step's result): for a CDM target the one the "constraints" part creates too, for another target
   * one of its own unless CREATE TABLE declared the key.
   */
  renderMerge(body, query, ctx) {
    if (!this.capabilities.merge) throw new UnsupportedFeatureError(this.dialect, "MERGE (transform mode merge)");
    const keys = new Set(body.key);
    for (const k of keys) if (!body.columns.some((c) => c.name === k)) throw invalidPlan(`merge key "${k}" is not a column written by the step.`);
    const t = this.ident("t");
    const others = body.columns.filter((c) => !keys.has(c.name));
    const lines = [
      `INSERT INTO ${this.table(body.target, ctx)} AS ${t} ${this.columnList(body.columns)}`,
      `SELECT * FROM (\n${indent(query)}\n) AS ${this.ident("s")}`,
      // "WHERE true" keeps SQLite from reading ON CONFLICT as a join constraint of the SELECT.
      "WHERE true",
      `ON CONFLICT (${body.key.map((k) => this.ident(k)).join(", ")}) DO`,
    ];
    if (others.length === 0) lines.push("  NOTHING");
    else {
      lines.push(indent(`UPDATE SET\n${indent(others.map((c) => `${this.ident(c.name)} = excluded.${this.ident(c.name)}`).join(",\n"))}`));
      lines.push(indent(`WHERE ${others.map((c) => `${t}.${this.ident(c.name)} IS NOT excluded.${this.ident(c.name)}`).join("\n   OR ")}`));
    }
    const upsert = lines.join("\n");
    const def = tableDefOrColumns(ctx, body.target, body.columns);
    const sameKey = def.primaryKey.length === body.key.length && body.key.every((k) => def.primaryKey.includes(k));
    if (!def.cdm && sameKey) return upsert; // declared inline by CREATE TABLE
    const name = def.cdm && sameKey ? this.primaryKeyName(def) : objectName("xuk", [def.name, ...body.key], this.capabilities.maxIdentifierLength);
    return [this.indexSql(def, ctx, name, body.key, true), upsert];
  }

  primaryKeyName(def) {
    return objectName("xpk", [def.name], this.capabilities.maxIdentifierLength);
  }
}

/**
 * `(VALUES ...) AS w(a, b)` rewritten as `(SELECT column1 AS a, column2 AS b FROM (VALUES ...)) AS w`: omopetl's
 * shared SQL (the load header check, the lookup vocabulary check) names VALUES columns with a column alias list,
 * which SQLite cannot parse (it names them column1, column2, ...). Gap in omopetl/provider: no hook renders a
 * VALUES list. String literals are skipped while scanning.
 */
export function valuesWithoutColumnAliases(sql) {
  let out = "";
  let i = 0;
  for (;;) {
    const at = sql.indexOf("(VALUES ", i);
    if (at < 0) return out + sql.slice(i);
    // the closing parenthesis of "(VALUES": skip strings, count nesting
    let depth = 0;
    let j = at;
    for (; j < sql.length; j++) {
      const c = sql[j];
      if (c === "'") {
        j = sql.indexOf("'", j + 1);
        while (sql[j + 1] === "'") j = sql.indexOf("'", j + 2);
        if (j < 0) return out + sql.slice(i);
      } else if (c === "(") depth++;
      else if (c === ")" && --depth === 0) break;
    }
    const alias = /^\) AS ([A-Za-z_][A-Za-z0-9_]*|"(?:[^"]|"")*")\(([^()]*)\)/.exec(sql.slice(j));
    if (!alias) {
      out += sql.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    const names = alias[2].split(",").map((n) => n.trim());
    const values = sql.slice(at + 1, j);
    out += `${sql.slice(i, at)}(SELECT ${names.map((n, k) => `column${k + 1} AS ${n}`).join(", ")} FROM (${values})) AS ${alias[1]}`;
    i = j + alias[0].length;
  }
}
