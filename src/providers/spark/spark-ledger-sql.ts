import type { ExistingTablesBySchema, LedgerColumn, LedgerTable } from "../provider-api.js";
import { BaseCatalogSql } from "../base/catalog-sql.js";
import { BaseLedgerSql } from "../base/ledger-sql.js";
import { UnsupportedFeatureError } from "../provider-errors.js";
import type { SqlQuoting } from "../base/sql-quoting.js";

/**
 * omopetl's own tables on Spark: Delta tables without key constraints (open-source Spark declares none), Spark's
 * type names, wall-clock timestamps (TIMESTAMP_NTZ, as CDM datetimes).
 */
export class SparkLedgerSql extends BaseLedgerSql {
  constructor(quoting: SqlQuoting) {
    super(quoting);
  }

  protected override typeName(type: LedgerColumn["type"]): string {
    switch (type) {
      case "VARCHAR":
        return "STRING";
      case "INTEGER":
        return "INT";
      case "TIMESTAMP":
        return "TIMESTAMP_NTZ";
      default:
        return type;
    }
  }

  protected override timestamp(d: Date): string {
    return `TIMESTAMP_NTZ ${this.quoting.stringLiteral(d.toISOString().replace("T", " ").replace("Z", ""))}`;
  }

  /** The primary key is not declared (Spark has no key constraints): the ledger's writers keep it. */
  override createTable(table: LedgerTable, columns: readonly LedgerColumn[], _primaryKey: readonly string[]): string {
    const lines = columns.map((c) => `  ${this.quoting.ident(c.name)} ${this.typeName(c.type)}${c.notNull ? " NOT NULL" : ""}`);
    return `CREATE TABLE IF NOT EXISTS ${this.table(table)} (\n${lines.join(",\n")}\n) USING DELTA`;
  }

  /**
   * Nothing to migrate: a column is added to ledgers of an older omopetl, and no older omopetl wrote a ledger on
   * Spark (which has no ADD COLUMN IF NOT EXISTS). A statement that does nothing, since the caller runs one.
   */
  override addColumn(table: LedgerTable, column: LedgerColumn): string {
    return `-- ${this.table(table).replace(/\n/g, " ")}: ${column.name.replace(/\n/g, " ")} is created with the table\nSELECT 1 AS omopetl_note WHERE FALSE`;
  }
}

/**
 * Schema statements and catalog queries on Spark, which has no information_schema: a schema's tables are listed by
 * SHOW TABLES (its rows say `namespace` and `tableName`).
 */
export class SparkCatalogSql extends BaseCatalogSql {
  constructor(
    private readonly spark: SqlQuoting,
    renderCreateSchema: (schema: string) => string,
  ) {
    super(spark, renderCreateSchema);
  }

  /** Every schema of the session's catalog (column `namespace`), each then searched by findTables(name, schema). */
  listSchemas(): string {
    return "SHOW SCHEMAS";
  }

  /** The table `name` of `schema`; Spark lists one schema at a time, so a search of every schema is refused. */
  override findTables(name: string, schema?: string): string {
    if (schema === undefined) {
      throw new UnsupportedFeatureError(
        "spark",
        "finding tables in every schema",
        "Spark lists the tables of one schema at a time (SHOW TABLES IN schema)",
        "name the schema of the run ledger (the target's staging schema), or search schema by schema (listSchemas)",
      );
    }
    return `SHOW TABLES IN ${this.spark.ident(schema)} LIKE ${this.spark.stringLiteral(name)}`;
  }
}

/**
 * Which of `tables` (physical schema and name, already checked as metastore names: letters, digits and _) exist, in
 * steps: SHOW SCHEMAS for the schemas, then SHOW TABLES in each that exists (SHOW TABLES fails on a missing schema).
 * Both take a LIKE pattern whose `|` separates names; names of metastore characters need no other escaping, and the
 * metastore compares them ignoring case.
 */
export function sparkExistingTables(spark: SqlQuoting, tables: readonly { schema: string; name: string }[]): ExistingTablesBySchema {
  const bySchema = new Map<string, Set<string>>();
  for (const t of tables) {
    const key = t.schema.toLowerCase();
    if (!bySchema.has(key)) bySchema.set(key, new Set());
    bySchema.get(key)!.add(t.name.toLowerCase());
  }
  const like = (names: Iterable<string>): string => spark.stringLiteral([...names].sort().join("|"));
  return {
    kind: "by-schema",
    schemas: `SHOW SCHEMAS LIKE ${like(bySchema.keys())}`,
    schemaColumn: "namespace",
    tables: (schema) => `SHOW TABLES IN ${spark.ident(schema)} LIKE ${like(bySchema.get(schema.toLowerCase()) ?? [])}`,
    tableColumn: "tableName",
  };
}
