import type { LedgerColumn, LedgerQuery, LedgerSql, LedgerTable, LedgerValue, LedgerValues, SqlGenerator } from "../provider-api.js";
import { ANSI_QUOTING, storableText, type SqlQuoting } from "./sql-quoting.js";

/**
 * The statements of omopetl's own tables (run ledger, row accounting, coverage) in standard SQL: `CREATE TABLE IF
 * NOT EXISTS`, `ALTER TABLE ... ADD COLUMN IF NOT EXISTS`, plain INSERT/UPDATE/DELETE/SELECT, `TIMESTAMP '...'`
 * literals. Names and strings are quoted by the generator's own hooks, so a dialect that quotes differently needs
 * nothing more; one whose statements differ (no `IF NOT EXISTS`, another timestamp literal, `LIMIT` spelt `TOP`)
 * extends this class and overrides the method concerned.
 */
export class BaseLedgerSql implements LedgerSql {
  constructor(protected readonly quoting: SqlQuoting) {}

  /** `schema.name`, quoted. */
  protected table(t: LedgerTable): string {
    return `${this.quoting.ident(t.schema)}.${this.quoting.ident(t.name)}`;
  }

  /** The SQL type of a ledger column. */
  protected typeName(type: LedgerColumn["type"]): string {
    return type;
  }

  /** A UTC timestamp literal, to the millisecond: `TIMESTAMP 'YYYY-MM-DD HH:MM:SS.mmm'`. */
  protected timestamp(d: Date): string {
    return `TIMESTAMP ${this.quoting.stringLiteral(d.toISOString().replace("T", " ").replace("Z", ""))}`;
  }

  /** A value as a literal: integers truncated (a non-finite number is NULL), text made storable. */
  protected value(v: LedgerValue): string {
    if (v === null || v === undefined) return "NULL";
    if (v instanceof Date) return this.timestamp(v);
    if (typeof v === "number") return Number.isFinite(v) ? String(Math.trunc(v)) : "NULL";
    return this.quoting.stringLiteral(storableText(v));
  }

  /** `a = 1 AND b IS NULL`. */
  protected conditions(where: LedgerValues): string {
    const parts = Object.entries(where).map(([c, v]) => (v === null || v === undefined ? `${this.quoting.ident(c)} IS NULL` : `${this.quoting.ident(c)} = ${this.value(v)}`));
    return parts.length > 0 ? parts.join(" AND ") : "TRUE";
  }

  createTable(table: LedgerTable, columns: readonly LedgerColumn[], primaryKey: readonly string[]): string {
    const lines = columns.map((c) => `  ${this.quoting.ident(c.name)} ${this.typeName(c.type)}${c.notNull ? " NOT NULL" : ""}`);
    if (primaryKey.length > 0) lines.push(`  PRIMARY KEY (${primaryKey.map((c) => this.quoting.ident(c)).join(", ")})`);
    return `CREATE TABLE IF NOT EXISTS ${this.table(table)} (\n${lines.join(",\n")}\n)`;
  }

  addColumn(table: LedgerTable, column: LedgerColumn): string {
    return `ALTER TABLE ${this.table(table)} ADD COLUMN IF NOT EXISTS ${this.quoting.ident(column.name)} ${this.typeName(column.type)}`;
  }

  insert(table: LedgerTable, columns: readonly string[], rows: readonly (readonly LedgerValue[])[]): string {
    const values = rows.map((r) => `(${r.map((v) => this.value(v)).join(", ")})`);
    return `INSERT INTO ${this.table(table)} (${columns.map((c) => this.quoting.ident(c)).join(", ")})\nVALUES\n${values.join(",\n")}`;
  }

  update(table: LedgerTable, set: LedgerValues, where: LedgerValues): string {
    const assignments = Object.entries(set).map(([c, v]) => `${this.quoting.ident(c)} = ${this.value(v)}`);
    return `UPDATE ${this.table(table)} SET ${assignments.join(", ")}\nWHERE ${this.conditions(where)}`;
  }

  delete(table: LedgerTable, where: LedgerValues): string {
    return `DELETE FROM ${this.table(table)} WHERE ${this.conditions(where)}`;
  }

  select(table: LedgerTable, query: LedgerQuery = {}): string {
    const columns = query.columns && query.columns.length > 0 ? query.columns.map((c) => this.quoting.ident(c)).join(", ") : "*";
    const lines = [`SELECT ${columns} FROM ${this.table(table)}`];
    if (query.where && Object.keys(query.where).length > 0) lines.push(`WHERE ${this.conditions(query.where)}`);
    if (query.orderBy && query.orderBy.length > 0) {
      lines.push(`ORDER BY ${query.orderBy.map((o) => `${this.quoting.ident(o.column)}${o.descending ? " DESC" : ""}`).join(", ")}`);
    }
    if (query.limit !== undefined) lines.push(`LIMIT ${Math.max(0, Math.trunc(query.limit))}`);
    return lines.join("\n");
  }
}

/** The ANSI rendering, for generators without {@link SqlGenerator.ledgerSql}. */
const ANSI_LEDGER_SQL = new BaseLedgerSql(ANSI_QUOTING);

/** The generator's ledger statements, or the ANSI ones when it has none (providers written before the hook). */
export function ledgerSqlOf(generator: Pick<SqlGenerator, "ledgerSql">): LedgerSql {
  return generator.ledgerSql ?? ANSI_LEDGER_SQL;
}
