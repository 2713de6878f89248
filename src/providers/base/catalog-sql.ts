import type { CatalogSql, SqlGenerator } from "../provider-api.js";
import { ANSI_QUOTING, type SqlQuoting } from "./sql-quoting.js";

/**
 * Schema statements and catalog queries in standard SQL: `CREATE SCHEMA IF NOT EXISTS` (or the generator's own
 * schema creation, the one its steps run), `DROP SCHEMA IF EXISTS ... CASCADE`, and `information_schema.tables`.
 * A dialect without `information_schema` or `CASCADE` extends this class.
 */
export class BaseCatalogSql implements CatalogSql {
  constructor(
    protected readonly quoting: SqlQuoting,
    /** The generator's schema creation (steps create their schemas with it); default `CREATE SCHEMA IF NOT EXISTS`. */
    private readonly renderCreateSchema?: (schema: string) => string,
  ) {}

  createSchema(schema: string): string {
    return this.renderCreateSchema ? this.renderCreateSchema(schema) : `CREATE SCHEMA IF NOT EXISTS ${this.quoting.ident(schema)}`;
  }

  dropSchema(schema: string): string {
    return `DROP SCHEMA IF EXISTS ${this.quoting.ident(schema)} CASCADE`;
  }

  findTables(name: string, schema?: string): string {
    const where = [`table_name = ${this.quoting.stringLiteral(name)}`];
    if (schema !== undefined) where.push(`table_schema = ${this.quoting.stringLiteral(schema)}`);
    return `SELECT DISTINCT table_schema, table_name FROM information_schema.tables\nWHERE ${where.join(" AND ")}\nORDER BY table_schema`;
  }
}

/** The ANSI rendering, for generators without {@link SqlGenerator.catalogSql}. */
const ANSI_CATALOG_SQL = new BaseCatalogSql(ANSI_QUOTING);

/** The generator's catalog statements, or the ANSI ones when it has none (providers written before the hook). */
export function catalogSqlOf(generator: Pick<SqlGenerator, "catalogSql">): CatalogSql {
  return generator.catalogSql ?? ANSI_CATALOG_SQL;
}
