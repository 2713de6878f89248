import type { Connection } from "../provider-api.js";
import { ledgerSqlOf } from "../provider-api.js";

/**
 * A table's full contents as text, rows sorted by every column in turn: equal dumps mean identical contents as the
 * engine reports them (storage order aside). `qualified` is the table's name as SQL (already quoted). The harness
 * reads tables through the generator's hook instead ({@link dumpRows}).
 */
export async function dump(conn: Connection, qualified: string): Promise<string> {
  return dumpRows(await conn.query(`SELECT * FROM ${qualified}`));
}

/** A table of the physical `schema` read with the generator's `ledgerSql.select`, as {@link dump} prints it. */
export async function dumpTable(conn: Connection, generator: Parameters<typeof ledgerSqlOf>[0], schema: string, name: string): Promise<string> {
  return dumpRows(await conn.query(ledgerSqlOf(generator).select({ schema, name })));
}

/** Rows as comparable text, sorted by every column in turn. */
export function dumpRows(rows: Record<string, unknown>[]): string {
  const cols = rows.length > 0 ? Object.keys(rows[0]!) : [];
  const sorted = [...rows].sort((a, b) => {
    for (const c of cols) {
      const x = JSON.stringify(a[c]);
      const y = JSON.stringify(b[c]);
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  });
  return JSON.stringify(sorted);
}
