/**
 * The provider API (`omopetl/provider`): what a SQL dialect implements so omopetl can run plans on it.
 *
 * Modelled on Kysely's Dialect (a small interface plus capability flags, with SQL generation kept pure) and on
 * Drizzle's split of SQL generation from drivers: a {@link SqlGenerator} turns plan steps into statements without
 * any I/O, and a {@link Connection} executes them. Orchestrators run a step with {@link executeRenderedStep}
 * without knowing the dialect: whether the statements need one transaction is part of what the generator returns.
 */
import type { CompiledWorkflowPlan, DdlBody, LoadBody, PlanStep, TableDef, TableRef, TransformBody } from "../core/model/plan.js";
import { SqlExecutionError } from "./provider-errors.js";
import type { TargetOptionIssue } from "./target-options.js";

export { checkTargetOptions, TARGET_COMMON_OPTIONS, type TargetOptionIssue } from "./target-options.js";

export {
  UnsupportedFeatureError,
  SqlExecutionError,
  invalidIdentifier,
  invalidLiteral,
  invalidPlan,
  unknownSchema,
  invalidTargetConfig,
  connectionFailed,
} from "./provider-errors.js";

/**
 * Bumped on any incompatible change of this file; third-party providers declare the version they implement.
 * Version 2 added the capabilities `transactions`, `singleWriter` and `maxConcurrency` (and the optional hooks
 * `classifyError`, several statements from `renderMerge`). A version 1 provider still loads: the capabilities it
 * cannot declare take the values every version 1 provider was assumed to have ({@link V1_CAPABILITY_DEFAULTS}).
 */
export const PROVIDER_API_VERSION = 2 as const;

/** The provider API versions this omopetl loads. */
export type ProviderApiVersion = 1 | typeof PROVIDER_API_VERSION;

/**
 * How much of a step's work the engine can make atomic: "multi-statement" (a transaction spans the statements of a
 * step, so a failing step changes nothing), "statement" (each statement is atomic on its own, as in Spark/Delta or
 * BigQuery without sessions: a step failing at its third statement keeps the first two's effects until it is
 * re-run), "none" (not even one statement is: a failed INSERT may have written some rows).
 */
export type TransactionSupport = "none" | "statement" | "multi-statement";

/** What a dialect can do. Generators consult their own flags; orchestrators and the CLI use them to explain limits. */
export interface ProviderCapabilities {
  /**
   * The generator renders transform mode "merge" (by `MERGE INTO`, the base class's default, or by the engine's own
   * statements). A merge upserts the step's rows by the step's key: a new key is inserted, a row whose other values
   * differ (compared as stored, NULLs equal) is updated and no other row is (a re-run with nothing changed writes 0
   * rows), and the target's other rows are left alone — except the rows the step itself wrote in an earlier run
   * whose key its select no longer produces, which the base generator deletes after the merge (base/merge-prune.ts;
   * a generator rendering its own merge steps must do the same); the result count is the rows inserted or updated. False:
   * a merge step raises UNSUPPORTED_FEATURE while rendering.
   */
  merge: boolean;
  /** `INSERT ... ON CONFLICT (key) DO UPDATE` (needs a unique constraint on the key). */
  onConflict: boolean;
  /** CREATE/DROP/ALTER take part in transactions and roll back with them. */
  transactionalDdl: boolean;
  /** `CREATE OR REPLACE TABLE`. */
  createOrReplaceTable: boolean;
  /** The engine reads files itself (no rows pass through omopetl). */
  serverSideFileLoad: boolean;
  /** URI schemes loads accept besides plain local paths ("file" included when file:// is understood). */
  fileUriSchemes: readonly string[];
  /** Loads accept glob patterns in file names. */
  fileGlobs: boolean;
  /** Loads accept Parquet files. */
  parquet: boolean;
  /** `ALTER TABLE ... ADD PRIMARY KEY` on an existing table. */
  alterTableAddPrimaryKey: boolean;
  /** `ALTER TABLE ... ADD FOREIGN KEY` on an existing table. */
  alterTableAddForeignKey: boolean;
  /** Secondary indexes (`CREATE INDEX`). */
  indexes: boolean;
  /** `ORDER BY x NULLS FIRST|LAST`. */
  nullsOrdering: boolean;
  /** Session-scoped temporary tables. */
  tempTables: boolean;
  /** Longest identifier in bytes (longer names are rejected rather than truncated by the engine). */
  maxIdentifierLength: number;
  /**
   * Whether ddl part "indexes" creates the CDM's standard (OHDSI) indexes when the target does not say (`indexes:`
   * in its config). Default true. False where the engine gains nothing from them: DuckDB plans no joins or scans
   * through its ART indexes (only point lookups), yet maintains and persists them.
   */
  standardIndexes?: boolean;
  /**
   * What the engine's transactions cover (see {@link TransactionSupport}). With anything less than
   * "multi-statement", a step whose `RenderedStep.transactional` is true runs statement by statement on one session
   * (there is no transaction to open), the orchestrator says once per run that a failed step may have left partial
   * writes, and the conformance suite skips its all-or-nothing tests (saying why). Every step omopetl renders is
   * idempotent, so re-running a failed step repairs what it left; a provider with less than multi-statement
   * transactions must keep that true of its own statements.
   */
  transactions: TransactionSupport;
  /**
   * The database takes one writer at a time (an embedded file engine such as DuckDB or SQLite: one connection, its
   * statements serialised). The local orchestrator then runs one step at a time unless `--concurrency` asks for more.
   */
  singleWriter: boolean;
  /**
   * The most steps that may run at once on one target (a warehouse's session or slot limit; 1 where the driver cannot
   * share its connection). A larger `--concurrency` is refused with INVALID_CONCURRENCY naming the limit. Absent: no
   * limit of the provider's own.
   */
  maxConcurrency?: number;
}

/**
 * The capabilities a version 1 provider is taken to have for what version 2 added: what omopetl assumed of every
 * provider before it could be said (multi-statement transactions, several writers, no limit).
 */
export const V1_CAPABILITY_DEFAULTS: Pick<ProviderCapabilities, "transactions" | "singleWriter"> = {
  transactions: "multi-statement",
  singleWriter: false,
};

/** What a generator needs besides the step: the plan's tables and the target's physical names. */
export interface RenderContext {
  /** Every table the plan touches (plan.tables). */
  tables: readonly TableDef[];
  /** Logical schema -> physical schema name (plan.schemas overridden by the target's mapping). */
  schemas: Readonly<Record<string, string>>;
  /** Where surrogate ids are persisted (plan.idMap). */
  idMap: TableRef;
  /**
   * The target's `indexes:` option: false skips the standard indexes of ddl part "indexes", true creates them even
   * where the provider's {@link ProviderCapabilities.standardIndexes} default is false. Undefined: the default.
   */
  indexes?: boolean;
  /**
   * Id domain -> the names of the plan's steps that assign ids in it. An assigning step forgets the keys recorded
   * by steps no longer in this list (a renamed or removed step), which would otherwise stay live for ever. Unset:
   * only the step's own records are replaced.
   */
  idAssigners?: Readonly<Record<string, readonly string[]>>;
  /**
   * Target table (logical `schema.name`) -> the names of the plan's steps that write it in mode merge. A merge step
   * leaves alone the rows another of them recorded, and prunes those recorded by steps no longer in this list (a
   * renamed or removed step). Unset: only the step's own records count.
   */
  mergeWriters?: Readonly<Record<string, readonly string[]>>;
}

/**
 * A step's statements in execution order. `transactional: true` means they must run in one transaction (all or
 * nothing); false means each runs on its own (statements that cannot run in a transaction, e.g. VACUUM), still on
 * one session so temp tables and settings carry over.
 */
export interface RenderedStep {
  statements: string[];
  transactional: boolean;
  /**
   * Index of the statement whose row count is the step's result ("27 inserted"): the load's INSERT, the transform's
   * MERGE/INSERT. Undefined when no statement's count is meaningful (ddl, sql).
   */
  resultStatement?: number;
  /**
   * Index of the DELETE removing the target rows a merge step wrote in an earlier run and whose source is gone (its
   * select no longer produces their key): counted apart, as rows deleted because their source is gone. Optional.
   */
  staleRowsStatement?: number;
  /**
   * Indexes of statements that keep omopetl's own bookkeeping (the id map and its key records, the merge ledger):
   * their row counts are not rows of the step's target, so orchestrators leave them out of what it inserted,
   * updated and deleted. Optional.
   */
  bookkeepingStatements?: number[];
}

/** Pure SQL generation for one dialect: no I/O, deterministic output for equal input. */
export interface SqlGenerator {
  /** Statements for one plan step. Throws UnsupportedFeatureError for anything the dialect cannot express. */
  renderStep(step: PlanStep, ctx: RenderContext): RenderedStep;
  /**
   * CDM DDL for `tables`: "tables" creates them (idempotently), "constraints" adds primary and foreign keys,
   * "indexes" creates TableDef.indexes. Every returned statement is executable (a dialect that cannot do
   * something returns a SQL comment saying so).
   */
  renderDdl(tables: readonly TableDef[], part: DdlBody["part"], ctx: RenderContext): string[];
  /**
   * Optional: `SELECT count(*) AS n FROM <table>`, which orchestrators run after a transform to report the rows it
   * read beside the rows it wrote (row accounting). Generators without it simply report no rows read.
   */
  renderCount?(table: TableRef, ctx: RenderContext): string;
  /**
   * A query whose rows `(schema_name, table_name)` are the physical names of those of `tables` that exist on the
   * target. Optional: the run checks with it that what its steps need is there (TABLE_MISSING) before running.
   */
  renderExistingTables?(tables: readonly TableRef[], ctx: RenderContext): string;
  /**
   * Optional: one SELECT returning one row of counts that account for every row a transform read and did not write
   * (or wrote more than once), reason by reason; orchestrators run it after the step. Undefined when the plan has no
   * accounting for the step (plans of older versions).
   */
  renderRowAccounting?(body: TransformBody, ctx: RenderContext, options?: RowAccountingOptions): RowAccountingQuery | undefined;
  /**
   * Optional: read-only queries an orchestrator runs after a transform failed, to find the column (and a source
   * row) its value error comes from. Undefined when the plan does not say where the columns are written.
   */
  renderFailureProbes?(body: TransformBody, ctx: RenderContext): FailureProbes | undefined;
  /**
   * Optional: for a load with `on_error: reject` (`body.rejects`), a query returning one row with `rows_rejected`
   * (file rows diverted) and `values_rejected` (rows of the rejects table), which orchestrators run after the load
   * committed, and the rejects table's physical name (`schema.table`) to show. Undefined for other loads.
   */
  renderLoadRejects?(body: LoadBody, ctx: RenderContext): { sql: string; table: string } | undefined;
  /**
   * Optional: the id map's `CREATE TABLE IF NOT EXISTS`, which orchestrators run once before the steps: the steps
   * run it too, but on PostgreSQL two of them creating the table at the same moment fail on a unique violation of
   * the catalog (pg_type) — on a fresh database, with independent steps assigning ids side by side.
   */
  renderIdMapSetup?(ctx: RenderContext): string;
  /**
   * Optional: the merge ledger's `CREATE TABLE IF NOT EXISTS` (which rows each merge step wrote), run once before
   * the steps when one of them merges, for the same reason as {@link renderIdMapSetup}.
   */
  renderMergeKeysSetup?(ctx: RenderContext): string;
  /**
   * Optional: the mapping coverage queries of a transform's lookups (one per lookup of each select), which
   * orchestrators run after the step to report mapped and unmapped codes. Each returns rows
   * `(code, n, targets)`: per distinct code, the rows read and how many standard concepts it mapped to (0: unmapped).
   */
  renderLookupCoverage?(body: TransformBody, ctx: RenderContext): LookupCoverageQuery[];
  /**
   * Optional: the statements of omopetl's own tables (the run ledger `omopetl_run`/`omopetl_step_run`, the row
   * accounting `omopetl_step_rows`, the coverage reports `omopetl_lookup_coverage`), which the orchestrator writes
   * and `omopetl status` reads. {@link BaseSqlGenerator} renders them with its `ident` and `stringLiteral`
   * ([base/ledger-sql.ts](base/ledger-sql.ts)); a dialect whose DDL or DML differs extends `BaseLedgerSql`.
   * Absent: omopetl renders them in ANSI SQL (double-quoted identifiers, `TIMESTAMP '...'` literals).
   */
  ledgerSql?: LedgerSql;
  /**
   * Optional: schema statements and catalog queries omopetl issues outside any step (schemas created before a run,
   * the ledgers `status` finds, the conformance suite's clean-up) ([base/catalog-sql.ts](base/catalog-sql.ts)).
   * Absent: ANSI SQL over `information_schema`.
   */
  catalogSql?: CatalogSql;
}

/** A table of omopetl's own (run ledger, row accounting, coverage), by its physical schema and name. */
export interface LedgerTable {
  schema: string;
  name: string;
}

/** A column of a ledger table. */
export interface LedgerColumn {
  name: string;
  type: "VARCHAR" | "INTEGER" | "BIGINT" | "TIMESTAMP";
  notNull?: boolean;
}

/**
 * A value written to (or compared with) a ledger column: text, an integer (truncated; non-finite is NULL), a
 * timestamp (a Date, stored in UTC without a time zone), or NULL (null or undefined).
 */
export type LedgerValue = string | number | Date | null | undefined;

/** Column -> value, in the order the statement lists them; in a WHERE, the conditions are ANDed (NULL: IS NULL). */
export type LedgerValues = Readonly<Record<string, LedgerValue>>;

/** What {@link LedgerSql.select} reads: `columns` (default: all) of the rows matching `where`, ordered, at most `limit`. */
export interface LedgerQuery {
  columns?: readonly string[];
  where?: LedgerValues;
  orderBy?: readonly { column: string; descending?: boolean }[];
  limit?: number;
}

/**
 * The statements of omopetl's own tables. Each returns one statement, run on its own (autocommit); identifiers
 * are physical names, to quote as the dialect does.
 */
export interface LedgerSql {
  /** Creates the table when missing (`CREATE TABLE IF NOT EXISTS`), with its primary key (none when empty). */
  createTable(table: LedgerTable, columns: readonly LedgerColumn[], primaryKey: readonly string[]): string;
  /** Adds a column when missing (a ledger written by an older omopetl): `ALTER TABLE ... ADD COLUMN IF NOT EXISTS`. */
  addColumn(table: LedgerTable, column: LedgerColumn): string;
  /** One INSERT of `rows` (each in the order of `columns`). */
  insert(table: LedgerTable, columns: readonly string[], rows: readonly (readonly LedgerValue[])[]): string;
  /** An UPDATE setting `set` on the rows matching `where`. */
  update(table: LedgerTable, set: LedgerValues, where: LedgerValues): string;
  /** A DELETE of the rows matching `where`. */
  delete(table: LedgerTable, where: LedgerValues): string;
  /**
   * A SELECT of the columns (rows as the {@link Connection} returns them). Also how the conformance suite reads its
   * tables back, so a provider passes it without the suite writing SQL of its own.
   */
  select(table: LedgerTable, query?: LedgerQuery): string;
}

/** Schema statements and catalog queries omopetl issues outside any step. */
export interface CatalogSql {
  /** Creates a schema when missing (the statement steps use, so an up-front creation cannot race with them). */
  createSchema(schema: string): string;
  /** Drops a schema and everything in it, when it exists (the conformance suite's clean-up). */
  dropSchema(schema: string): string;
  /**
   * A query whose rows `(table_schema, table_name)` are the tables called `name` (exactly), in `schema` when given,
   * else in every schema, ordered by schema: how `status` finds the run ledgers of a database.
   */
  findTables(name: string, schema?: string): string;
}

/** A coverage query of one lookup: `select` is the index of the select in the transform (0 unless a union). */
export interface LookupCoverageQuery {
  select: number;
  lookup: string;
  sql: string;
}

/** Options of {@link SqlGenerator.renderRowAccounting}. */
export interface RowAccountingOptions {
  /**
   * The rows the (single) select yields are known without counting them (the step's INSERT count): the last
   * count, when it would evaluate the whole select again, is left out (its `column` is null).
   */
  finalCountKnown?: boolean;
}

/**
 * One count of a row-accounting query, in order: "read" is the rows a select read (its FROM table); "dropped" rows
 * removed for `reason`; "after" the rows left after the stage named by `reason` (fewer than before: removed for it;
 * more: added by it, e.g. a join matching a row several times).
 */
export interface RowAccountingCount {
  /** The union branch (1-based), when the transform has several selects. */
  branch?: number;
  /** The result column holding the count; null: the step's own result count. */
  column: string | null;
  kind: "read" | "dropped" | "after";
  reason: string;
}

/** What {@link SqlGenerator.renderRowAccounting} returns. */
export interface RowAccountingQuery {
  sql: string;
  counts: RowAccountingCount[];
}

/** A place in a DML file: 1-based line and column. */
export interface SourcePosition {
  line: number;
  column: number;
}

/** The probes of one output column of a failed transform (see {@link FailureProbes}). */
export interface ColumnFailureProbe {
  column: string;
  /** Where the column's expression is written. */
  at: SourcePosition;
  /** The target column is NOT NULL. */
  required: boolean;
  /** A NULL says nothing (an id the step assigns, rolled back with it). */
  ignoreNulls: boolean;
  /** Returns `n` (rows) and `v` (non-NULL values); fails when a value cannot be computed. */
  sql: string;
  /** For a column computed row by row: the source values its expression reads, numbered in a shared order. */
  sample?: {
    /** `alias.column` of each value, in the order `row` returns them. */
    refs: string[];
    /** `n` and `v` over the rows numbered lo+1..hi (fails when one of them cannot be computed). */
    values(lo: number, hi: number): string;
    /** The values of row k. */
    row(k: number): string;
  };
}

/** What {@link SqlGenerator.renderFailureProbes} returns: per select (union branch), its probes. */
export interface FailureProbes {
  branches: {
    /** 1-based, when the transform has several selects. */
    branch?: number;
    /** Where the select's where is written, if it has one. */
    where?: SourcePosition;
    /** Returns `n`, the rows of the select's FROM/JOINs/WHERE (fails when the where or a join does). */
    rows: string;
    columns: ColumnFailureProbe[];
  }[];
}

/** One result of {@link Connection.execute}. */
export interface ExecuteResult {
  /** Rows inserted/updated/deleted/merged, when the driver reports it. */
  rowCount?: number;
}

/**
 * A live database session or pool. Values returned by `query` are JSON-compatible and alike across providers:
 * integers as numbers, bigint/decimal as strings, dates as "YYYY-MM-DD", timestamps as "YYYY-MM-DD HH:MM:SS[.ffffff]",
 * booleans as booleans, NULL as null.
 */
export interface Connection {
  readonly dialect: string;
  execute(sql: string): Promise<ExecuteResult>;
  query<T = Record<string, unknown>>(sql: string): Promise<T[]>;
  /**
   * Runs `fn` in one transaction on one session: COMMIT when it resolves, ROLLBACK when it throws. Providers may
   * re-run `fn` on transient failures (serialization failure, deadlock, lost connection), so `fn` must only issue
   * statements through `tx`. Calling `tx.transaction` inside runs inline (no nesting).
   */
  transaction<T>(fn: (tx: Connection) => Promise<T>): Promise<T>;
  /** Runs `fn` on one session without a transaction (temp tables and SET carry over between its statements). */
  session<T>(fn: (s: Connection) => Promise<T>): Promise<T>;
  /**
   * Cancels the statement running on this session (the one handed to a `transaction`/`session` callback), which
   * then fails; for step timeouts and interrupts. Optional: absent where the driver cannot cancel.
   */
  cancel?(): Promise<void>;
  /**
   * Takes the target's run lock for `scope` without waiting: one writer per target at a time. Resolves to a held
   * lock, or to `{ held: false, holder }` naming who holds it. The lock must be released by the engine when the
   * holding process dies (a session-scoped lock, a file lock), never by a timeout. Optional: a provider without it
   * is reported by the orchestrator (runs are then not protected from each other), never silently unlocked.
   */
  acquireRunLock?(scope: RunLockScope): Promise<RunLockAttempt>;
  close(): Promise<void>;
}

/** What a run lock protects and who asks for it. */
export interface RunLockScope {
  /** The physical schemas the run writes, sorted: two runs conflict when they write the same set on one database. */
  schemas: readonly string[];
  /** Who asks, shown to a second run: run id, host, pid and start time. */
  holder: RunLockHolder;
}

/** The run holding (or asking for) a target's lock. */
export interface RunLockHolder {
  runId: string;
  host: string;
  pid: number;
  startedAt: string;
}

/** The outcome of {@link Connection.acquireRunLock}. */
export type RunLockAttempt = { held: true; release(): Promise<void> } | { held: false; holder: RunLockHolder | undefined };

/**
 * Connection options of one configured target. `provider` picks the provider; the other keys are the provider's
 * own (duckdb: path, memoryLimit, threads; postgres: url or host/port/user/password/database).
 */
export interface TargetConfig {
  provider: string;
  /** Logical -> physical schema names overriding the plan's defaults. */
  schemas?: Record<string, string>;
  /** Create the CDM's standard indexes (ddl part "indexes")? Default: the provider's (see ProviderCapabilities). */
  indexes?: boolean;
  [option: string]: unknown;
}

/** A SQL dialect: generation plus, optionally, a way to connect. */
export interface Provider {
  /** Unique name, used in target configs (`provider: duckdb`). */
  name: string;
  /** The version of this API the provider implements: {@link PROVIDER_API_VERSION}, or 1 for an older package. */
  apiVersion: ProviderApiVersion;
  /** The SQL dialect generated (several providers may share one). */
  dialect: string;
  capabilities: ProviderCapabilities;
  generator: SqlGenerator;
  /** Opens a connection; absent for generate-only providers. */
  connect?(target: TargetConfig): Promise<Connection>;
  /**
   * Checks a target's options as configured (before secret references are resolved), so an unknown key or a value
   * out of range is a located configuration error instead of being ignored. Optional; build it from a strict zod
   * schema with `checkTargetOptions` (src/providers/target-options.ts). No issue: the options are valid.
   */
  checkTarget?(options: Record<string, unknown>): TargetOptionIssue[];
  /**
   * Whether a failure of a step (the error `Connection` methods threw, usually a {@link SqlExecutionError} wrapping
   * the driver's) may succeed when the step runs again: "transient" (serialization failure, lost connection, a
   * warehouse's throttling...) is retried up to the step's `retries`, "permanent" fails the step at once. Undefined
   * leaves the verdict to omopetl's own rules (SQLSTATEs, socket errors, `error.transient === true`). Optional.
   */
  classifyError?(error: unknown): ErrorClass | undefined;
}

/** The verdict of {@link Provider.classifyError}. */
export type ErrorClass = "transient" | "permanent";

/** The render context of a plan on a target: the plan's schema names overridden by the target's, its `indexes:`. */
export function renderContextFromPlan(
  plan: Pick<CompiledWorkflowPlan, "tables" | "schemas" | "idMap"> & Partial<Pick<CompiledWorkflowPlan, "steps">>,
  target?: Readonly<Pick<TargetConfig, "schemas" | "indexes">>,
): RenderContext {
  const ctx: RenderContext = { tables: plan.tables, schemas: { ...plan.schemas, ...(target?.schemas ?? {}) }, idMap: plan.idMap };
  if (typeof target?.indexes === "boolean") ctx.indexes = target.indexes;
  if (plan.steps) {
    ctx.idAssigners = idAssignersOf(plan.steps);
    ctx.mergeWriters = mergeWritersOf(plan.steps);
  }
  return ctx;
}

/** Target table (logical `schema.name`) -> the steps writing it in mode merge, sorted (see {@link RenderContext.mergeWriters}). */
export function mergeWritersOf(steps: CompiledWorkflowPlan["steps"]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const step of steps) {
    if (step.body.kind !== "transform" || step.body.mode !== "merge") continue;
    const list = (out[`${step.body.target.schema}.${step.body.target.name}`] ??= []);
    if (!list.includes(step.name)) list.push(step.name);
  }
  for (const list of Object.values(out)) list.sort();
  return out;
}

/** Id domain -> the steps assigning ids in it, sorted (see {@link RenderContext.idAssigners}). */
export function idAssignersOf(steps: CompiledWorkflowPlan["steps"]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const step of steps) {
    if (step.body.kind !== "transform") continue;
    for (const sel of step.body.selects) for (const id of sel.ids) if (id.assign && !(out[id.domain] ??= []).includes(step.name)) out[id.domain]!.push(step.name);
  }
  for (const list of Object.values(out)) list.sort();
  return out;
}

/** Outcome of {@link executeRenderedStep}. */
export interface StepExecution {
  /** Per statement, the row count the driver reported. */
  rowCounts: (number | undefined)[];
  /** The count of `rendered.resultStatement`, if any. */
  rowCount?: number;
}

/**
 * Executes a rendered step: in one transaction when `rendered.transactional` and the engine has multi-statement
 * transactions (`transactions`, default "multi-statement"), else statement by statement on one session. A failing
 * statement becomes a {@link SqlExecutionError} naming the step and the statement.
 */
export async function executeRenderedStep(
  conn: Connection,
  stepName: string,
  rendered: RenderedStep,
  transactions: TransactionSupport = "multi-statement",
): Promise<StepExecution> {
  const run = async (c: Connection): Promise<(number | undefined)[]> => {
    const counts: (number | undefined)[] = [];
    for (const [i, sql] of rendered.statements.entries()) {
      try {
        counts.push((await c.execute(sql)).rowCount);
      } catch (e) {
        if (e instanceof SqlExecutionError) throw e;
        throw new SqlExecutionError(stepName, i, sql, e);
      }
    }
    return counts;
  };
  const rowCounts = rendered.transactional && transactions === "multi-statement" ? await conn.transaction(run) : await conn.session(run);
  const out: StepExecution = { rowCounts };
  if (rendered.resultStatement !== undefined) {
    const n = rowCounts[rendered.resultStatement];
    if (n !== undefined) out.rowCount = n;
  }
  return out;
}

/**
 * The shared generator built-in dialects extend; a third-party dialect close to PostgreSQL or DuckDB can extend it
 * too and override only the hooks where its SQL differs.
 */
export { BaseSqlGenerator, ID_MAP_COLUMNS } from "./base/base-generator.js";
/** The base renderings of omopetl's own statements (to extend), and the ones used for a generator without them. */
export { BaseLedgerSql, ledgerSqlOf } from "./base/ledger-sql.js";
export { BaseCatalogSql, catalogSqlOf } from "./base/catalog-sql.js";
/** The header check of loads (LOAD_HEADER_MISMATCH), for providers that render their own loads. */
export { checksHeader, headerMismatchSelect } from "./base/load-header-check.js";
/**
 * Helpers a provider's generator needs, exported so a third-party dialect does not re-implement them: file URIs and
 * glob patterns of loads, strftime formats (the plan's date formats) split into directives, the table definitions of a
 * render context, and SQL text layout. The built-in providers themselves are `omopetl/provider/duckdb` and
 * `omopetl/provider/postgres` (their generator classes can be extended; kept out of this entry so importing the API
 * does not load a database driver).
 */
export { uriScheme, localPath, hasGlob, splitDirectory, globToRegex } from "./base/file-patterns.js";
export { tokenizeStrftime, toPostgresTemplate, PG_STRFTIME_DIRECTIVES, type StrftimeToken } from "./base/strftime.js";
/**
 * The date format grammar of loads and to_date/to_timestamp (a format as a regex with a group per field; %y by the
 * POSIX rule), for engines that parse dates outside SQL: the base generator already renders it in SQL.
 */
export {
  parseDateFormat,
  isDateFormatProblem,
  dateFormatList,
  twoDigitYear,
  DATE_FORMAT_DIRECTIVES,
  type ParsedDateFormat,
  type DateFormatPart,
  type DateFormatProblem,
  type DateField,
} from "../core/load/date-format.js";
export { findTableDef, requireTableDefs, tableDefOrColumns, objectName } from "./base/plan-helpers.js";
export { indent, sqlComment } from "./base/sql-text.js";
