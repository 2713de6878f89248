/**
 * SQL generation for Spark SQL on Delta Lake (Spark 4.0, Delta 4.0; Databricks SQL speaks the same dialect): the
 * start of issue 17's provider, NOT registered as a built-in yet. What it renders today: identifiers, literals,
 * types, schemas, CDM tables (USING DELTA, idempotent), rebuilds (CREATE OR REPLACE TABLE, one atomic Delta
 * operation), date parsing formats. Loads and key checks are refused with UNSUPPORTED_FEATURE until written, never
 * rendered as SQL that would behave differently.
 */
import type { CastType, Expr } from "../../core/expr/ast.js";
import type { LoadBody, TableDef } from "../../core/model/plan.js";
import { BaseSqlGenerator } from "../base/base-generator.js";
import { tokenizeStrftime } from "../base/strftime.js";
import { sqlComment } from "../base/sql-text.js";
import type { ProviderCapabilities, RenderContext, RenderedStep } from "../provider-api.js";
import { invalidLiteral, UnsupportedFeatureError } from "../provider-errors.js";

/** What Spark 4.0 with Delta 4.0 can do (checked against the server scripts/services.sh up spark starts). */
export const SPARK_CAPABILITIES: ProviderCapabilities = {
  merge: true,
  onConflict: false,
  // DDL commits on its own, like every Spark statement.
  transactionalDdl: false,
  createOrReplaceTable: true,
  serverSideFileLoad: true,
  fileUriSchemes: ["file"],
  fileGlobs: true,
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
  // Delta's optimistic concurrency takes several writers (conflicts are retried: classifySparkError).
  singleWriter: false,
};

/** strftime directive -> Spark datetime pattern (java.time DateTimeFormatter letters as Spark reads them). */
const SPARK_PATTERNS: Readonly<Record<string, string>> = {
  Y: "yyyy",
  y: "yy",
  m: "MM",
  d: "dd",
  H: "HH",
  I: "hh",
  M: "mm",
  S: "ss",
  f: "SSSSSS",
  p: "a",
  b: "MMM",
  B: "MMMM",
};

/**
 * A strftime format as a Spark datetime pattern: literal text in single quotes (doubled inside), where Spark would
 * otherwise read letters as pattern letters. Undefined with the directive Spark has no pattern for.
 */
export function toSparkPattern(format: string): { pattern: string } | { unsupported: string } {
  let pattern = "";
  for (const t of tokenizeStrftime(format)) {
    if (t.kind === "directive") {
      const p = SPARK_PATTERNS[t.directive];
      if (p === undefined) return { unsupported: `%${t.directive}` };
      pattern += p;
    } else {
      pattern += /^[^A-Za-z']*$/.test(t.text) ? t.text : `'${t.text.replace(/'/g, "''")}'`;
    }
  }
  return { pattern };
}

export class SparkGenerator extends BaseSqlGenerator {
  readonly dialect = "spark";
  readonly capabilities = SPARK_CAPABILITIES;

  /** Backticks, inner backticks doubled; bare only for plain lower-case names (Spark folds nothing: it compares case-insensitively). */
  override ident(name: string): string {
    this.validateIdentifier(name);
    if (/^[a-z_][a-z0-9_]*$/.test(name) && !SPARK_RESERVED.has(name)) return name;
    return `\`${name.replace(/`/g, "``")}\``;
  }

  /**
   * Spark's string literals escape with a backslash: `''` inside quotes is NOT a quote but two adjacent literals,
   * concatenated ('a''b' is "ab"). Backslashes are doubled and quotes escaped, so any text stays one literal.
   */
  override stringLiteral(s: string): string {
    if (s.includes("\0")) throw invalidLiteral(this.dialect, JSON.stringify(s), "it contains a NUL character");
    return `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
  }

  protected override literal(e: Extract<Expr, { k: "lit" }>): string {
    // CDM datetimes are wall-clock values: TIMESTAMP_NTZ, never shifted by the session's time zone.
    if (e.type === "datetime" && typeof e.value === "string") return `TIMESTAMP_NTZ ${this.stringLiteral(e.value)}`;
    return super.literal(e);
  }

  override castTypeName(t: CastType): string {
    switch (t.kind) {
      case "integer":
        return "INT";
      case "float":
        return "DOUBLE";
      case "datetime":
        return "TIMESTAMP_NTZ";
      case "varchar":
        // Spark's VARCHAR(n) fails on a longer value where PostgreSQL's cast truncates: STRING, cut in renderCast.
        return "STRING";
      default:
        return super.castTypeName(t);
    }
  }

  override columnTypeName(t: CastType): string {
    return this.castTypeName(t);
  }

  protected override renderCast(arg: string, to: CastType): string {
    if (to.kind === "varchar" && to.length !== undefined) return `left(CAST(${arg} AS STRING), ${to.length})`;
    return super.renderCast(arg, to);
  }

  protected override renderParseDate(s: string, format: string): string {
    return `to_date(${s}, ${this.stringLiteral(this.pattern(format))})`;
  }

  protected override renderParseTimestamp(s: string, format: string): string {
    return `to_timestamp_ntz(${s}, ${this.stringLiteral(this.pattern(format))})`;
  }

  private pattern(format: string): string {
    const p = toSparkPattern(format);
    if ("unsupported" in p) throw new UnsupportedFeatureError(this.dialect, `the date format directive ${p.unsupported}`, `in "${format}"`);
    return p.pattern;
  }

  /** Spark compares strings by UTF-8 bytes (collation UTF8_BINARY, the default): already PostgreSQL's COLLATE "C". */
  protected override binaryCollate(x: string): string {
    return x;
  }

  protected override renderCreateSchema(physical: string): string {
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

  protected override renderLoad(body: LoadBody, _ctx: RenderContext): RenderedStep {
    throw new UnsupportedFeatureError(
      this.dialect,
      "loads yet",
      `load of ${body.target.schema}.${body.target.name}: the spark generator is a first stage (issue 17)`,
      "load with the duckdb or postgres provider",
    );
  }
}

/** Spark's reserved words under ANSI mode (Spark 4's default) that omopetl's names could collide with. */
const SPARK_RESERVED: ReadonlySet<string> = new Set(
  `all and any as authorization both case cast check collate column constraint create cross current_date current_time current_timestamp current_user distinct else end escape except false fetch filter for foreign from full grant group having in inner intersect into is join lateral leading left natural not null offset on only or order outer overlaps primary references right select session_user some table then time to trailing true union unique unknown user using when where with`.split(
    " ",
  ),
);
