import type { Connection } from "../provider-api.js";

/**
 * A table's full contents as text, rows sorted by every column in turn: equal dumps mean identical contents as the
 * engine reports them (storage order aside). `qualified` is the table's name as SQL (already quoted).
 */
export async function dump(conn: Connection, qualified: string): Promise<string> {
  const rows = await conn.query(`SELECT * FROM ${qualified}`);
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
