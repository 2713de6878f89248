import type { CheckResult } from "../../core/checks/evaluate-results.js";
import { ROW_COUNT_DRIFT, type RowCountBaseline } from "../../core/checks/row-count-drift.js";
import { RUN_TABLE } from "../ledger/run-ledger.js";
import type { Connection, LedgerColumn, LedgerTable, SqlGenerator } from "../../providers/provider-api.js";
import { catalogSqlOf, ledgerSqlOf } from "../../providers/provider-api.js";

/** The table of check results in the target's staging schema: one row per check and check run. */
export const DQ_RESULT_TABLE = "dq_result";

/**
 * Its columns. Percentages and thresholds are text (the ledger's types are integers, text and timestamps): the
 * exact decimal a reader parses, never a rounded float.
 */
export const DQ_RESULT_COLUMNS: readonly LedgerColumn[] = [
  { name: "check_run_id", type: "VARCHAR", notNull: true },
  { name: "check_id", type: "VARCHAR", notNull: true },
  { name: "checked_at", type: "TIMESTAMP", notNull: true },
  { name: "check_name", type: "VARCHAR", notNull: true },
  { name: "check_level", type: "VARCHAR", notNull: true },
  { name: "cdm_table_name", type: "VARCHAR", notNull: true },
  { name: "cdm_field_name", type: "VARCHAR" },
  { name: "concept_id", type: "VARCHAR" },
  { name: "unit_concept_id", type: "VARCHAR" },
  { name: "category", type: "VARCHAR" },
  { name: "subcategory", type: "VARCHAR" },
  { name: "context", type: "VARCHAR" },
  { name: "severity", type: "VARCHAR" },
  { name: "num_violated_rows", type: "BIGINT" },
  { name: "num_denominator_rows", type: "BIGINT" },
  { name: "pct_violated_rows", type: "VARCHAR" },
  { name: "threshold_value", type: "VARCHAR" },
  { name: "status", type: "VARCHAR", notNull: true },
  { name: "not_applicable_reason", type: "VARCHAR" },
  { name: "error", type: "VARCHAR" },
  { name: "row_count", type: "BIGINT" },
  { name: "baseline_run_id", type: "VARCHAR" },
];

/** Columns added since dq_result's first version: an older table gets them in place. */
const DQ_RESULT_COLUMNS_ADDED = ["row_count", "baseline_run_id"];

/** Rows per INSERT: small enough for every engine's statement size, few enough statements for thousands of checks. */
const BATCH = 200;

/**
 * Appends the results of one check run to `<staging>.dq_result` (created when missing, with the schema), through the
 * provider's ledger statements: no SQL of omopetl's own, and a re-run adds its own rows under its own id.
 */
export async function writeDqResults(
  conn: Connection,
  generator: Pick<SqlGenerator, "ledgerSql" | "catalogSql">,
  stagingSchema: string,
  checkRunId: string,
  checkedAt: Date,
  results: readonly CheckResult[],
): Promise<void> {
  await ensureDqResultTable(conn, generator, stagingSchema);
  await appendDqResults(conn, generator, stagingSchema, checkRunId, checkedAt, results);
}

/** Creates `<staging>.dq_result` (and the schema) when missing. */
export async function ensureDqResultTable(conn: Connection, generator: Pick<SqlGenerator, "ledgerSql" | "catalogSql">, stagingSchema: string): Promise<void> {
  await conn.execute(catalogSqlOf(generator).createSchema(stagingSchema));
  const sql = ledgerSqlOf(generator);
  const table = { schema: stagingSchema, name: DQ_RESULT_TABLE };
  await conn.execute(sql.createTable(table, DQ_RESULT_COLUMNS, ["check_run_id", "check_id"]));
  for (const c of DQ_RESULT_COLUMNS.filter((x) => DQ_RESULT_COLUMNS_ADDED.includes(x.name))) await conn.execute(sql.addColumn(table, c));
}

/**
 * Each table's latest row count recorded in `<staging>.dq_result` by a run that succeeded (in the run ledger of the
 * same schema) or by a standalone `omopetl check` (a check run that is no run of the ledger), other than `currentRunId`:
 * the baselines of the row count drift. Empty when there is no dq_result yet.
 */
export async function readRowCountBaselines(conn: Connection, generator: Pick<SqlGenerator, "ledgerSql" | "catalogSql">, stagingSchema: string, currentRunId: string): Promise<Map<string, RowCountBaseline>> {
  const sql = ledgerSqlOf(generator);
  const catalog = catalogSqlOf(generator);
  const exists = async (name: string): Promise<boolean> => (await conn.query(catalog.findTables(name, stagingSchema))).length > 0;
  const out = new Map<string, RowCountBaseline>();
  if (!(await exists(DQ_RESULT_TABLE))) return out;
  const runStatus = new Map<string, string>();
  if (await exists(RUN_TABLE)) {
    for (const r of await conn.query<{ run_id: string; status: string }>(sql.select({ schema: stagingSchema, name: RUN_TABLE }, { columns: ["run_id", "status"] }))) runStatus.set(String(r.run_id), String(r.status));
  }
  const rows = await conn.query<{ check_run_id: string; cdm_table_name: string; row_count: unknown }>(
    sql.select(
      { schema: stagingSchema, name: DQ_RESULT_TABLE },
      { columns: ["check_run_id", "cdm_table_name", "row_count"], where: { check_name: ROW_COUNT_DRIFT }, orderBy: [{ column: "checked_at", descending: true }, { column: "check_run_id", descending: true }] },
    ),
  );
  for (const r of rows) {
    const runId = String(r.check_run_id);
    const table = String(r.cdm_table_name);
    if (runId === currentRunId || out.has(table) || r.row_count === null || r.row_count === undefined) continue;
    const status = runStatus.get(runId);
    if (status !== undefined && status !== "succeeded") continue;
    out.set(table, { rows: Number(r.row_count), runId });
  }
  return out;
}

/** Appends results to an existing `<staging>.dq_result`, in one transaction (a check step's rows all or none). */
export async function appendDqResults(
  conn: Connection,
  generator: Pick<SqlGenerator, "ledgerSql">,
  stagingSchema: string,
  checkRunId: string,
  checkedAt: Date,
  results: readonly CheckResult[],
): Promise<void> {
  const sql = ledgerSqlOf(generator);
  const table: LedgerTable = { schema: stagingSchema, name: DQ_RESULT_TABLE };
  const columns = DQ_RESULT_COLUMNS.map((c) => c.name);
  const row = (r: CheckResult): (string | number | Date | null)[] => [
    checkRunId,
    r.checkId,
    checkedAt,
    r.checkName,
    r.checkLevel,
    r.cdmTableName,
    r.cdmFieldName ?? null,
    r.conceptId ?? null,
    r.unitConceptId ?? null,
    r.kahnCategory,
    r.kahnSubcategory || null,
    r.kahnContext,
    r.severity,
    r.numViolatedRows,
    r.numDenominatorRows,
    r.pctViolatedRows === null ? null : String(r.pctViolatedRows),
    r.thresholdValue === null ? null : String(r.thresholdValue),
    r.status,
    r.notApplicableReason,
    r.error,
    r.rowCount ?? null,
    r.baselineRunId ?? null,
  ];
  await conn.transaction(async (tx) => {
    for (let i = 0; i < results.length; i += BATCH) await tx.execute(sql.insert(table, columns, results.slice(i, i + BATCH).map(row)));
  });
}
