/**
 * Portable SQL for the run ledger: double-quoted identifiers, standard string and TIMESTAMP literals,
 * `CREATE ... IF NOT EXISTS`, plain INSERT/UPDATE/SELECT. It runs unchanged on DuckDB and PostgreSQL (and on any
 * engine following the standard that closely), so the ledger needs nothing from a provider but a connection.
 */

/** `"name"` with embedded quotes doubled. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A string literal: quotes doubled; NUL (which no engine stores in text) and lone surrogates replaced. */
export function quoteString(value: string): string {
  const clean = value.replace(/\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");
  return `'${clean.replace(/'/g, "''")}'`;
}

/** A literal for a value of a ledger column. */
export function sqlValue(v: string | number | Date | null | undefined): string {
  if (v === null || v === undefined) return "NULL";
  if (v instanceof Date) return timestampLiteral(v);
  if (typeof v === "number") {
    if (!Number.isFinite(v)) return "NULL";
    return String(Math.trunc(v));
  }
  return quoteString(v);
}

/** `TIMESTAMP 'YYYY-MM-DD HH:MM:SS.mmm'` in UTC (ledger timestamps are UTC without a time zone). */
export function timestampLiteral(d: Date): string {
  return `TIMESTAMP '${d.toISOString().replace("T", " ").replace("Z", "")}'`;
}

/**
 * A timestamp read back from the ledger as ISO 8601 UTC. Providers return "YYYY-MM-DD HH:MM:SS[.ffffff]"
 * (some drivers a Date); anything unparseable is returned as it came.
 */
export function isoFromDb(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (v instanceof Date) return v.toISOString();
  const s = String(v);
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d+)?/.exec(s);
  if (!m) return s;
  const frac = (m[3] ?? ".000").slice(0, 4).padEnd(4, "0");
  return `${m[1]}T${m[2]}${frac}Z`;
}

/** A count read back from the ledger (BIGINT arrives as a string). */
export function numberFromDb(v: unknown): number | undefined {
  if (v === null || v === undefined || v === "") return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/** A column of a ledger table. */
export interface LedgerColumn {
  name: string;
  type: "VARCHAR" | "INTEGER" | "BIGINT" | "TIMESTAMP";
  notNull?: boolean;
}

/** `CREATE TABLE IF NOT EXISTS` for a ledger table. */
export function createTableSql(table: string, columns: readonly LedgerColumn[], primaryKey: readonly string[]): string {
  const lines = columns.map((c) => `  ${quoteIdent(c.name)} ${c.type}${c.notNull ? " NOT NULL" : ""}`);
  lines.push(`  PRIMARY KEY (${primaryKey.map(quoteIdent).join(", ")})`);
  return `CREATE TABLE IF NOT EXISTS ${table} (\n${lines.join(",\n")}\n)`;
}
