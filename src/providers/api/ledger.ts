/** The statements of omopetl's own tables (run ledger, row accounting, coverage) and its catalog queries, as a dialect renders them (part of `omopetl/provider`). */
import type { Connection } from "./connection.js";

export interface LedgerTable {
  schema: string;
  name: string;
}

/** A column of a ledger table. */
export interface LedgerColumn {
  name: string;
  type: "VARCHAR" | "INTEGER" | "BIGINT" | "TIMESTAMP";
  notNull?: boolean;
}

/**
 * A value written to (or compared with) a ledger column: text, an integer (truncated; non-finite is NULL), a
 * timestamp (a Date, stored in UTC without a time zone), or NULL (null or undefined).
 */
export type LedgerValue = string | number | Date | null | undefined;

/** Column -> value, in the order the statement lists them; in a WHERE, the conditions are ANDed (NULL: IS NULL). */
export type LedgerValues = Readonly<Record<string, LedgerValue>>;

/** What {@link LedgerSql.select} reads: `columns` (default: all) of the rows matching `where`, ordered, at most `limit`. */
export interface LedgerQuery {
  columns?: readonly string[];
  where?: LedgerValues;
  orderBy?: readonly { column: string; descending?: boolean }[];
  limit?: number;
}

/**
 * The statements of omopetl's own tables. Each returns one statement, run on its own (autocommit); identifiers
 * are physical names, to quote as the dialect does.
 */
export interface LedgerSql {
  /** Creates the table when missing (`CREATE TABLE IF NOT EXISTS`), with its primary key (none when empty). */
  createTable(table: LedgerTable, columns: readonly LedgerColumn[], primaryKey: readonly string[]): string;
  /** Adds a column when missing (a ledger written by an older omopetl): `ALTER TABLE ... ADD COLUMN IF NOT EXISTS`. */
  addColumn(table: LedgerTable, column: LedgerColumn): string;
  /** One INSERT of `rows` (each in the order of `columns`). */
  insert(table: LedgerTable, columns: readonly string[], rows: readonly (readonly LedgerValue[])[]): string;
  /** An UPDATE setting `set` on the rows matching `where`. */
  update(table: LedgerTable, set: LedgerValues, where: LedgerValues): string;
  /** A DELETE of the rows matching `where`. */
  delete(table: LedgerTable, where: LedgerValues): string;
  /**
   * A SELECT of the columns (rows as the {@link Connection} returns them). Also how the conformance suite reads its
   * tables back, so a provider passes it without the suite writing SQL of its own.
   */
  select(table: LedgerTable, query?: LedgerQuery): string;
}

/** Schema statements and catalog queries omopetl issues outside any step. */
export interface CatalogSql {
  /** Creates a schema when missing (the statement steps use, so an up-front creation cannot race with them). */
  createSchema(schema: string): string;
  /** Drops a schema and everything in it, when it exists (the conformance suite's clean-up). */
  dropSchema(schema: string): string;
  /**
   * A query whose rows `(table_schema, table_name)` are the tables called `name` (exactly), in `schema` when given,
   * else in every schema, ordered by schema: how `status` finds the run ledgers of a database.
   */
  findTables(name: string, schema?: string): string;
  /**
   * For an engine whose `findTables` needs a schema (it has no catalog of every schema's tables, as Spark): a query
   * whose rows name every schema (first column), each then searched with `findTables(name, schema)`, a hit being any
   * row. Unset: `findTables(name)` searches every schema at once.
   */
  listSchemas?(): string;
}
