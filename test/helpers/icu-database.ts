import pg from "pg";
import { PG_URL } from "./postgres-server.js";

/**
 * A database beside the test database whose default collation is ICU's en-US, where PostgreSQL orders text by a
 * locale ('a' < 'B', 'a_' < 'a1') instead of by bytes. The test server's databases are made with the C.UTF-8
 * locale, which orders by bytes and so hides every collation difference from DuckDB; tests that promise byte order
 * run on this one too. Named `<test database>_icu`, created once (from template0, as a locale change requires) and
 * kept for later runs.
 */
export const ICU_LOCALE = "en-US";

/** Why the ICU database cannot exist on PGlite (no ICU build, one database). */
export const NO_ICU_ON_PGLITE = "PGlite has a single database, built without ICU: a database with a locale collation cannot be created";

/** The URL of the ICU database, created when missing. */
export async function icuDatabaseUrl(): Promise<string> {
  const url = new URL(PG_URL);
  const name = `${decodeURIComponent(url.pathname.slice(1)) || "postgres"}_icu`;
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (found.rowCount === 0) {
      try {
        await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE '${ICU_LOCALE}'`);
      } catch (e) {
        // Another test process created it meanwhile.
        if ((e as { code?: string }).code !== "42P04") throw e;
      }
    }
  } finally {
    await client.end();
  }
  url.pathname = `/${encodeURIComponent(name)}`;
  return url.toString();
}
