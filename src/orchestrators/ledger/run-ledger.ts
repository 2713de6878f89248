import os from "node:os";
import pRetry from "p-retry";
import type { Connection } from "../../providers/provider-api.js";
import type { RunStatus, RunTotals, StepRows, StepStatus } from "../orchestrator-api.js";
import { ledgerFailed } from "../orchestrator-errors.js";
import { isTransientError } from "../transient.js";
import { createTableSql, isoFromDb, numberFromDb, quoteIdent, quoteString, sqlValue, type LedgerColumn } from "./ledger-sql.js";

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

/** omopetl_step_rows: `effect` is "not_written" or "added"; `position` orders the reasons of a step. */
const STEP_ROWS_COLUMNS: readonly LedgerColumn[] = [
  { name: "run_id", type: "VARCHAR", notNull: true },
  { name: "step_name", type: "VARCHAR", notNull: true },
  { name: "position", type: "INTEGER", notNull: true },
  { name: "branch", type: "INTEGER" },
  { name: "effect", type: "VARCHAR", notNull: true },
  { name: "reason", type: "VARCHAR", notNull: true },
  { name: "rows", type: "BIGINT", notNull: true },
];

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
  readonly runTable: string;
  readonly stepTable: string;
  readonly stepRowsTable: string;

  constructor(
    private readonly conn: Connection,
    /** Physical name of the staging schema. */
    readonly schema: string,
  ) {
    this.runTable = `${quoteIdent(schema)}.${quoteIdent(RUN_TABLE)}`;
    this.stepTable = `${quoteIdent(schema)}.${quoteIdent(STEP_RUN_TABLE)}`;
    this.stepRowsTable = `${quoteIdent(schema)}.${quoteIdent(STEP_ROWS_TABLE)}`;
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
    await this.write(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(this.schema)}`);
    await this.write(createTableSql(this.runTable, RUN_COLUMNS, ["run_id"]));
    await this.write(createTableSql(this.stepTable, STEP_COLUMNS, ["run_id", "step_name"]));
    await this.write(createTableSql(this.stepRowsTable, STEP_ROWS_COLUMNS, ["run_id", "step_name", "position"]));
    // Ledgers written by an older omopetl lack the columns added since (both engines accept IF NOT EXISTS here).
    for (const c of ["rows_read", "rows_filtered"]) await this.write(`ALTER TABLE ${this.stepTable} ADD COLUMN IF NOT EXISTS ${quoteIdent(c)} BIGINT`);
    for (const c of RUN_COLUMNS.filter((x) => RUN_COLUMNS_ADDED.includes(x.name))) {
      await this.write(`ALTER TABLE ${this.runTable} ADD COLUMN IF NOT EXISTS ${quoteIdent(c.name)} ${c.type}`);
    }
  }

  /** Whether the ledger tables exist (status must not create them). */
  async exists(): Promise<boolean> {
    const rows = await this.read<{ n: unknown }>(
      `SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = ${quoteString(this.schema)} AND table_name = ${quoteString(RUN_TABLE)}`,
    );
    return (numberFromDb(rows[0]?.n) ?? 0) > 0;
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
    await this.write(
      `INSERT INTO ${this.runTable} ("run_id", "workflow_name", "plan_fingerprint", "status", "started_at", "target", "orchestrator", "resumed_from", "concurrency", "invocation", "steps_total", "steps_succeeded", "steps_failed", "steps_skipped", "steps_reused", "steps_cancelled", "attempts", "rows_affected", "host", "pid")\nVALUES (${[
        run.runId,
        run.workflow,
        run.planFingerprint,
        "running",
        run.startedAt,
        run.target,
        run.orchestrator,
        run.resumedFrom,
        run.concurrency,
        run.invocation,
        run.steps.length,
        0,
        0,
        0,
        reused,
        0,
        0,
        0,
        os.hostname(),
        process.pid,
      ]
        .map(sqlValue)
        .join(", ")})`,
    );
    // In chunks: one statement per few hundred steps keeps statements small for any engine.
    for (let i = 0; i < run.steps.length; i += 200) {
      const values = run.steps
        .slice(i, i + 200)
        .map((s) => `(${[run.runId, s.step, s.fingerprint, s.kind, s.level, s.status, 0, s.reusedFrom].map(sqlValue).join(", ")})`);
      await this.write(
        `INSERT INTO ${this.stepTable} ("run_id", "step_name", "step_fingerprint", "step_kind", "step_level", "status", "attempts", "reused_from")\nVALUES\n${values.join(",\n")}`,
      );
    }
  }

  /** Updates one step of a run. */
  async updateStep(runId: string, step: string, u: LedgerStepUpdate): Promise<void> {
    const set: string[] = [`"status" = ${sqlValue(u.status)}`];
    if (u.attempts !== undefined) set.push(`"attempts" = ${sqlValue(u.attempts)}`);
    if (u.startedAt) set.push(`"started_at" = ${sqlValue(u.startedAt)}`);
    if (u.endedAt) set.push(`"ended_at" = ${sqlValue(u.endedAt)}`);
    if (u.durationMs !== undefined) set.push(`"duration_ms" = ${sqlValue(u.durationMs)}`);
    if (u.rows) {
      set.push(`"rows_affected" = ${sqlValue(u.rows.affected)}`, `"rows_verb" = ${sqlValue(u.rows.verb)}`);
      set.push(`"rows_inserted" = ${sqlValue(u.rows.inserted)}`, `"rows_updated" = ${sqlValue(u.rows.updated)}`, `"rows_deleted" = ${sqlValue(u.rows.deleted)}`);
      set.push(`"rows_read" = ${sqlValue(u.rows.read)}`, `"rows_filtered" = ${sqlValue(u.rows.filtered)}`);
    }
    if (u.error !== undefined) set.push(`"error_message" = ${sqlValue(u.error.slice(0, MAX_ERROR_CHARS))}`);
    if (u.skippedBecause !== undefined) set.push(`"skipped_because" = ${sqlValue(u.skippedBecause)}`);
    await this.write(`UPDATE ${this.stepTable} SET ${set.join(", ")}\nWHERE "run_id" = ${sqlValue(runId)} AND "step_name" = ${sqlValue(step)}`);
  }

  /**
   * Records a step's row accounting (the rows not written and added, per reason), replacing what an earlier
   * attempt recorded. Nothing when the step has none.
   */
  async recordRowReasons(runId: string, step: string, rows: StepRows): Promise<void> {
    const entries = [
      ...(rows.notWritten ?? []).map((r) => ({ ...r, effect: "not_written" })),
      ...(rows.added ?? []).map((r) => ({ ...r, effect: "added" })),
    ];
    if (entries.length === 0) return;
    await this.write(`DELETE FROM ${this.stepRowsTable} WHERE "run_id" = ${sqlValue(runId)} AND "step_name" = ${sqlValue(step)}`);
    const values = entries.map((e, i) => `(${[runId, step, i + 1, e.branch, e.effect, e.reason, e.rows].map(sqlValue).join(", ")})`);
    await this.write(`INSERT INTO ${this.stepRowsTable} ("run_id", "step_name", "position", "branch", "effect", "reason", "rows")\nVALUES\n${values.join(",\n")}`);
  }

  /** Records the end of a run; `error` says why it failed when no step's error does. */
  async finishRun(runId: string, status: RunStatus, endedAt: Date, durationMs: number, totals: RunTotals, error?: string): Promise<void> {
    const set = [
      ...(error !== undefined ? [`"error_message" = ${sqlValue(error.slice(0, MAX_ERROR_CHARS))}`] : []),
      `"status" = ${sqlValue(status)}`,
      `"ended_at" = ${sqlValue(endedAt)}`,
      `"duration_ms" = ${sqlValue(durationMs)}`,
      `"steps_succeeded" = ${sqlValue(totals.succeeded)}`,
      `"steps_failed" = ${sqlValue(totals.failed)}`,
      `"steps_skipped" = ${sqlValue(totals.skipped)}`,
      `"steps_reused" = ${sqlValue(totals.reused)}`,
      `"steps_cancelled" = ${sqlValue(totals.cancelled)}`,
      `"attempts" = ${sqlValue(totals.attempts)}`,
      `"rows_affected" = ${sqlValue(totals.rowsAffected)}`,
    ];
    await this.write(`UPDATE ${this.runTable} SET ${set.join(", ")}\nWHERE "run_id" = ${sqlValue(runId)}`);
  }

  /** The most recent runs, newest first, optionally of one workflow. */
  async listRuns(options: { workflow?: string; limit?: number } = {}): Promise<LedgerRun[]> {
    const where = options.workflow !== undefined ? `WHERE "workflow_name" = ${sqlValue(options.workflow)}` : "";
    const limit = Math.max(1, Math.trunc(options.limit ?? 10));
    const rows = await this.read<Record<string, unknown>>(`SELECT * FROM ${this.runTable} ${where} ORDER BY "run_id" DESC LIMIT ${limit}`);
    return rows.map((r) => this.runFromRow(r));
  }

  /** One run, or undefined. */
  async getRun(runId: string): Promise<LedgerRun | undefined> {
    const rows = await this.read<Record<string, unknown>>(`SELECT * FROM ${this.runTable} WHERE "run_id" = ${sqlValue(runId)}`);
    return rows[0] ? this.runFromRow(rows[0]) : undefined;
  }

  /** The steps of a run, in plan order (level, then name). */
  async stepRuns(runId: string): Promise<LedgerStepRun[]> {
    const rows = await this.read<Record<string, unknown>>(
      `SELECT * FROM ${this.stepTable} WHERE "run_id" = ${sqlValue(runId)} ORDER BY "step_level", "step_name"`,
    );
    const steps = rows.map(stepFromRow);
    // Ledgers of older versions have no accounting table (and status must not create it).
    const hasReasons = await this.read<{ n: unknown }>(
      `SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = ${quoteString(this.schema)} AND table_name = ${quoteString(STEP_ROWS_TABLE)}`,
    );
    if ((numberFromDb(hasReasons[0]?.n) ?? 0) === 0) return steps;
    const reasons = await this.read<Record<string, unknown>>(
      `SELECT * FROM ${this.stepRowsTable} WHERE "run_id" = ${sqlValue(runId)} ORDER BY "step_name", "position"`,
    );
    const byStep = new Map(steps.map((s) => [s.step, s]));
    for (const r of reasons) {
      const s = byStep.get(String(r["step_name"]));
      if (!s) continue;
      const branch = numberFromDb(r["branch"]);
      const entry = { reason: String(r["reason"]), rows: numberFromDb(r["rows"]) ?? 0, ...(branch !== undefined ? { branch } : {}) };
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
export async function findLedgerSchemas(conn: Connection): Promise<string[]> {
  const rows = await conn.query<{ table_schema: unknown }>(
    `SELECT DISTINCT table_schema FROM information_schema.tables WHERE table_name = ${quoteString(RUN_TABLE)} ORDER BY table_schema`,
  );
  return rows.map((r) => String(r.table_schema));
}
