import type { Connection, LedgerColumn, LedgerTable, SqlGenerator } from "../../providers/provider-api.js";
import { ledgerSqlOf } from "../../providers/provider-api.js";
import type { LookupCoverageReport } from "../lookup-coverage.js";
import { ledgerFailed } from "../orchestrator-errors.js";

/** Ledger table of mapping coverage reports: one row per lookup of a step of a run. */
export const LOOKUP_COVERAGE_TABLE = "omopetl_lookup_coverage";

const COLUMNS: readonly LedgerColumn[] = [
  { name: "run_id", type: "VARCHAR", notNull: true },
  { name: "step_name", type: "VARCHAR", notNull: true },
  // 1-based select (union branch) of the lookup; 1 for a transform with one select.
  { name: "select_index", type: "INTEGER", notNull: true },
  { name: "lookup_name", type: "VARCHAR", notNull: true },
  { name: "codes", type: "BIGINT" },
  { name: "codes_mapped", type: "BIGINT" },
  { name: "rows_read", type: "BIGINT" },
  { name: "rows_mapped", type: "BIGINT" },
  { name: "rows_without_code", type: "BIGINT" },
  // JSON array of {code, rows}: the most frequent unmapped codes.
  { name: "top_unmapped", type: "VARCHAR" },
];

const tableOf = (schema: string): LedgerTable => ({ schema, name: LOOKUP_COVERAGE_TABLE });

/**
 * Creates the coverage table when missing. Run once before the steps (not by each step as it ends: on PostgreSQL two
 * sessions creating one table at the same moment fail on the catalog's unique index).
 */
export async function ensureCoverageTable(conn: Connection, generator: Pick<SqlGenerator, "ledgerSql">, schema: string): Promise<void> {
  try {
    await conn.execute(ledgerSqlOf(generator).createTable(tableOf(schema), COLUMNS, ["run_id", "step_name", "select_index", "lookup_name"]));
  } catch (e) {
    throw ledgerFailed(schema, e);
  }
}

/**
 * Records a step's coverage reports in the ledger of `schema` (the run's staging schema), beside omopetl_run:
 * the step's earlier rows of this run replaced ({@link ensureCoverageTable} created the table). A failed write fails the run (LEDGER_FAILED),
 * as every ledger write does.
 */
export async function recordCoverage(
  conn: Connection,
  generator: Pick<SqlGenerator, "ledgerSql">,
  schema: string,
  runId: string,
  step: string,
  reports: readonly LookupCoverageReport[],
): Promise<void> {
  const table = tableOf(schema);
  const sql = ledgerSqlOf(generator);
  try {
    await conn.execute(sql.delete(table, { run_id: runId, step_name: step }));
    if (reports.length === 0) return;
    const values = reports.map((r) => [runId, step, r.select ?? 1, r.lookup, r.codes, r.codesMapped, r.rows, r.rowsMapped, r.rowsWithoutCode, JSON.stringify(r.topUnmapped)]);
    await conn.execute(sql.insert(table, COLUMNS.map((c) => c.name), values));
  } catch (e) {
    throw ledgerFailed(schema, e);
  }
}
