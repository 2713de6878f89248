import os from "node:os";
import pRetry from "p-retry";
import type { CatalogSql, Connection, LedgerColumn, LedgerValue, LedgerSql, LedgerTable, SqlGenerator } from "../../providers/provider-api.js";
import { catalogSqlOf, ledgerSqlOf } from "../../providers/provider-api.js";
import type { RunStatus, RunTotals, StepRows, StepStatus } from "../orchestrator-api.js";
import { ledgerFailed } from "../orchestrator-errors.js";
import { isTransientError } from "../transient.js";
import { isoFromDb, numberFromDb } from "./ledger-values.js";

/** Table of runs, one row per run. */
export const RUN_TABLE = "omopetl_run";
/** Table of step runs, one row per step of a run. */
export const STEP_RUN_TABLE = "omopetl_step_run";
/** Table of the row accounting: per step of a run, the rows not written (or added) per reason. */
export const STEP_ROWS_TABLE = "omopetl_step_rows";

/** A run's state in the ledger: a run killed without warning stays "running". */
export type LedgerRunStatus = RunStatus | "running";
/** A step's state in the ledger: "pending" until it starts, "running" while it runs. */
export type LedgerStepStatus = StepStatus | "pending" | "running";

/** A row of omopetl_run. */
export interface LedgerRun {
  runId: string;
  workflow: string;
  planFingerprint: string;
  status: LedgerRunStatus;
  startedAt: string;
  endedAt?: string;
  durationMs?: number;
  target: string;
  orchestrator: string;
  resumedFrom?: string;
  concurrency?: number;
  invocation?: string;
  totals: Omit<RunTotals, "rowsInserted" | "rowsUpdated" | "rowsDeleted" | "attempts"> & { attempts?: number };
  /** The staging schema whose ledger holds the run. */
  schema: string;
  /** Host name and process id of the omopetl process that ran it (absent in runs recorded by older versions). */
  host?: string;
  pid?: number;
  /** Why the run failed when no step's error says it (the ledger could not be written, an internal error). */
  error?: string;
}

/** A row of omopetl_step_run. */
export interface LedgerStepRun {
  runId: string;
  step: string;
  fingerprint: string;
  kind: string;
  level: number;
  status: LedgerStepStatus;
  attempts: number;
  startedAt?: string;
  endedAt?: string;
  durationMs?: number;
  rows: StepRows;
  error?: string;
  reusedFrom?: string;
  skippedBecause?: string;
}

const RUN_COLUMNS: readonly LedgerColumn[] = [
  { name: "run_id", type: "VARCHAR", notNull: true },
  { name: "workflow_name", type: "VARCHAR", notNull: true },
  { name: "plan_fingerprint", type: "VARCHAR", notNull: true },
  { name: "status", type: "VARCHAR", notNull: true },
  { name: "started_at", type: "TIMESTAMP", notNull: true },
  { name: "ended_at", type: "TIMESTAMP" },
  { name: "duration_ms", type: "BIGINT" },
  { name: "target", type: "VARCHAR" },
  { name: "orchestrator", type: "VARCHAR" },
  { name: "resumed_from", type: "VARCHAR" },
  { name: "concurrency", type: "INTEGER" },
  { name: "invocation", type: "VARCHAR" },
  { name: "steps_total", type: "INTEGER" },
  { name: "steps_succeeded", type: "INTEGER" },
  { name: "steps_failed", type: "INTEGER" },
  { name: "steps_skipped", type: "INTEGER" },
  { name: "steps_reused", type: "INTEGER" },
  { name: "steps_cancelled", type: "INTEGER" },
  { name: "attempts", type: "INTEGER" },
  { name: "rows_affected", type: "BIGINT" },
  { name: "host", type: "VARCHAR" },
  { name: "pid", type: "INTEGER" },
  { name: "error_message", type: "VARCHAR" },
];

/** Columns added to omopetl_run since its first version: an older ledger gets them in place by {@link RunLedger.ensure}. */
const RUN_COLUMNS_ADDED = ["host", "pid", "error_message"];

/** Columns added to omopetl_step_run since its first version. */
const STEP_COLUMNS_ADDED = ["rows_read", "rows_filtered"];

const STEP_COLUMNS: readonly LedgerColumn[] = [
  { name: "run_id", type: "VARCHAR", notNull: true },
  { name: "step_name", type: "VARCHAR", notNull: true },
  { name: "step_fingerprint", type: "VARCHAR", notNull: true },
  { name: "step_kind", type: "VARCHAR" },
  { name: "step_level", type: "INTEGER" },
  { name: "status", type: "VARCHAR", notNull: true },
  { name: "attempts", type: "INTEGER", notNull: true },
  { name: "started_at", type: "TIMESTAMP" },
  { name: "ended_at", type: "TIMESTAMP" },
  { name: "duration_ms", type: "BIGINT" },
  { name: "rows_affected", type: "BIGINT" },
  { name: "rows_verb", type: "VARCHAR" },
  { name: "rows_inserted", type: "BIGINT" },
  { name: "rows_updated", type: "BIGINT" },
  { name: "rows_deleted", type: "BIGINT" },
  { name: "rows_read", type: "BIGINT" },
  { name: "rows_filtered", type: "BIGINT" },
  { name: "error_message", type: "VARCHAR" },
  { name: "reused_from", type: "VARCHAR" },
  { name: "skipped_because", type: "VARCHAR" },
];

/** The reason recorded with effect "deleted": a merge's rows whose source is gone. */
const SOURCE_GONE_REASON = "source gone";

/**
 * omopetl_step_rows: `effect` is "not_written", "added" or "deleted" (a merge's rows whose source is gone);
 * `position` orders the reasons of a step.
 */
const STEP_ROWS_COLUMNS: readonly LedgerColumn[] = [
  { name: "run_id", type: "VARCHAR", notNull: true },
  { name: "step_name", type: "VARCHAR", notNull: true },
  { name: "position", type: "INTEGER", notNull: true },
  { name: "branch", type: "INTEGER" },
  { name: "effect", type: "VARCHAR", notNull: true },
  { name: "reason", type: "VARCHAR", notNull: true },
  { name: "rows", type: "BIGINT", notNull: true },
];

/** A row's values being assembled (column -> value, in statement order). */
type LedgerValuesMutable = Record<string, LedgerValue>;

/** Longest error message stored (the full text is in the run's output). */
const MAX_ERROR_CHARS = 4000;

/** A step as registered at the start of a run. */
export interface LedgerStepInit {
  step: string;
  fingerprint: string;
  kind: string;
  level: number;
  status: "pending" | "reused";
  reusedFrom?: string;
}

/** Columns of a step run that change while it runs. */
export interface LedgerStepUpdate {
  status: LedgerStepStatus;
  attempts?: number;
  startedAt?: Date;
  endedAt?: Date;
  durationMs?: number;
  rows?: StepRows;
  error?: string;
  skippedBecause?: string;
}

/**
 * The run ledger: two tables in the target's staging schema recording every run and every step of it, so
 * `--resume` knows what is done and `omopetl status` can report. Writes are single autocommit statements issued
 * on the connection itself, never inside a step's transaction, so a step that rolls back does not take its
 * bookkeeping with it. Transient failures of ledger writes (a lost connection) are retried.
 */
export class RunLedger {
  readonly runTable: LedgerTable;
  readonly stepTable: LedgerTable;
  readonly stepRowsTable: LedgerTable;
  /** The provider's statements of the ledger tables and of the catalog. */
  private readonly sql: LedgerSql;
  private readonly catalog: CatalogSql;

  constructor(
    private readonly conn: Connection,
    /** Physical name of the staging schema. */
    readonly schema: string,
    /** The target's generator: every statement of the ledger is rendered by its hooks. */
    generator: Pick<SqlGenerator, "ledgerSql" | "catalogSql">,
  ) {
    this.runTable = { schema, name: RUN_TABLE };
    this.stepTable = { schema, name: STEP_RUN_TABLE };
    this.stepRowsTable = { schema, name: STEP_ROWS_TABLE };
    this.sql = ledgerSqlOf(generator);
    this.catalog = catalogSqlOf(generator);
  }

  /** Runs a ledger statement, retrying transient failures a few times. */
  private async write(sql: string): Promise<unknown> {
    try {
      return await pRetry(() => this.conn.execute(sql), { retries: 4, minTimeout: 200, factor: 2, shouldRetry: ({ error }) => isTransientError(error) });
    } catch (e) {
      throw ledgerFailed(this.schema, e);
    }
  }

  private async read<T>(sql: string): Promise<T[]> {
    try {
      return await pRetry(() => this.conn.query<T>(sql), { retries: 4, minTimeout: 200, factor: 2, shouldRetry: ({ error }) => isTransientError(error) });
    } catch (e) {
      throw ledgerFailed(this.schema, e);
    }
  }

  /** Creates the schema and tables when missing. */
  async ensure(): Promise<void> {
    await this.write(this.catalog.createSchema(this.schema));
    await this.write(this.sql.createTable(this.runTable, RUN_COLUMNS, ["run_id"]));
    await this.write(this.sql.createTable(this.stepTable, STEP_COLUMNS, ["run_id", "step_name"]));
    await this.write(this.sql.createTable(this.stepRowsTable, STEP_ROWS_COLUMNS, ["run_id", "step_name", "position"]));
    // Ledgers written by an older omopetl lack the columns added since.
    for (const c of STEP_COLUMNS.filter((x) => STEP_COLUMNS_ADDED.includes(x.name))) await this.write(this.sql.addColumn(this.stepTable, c));
    for (const c of RUN_COLUMNS.filter((x) => RUN_COLUMNS_ADDED.includes(x.name))) await this.write(this.sql.addColumn(this.runTable, c));
  }

  /** Whether the ledger table `name` exists in this schema. */
  private async tableExists(name: string): Promise<boolean> {
    return (await this.read<Record<string, unknown>>(this.catalog.findTables(name, this.schema))).length > 0;
  }

  /** Whether the ledger tables exist (status must not create them). */
  async exists(): Promise<boolean> {
    return this.tableExists(RUN_TABLE);
  }

  /** Records a new run (status running) and its steps. */
  async startRun(run: {
    runId: string;
    workflow: string;
    planFingerprint: string;
    startedAt: Date;
    target: string;
    orchestrator: string;
    resumedFrom?: string;
    concurrency: number;
    invocation?: string;
    steps: readonly LedgerStepInit[];
  }): Promise<void> {
    const reused = run.steps.filter((s) => s.status === "reused").length;
    const runRow = {
      run_id: run.runId,
      workflow_name: run.workflow,
      plan_fingerprint: run.planFingerprint,
      status: "running",
      started_at: run.startedAt,
      target: run.target,
      orchestrator: run.orchestrator,
      resumed_from: run.resumedFrom,
      concurrency: run.concurrency,
      invocation: run.invocation,
      steps_total: run.steps.length,
      steps_succeeded: 0,
      steps_failed: 0,
      steps_skipped: 0,
      steps_reused: reused,
      steps_cancelled: 0,
      attempts: 0,
      rows_affected: 0,
      host: os.hostname(),
      pid: process.pid,
    };
    await this.write(this.sql.insert(this.runTable, Object.keys(runRow), [Object.values(runRow)]));
    // In chunks: one statement per few hundred steps keeps statements small for any engine.
    const stepColumns = ["run_id", "step_name", "step_fingerprint", "step_kind", "step_level", "status", "attempts", "reused_from"];
    for (let i = 0; i < run.steps.length; i += 200) {
      const rows = run.steps.slice(i, i + 200).map((s) => [run.runId, s.step, s.fingerprint, s.kind, s.level, s.status, 0, s.reusedFrom]);
      await this.write(this.sql.insert(this.stepTable, stepColumns, rows));
    }
  }

  /** Updates one step of a run. */
  async updateStep(runId: string, step: string, u: LedgerStepUpdate): Promise<void> {
    const set: LedgerValuesMutable = { status: u.status };
    if (u.attempts !== undefined) set["attempts"] = u.attempts;
    if (u.startedAt) set["started_at"] = u.startedAt;
    if (u.endedAt) set["ended_at"] = u.endedAt;
    if (u.durationMs !== undefined) set["duration_ms"] = u.durationMs;
    if (u.rows) {
      Object.assign(set, {
        rows_affected: u.rows.affected,
        rows_verb: u.rows.verb,
        rows_inserted: u.rows.inserted,
        rows_updated: u.rows.updated,
        rows_deleted: u.rows.deleted,
        rows_read: u.rows.read,
        rows_filtered: u.rows.filtered,
      });
    }
    if (u.error !== undefined) set["error_message"] = u.error.slice(0, MAX_ERROR_CHARS);
    if (u.skippedBecause !== undefined) set["skipped_because"] = u.skippedBecause;
    await this.write(this.sql.update(this.stepTable, set, { run_id: runId, step_name: step }));
  }

  /**
   * Records a step's row accounting (the rows not written and added, per reason), replacing what an earlier
   * attempt recorded. Nothing when the step has none.
   */
  async recordRowReasons(runId: string, step: string, rows: StepRows): Promise<void> {
    const entries = [
      ...(rows.notWritten ?? []).map((r) => ({ ...r, effect: "not_written" })),
      ...(rows.added ?? []).map((r) => ({ ...r, effect: "added" })),
      // A merge's target rows deleted because their source is gone (merge-prune.ts).
      ...(rows.sourceGone ? [{ reason: SOURCE_GONE_REASON, rows: rows.sourceGone, branch: undefined, effect: "deleted" }] : []),
    ];
    if (entries.length === 0) return;
    await this.write(this.sql.delete(this.stepRowsTable, { run_id: runId, step_name: step }));
    const values = entries.map((e, i) => [runId, step, i + 1, e.branch, e.effect, e.reason, e.rows]);
    await this.write(this.sql.insert(this.stepRowsTable, ["run_id", "step_name", "position", "branch", "effect", "reason", "rows"], values));
  }

  /** Records the end of a run; `error` says why it failed when no step's error does. */
  async finishRun(runId: string, status: RunStatus, endedAt: Date, durationMs: number, totals: RunTotals, error?: string): Promise<void> {
    const set: LedgerValuesMutable = {
      ...(error !== undefined ? { error_message: error.slice(0, MAX_ERROR_CHARS) } : {}),
      status,
      ended_at: endedAt,
      duration_ms: durationMs,
      steps_succeeded: totals.succeeded,
      steps_failed: totals.failed,
      steps_skipped: totals.skipped,
      steps_reused: totals.reused,
      steps_cancelled: totals.cancelled,
      attempts: totals.attempts,
      rows_affected: totals.rowsAffected,
    };
    await this.write(this.sql.update(this.runTable, set, { run_id: runId }));
  }

  /** The most recent runs, newest first, optionally of one workflow. */
  async listRuns(options: { workflow?: string; limit?: number } = {}): Promise<LedgerRun[]> {
    const limit = Math.max(1, Math.trunc(options.limit ?? 10));
    const where = options.workflow !== undefined ? { workflow_name: options.workflow } : {};
    const rows = await this.read<Record<string, unknown>>(this.sql.select(this.runTable, { where, orderBy: [{ column: "run_id", descending: true }], limit }));
    return rows.map((r) => this.runFromRow(r));
  }

  /** One run, or undefined. */
  async getRun(runId: string): Promise<LedgerRun | undefined> {
    const rows = await this.read<Record<string, unknown>>(this.sql.select(this.runTable, { where: { run_id: runId } }));
    return rows[0] ? this.runFromRow(rows[0]) : undefined;
  }

  /** The steps of a run, in plan order (level, then name). */
  async stepRuns(runId: string): Promise<LedgerStepRun[]> {
    const rows = await this.read<Record<string, unknown>>(
      this.sql.select(this.stepTable, { where: { run_id: runId }, orderBy: [{ column: "step_level" }, { column: "step_name" }] }),
    );
    const steps = rows.map(stepFromRow);
    // Ledgers of older versions have no accounting table (and status must not create it).
    if (!(await this.tableExists(STEP_ROWS_TABLE))) return steps;
    const reasons = await this.read<Record<string, unknown>>(
      this.sql.select(this.stepRowsTable, { where: { run_id: runId }, orderBy: [{ column: "step_name" }, { column: "position" }] }),
    );
    const byStep = new Map(steps.map((s) => [s.step, s]));
    for (const r of reasons) {
      const s = byStep.get(String(r["step_name"]));
      if (!s) continue;
      const branch = numberFromDb(r["branch"]);
      const entry = { reason: String(r["reason"]), rows: numberFromDb(r["rows"]) ?? 0, ...(branch !== undefined ? { branch } : {}) };
      if (String(r["effect"]) === "deleted") {
        s.rows.sourceGone = entry.rows;
        continue;
      }
      const list = String(r["effect"]) === "added" ? (s.rows.added ??= []) : (s.rows.notWritten ??= []);
      list.push(entry);
    }
    return steps;
  }

  /**
   * The run `--resume` continues: the newest run of `workflow` unless it succeeded (then there is nothing to
   * resume and `latest` says which run succeeded).
   */
  async findResumable(workflow: string): Promise<{ run?: LedgerRun; latest?: LedgerRun }> {
    const [latest] = await this.listRuns({ workflow, limit: 1 });
    if (!latest) return {};
    return latest.status === "succeeded" ? { latest } : { run: latest, latest };
  }

  private runFromRow(r: Record<string, unknown>): LedgerRun {
    const str = (k: string) => (r[k] === null || r[k] === undefined ? undefined : String(r[k]));
    const num = (k: string) => numberFromDb(r[k]) ?? 0;
    const out: LedgerRun = {
      runId: String(r["run_id"]),
      workflow: String(r["workflow_name"]),
      planFingerprint: String(r["plan_fingerprint"]),
      status: String(r["status"]) as LedgerRunStatus,
      startedAt: isoFromDb(r["started_at"]) ?? "",
      target: str("target") ?? "",
      orchestrator: str("orchestrator") ?? "",
      totals: {
        steps: num("steps_total"),
        succeeded: num("steps_succeeded"),
        failed: num("steps_failed"),
        skipped: num("steps_skipped"),
        reused: num("steps_reused"),
        cancelled: num("steps_cancelled"),
        attempts: num("attempts"),
        rowsAffected: num("rows_affected"),
      },
      schema: this.schema,
    };
    const endedAt = isoFromDb(r["ended_at"]);
    if (endedAt) out.endedAt = endedAt;
    const duration = numberFromDb(r["duration_ms"]);
    if (duration !== undefined) out.durationMs = duration;
    const resumedFrom = str("resumed_from");
    if (resumedFrom) out.resumedFrom = resumedFrom;
    const concurrency = numberFromDb(r["concurrency"]);
    if (concurrency !== undefined) out.concurrency = concurrency;
    const invocation = str("invocation");
    if (invocation) out.invocation = invocation;
    const host = str("host");
    if (host) out.host = host;
    const pid = numberFromDb(r["pid"]);
    if (pid !== undefined) out.pid = pid;
    const error = str("error_message");
    if (error) out.error = error;
    return out;
  }
}

function stepFromRow(r: Record<string, unknown>): LedgerStepRun {
  const str = (k: string) => (r[k] === null || r[k] === undefined ? undefined : String(r[k]));
  const rows: StepRows = {};
  const affected = numberFromDb(r["rows_affected"]);
  if (affected !== undefined) rows.affected = affected;
  const verb = str("rows_verb");
  if (verb) rows.verb = verb as NonNullable<StepRows["verb"]>;
  for (const [k, col] of [["inserted", "rows_inserted"], ["updated", "rows_updated"], ["deleted", "rows_deleted"], ["read", "rows_read"], ["filtered", "rows_filtered"]] as const) {
    const n = numberFromDb(r[col]);
    if (n !== undefined) rows[k] = n;
  }
  const out: LedgerStepRun = {
    runId: String(r["run_id"]),
    step: String(r["step_name"]),
    fingerprint: String(r["step_fingerprint"]),
    kind: str("step_kind") ?? "",
    level: numberFromDb(r["step_level"]) ?? 0,
    status: String(r["status"]) as LedgerStepStatus,
    attempts: numberFromDb(r["attempts"]) ?? 0,
    rows,
  };
  const startedAt = isoFromDb(r["started_at"]);
  if (startedAt) out.startedAt = startedAt;
  const endedAt = isoFromDb(r["ended_at"]);
  if (endedAt) out.endedAt = endedAt;
  const duration = numberFromDb(r["duration_ms"]);
  if (duration !== undefined) out.durationMs = duration;
  const error = str("error_message");
  if (error) out.error = error;
  const reusedFrom = str("reused_from");
  if (reusedFrom) out.reusedFrom = reusedFrom;
  const skipped = str("skipped_because");
  if (skipped) out.skippedBecause = skipped;
  return out;
}

/** Finds the ledgers on a connection: the staging schemas that hold an omopetl_run table. */
export async function findLedgerSchemas(conn: Connection, generator: Pick<SqlGenerator, "catalogSql">): Promise<string[]> {
  const catalog = catalogSqlOf(generator);
  if (catalog.listSchemas) {
    // Schema by schema (Spark): sorted, as findTables orders by schema.
    const schemas = (await conn.query<Record<string, unknown>>(catalog.listSchemas())).map((r) => String(Object.values(r)[0])).sort();
    const found: string[] = [];
    for (const schema of schemas) if ((await conn.query(catalog.findTables(RUN_TABLE, schema))).length > 0) found.push(schema);
    return found;
  }
  const rows = await conn.query<{ table_schema: unknown }>(catalog.findTables(RUN_TABLE));
  return [...new Set(rows.map((r) => String(r.table_schema)))];
}
