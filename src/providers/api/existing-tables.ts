/**
 * Which tables exist on a target (part of `omopetl/provider`): what a generator's renderExistingTables gives, and
 * how orchestrators run it. Most engines answer with one catalog query; an engine without a catalog view (Spark,
 * whose SHOW statements list one schema at a time and fail on a missing one) gives its steps: the schemas first,
 * then the tables of each schema that exists.
 */
import type { Connection } from "./connection.js";

/** A table that exists, by its physical names. */
export interface ExistingTable {
  schema_name: string;
  table_name: string;
}

/** Listing in steps, for engines without one catalog query (see {@link queryExistingTables}). */
export interface ExistingTablesBySchema {
  kind: "by-schema";
  /** A query whose rows name (in `schemaColumn`) those of the asked schemas that exist. */
  schemas: string;
  schemaColumn: string;
  /**
   * A query for one schema that exists (its name as the schemas query gave it) whose rows name, in `tableColumn`,
   * those of the asked tables of that schema that exist; rows whose `schemaColumn` is another schema (a temporary
   * view listed beside the schema's tables) are left out.
   */
  tables(schema: string): string;
  tableColumn: string;
}

/** A generator's renderExistingTables: one query of `(schema_name, table_name)` rows, or its steps. */
export type ExistingTablesQuery = string | ExistingTablesBySchema;

/** Runs `query` on `conn`: the tables that exist, as `(schema_name, table_name)`. */
export async function queryExistingTables(conn: Pick<Connection, "query">, query: ExistingTablesQuery): Promise<ExistingTable[]> {
  if (typeof query === "string") return conn.query<ExistingTable>(query);
  const out: ExistingTable[] = [];
  for (const s of await conn.query<Record<string, unknown>>(query.schemas)) {
    const schema = String(s[query.schemaColumn]);
    for (const t of await conn.query<Record<string, unknown>>(query.tables(schema))) {
      if (String(t[query.schemaColumn]).toLowerCase() !== schema.toLowerCase()) continue;
      out.push({ schema_name: schema, table_name: String(t[query.tableColumn]) });
    }
  }
  return out;
}
