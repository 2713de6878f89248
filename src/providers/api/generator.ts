/** What a dialect's SQL generator is: pure rendering of plan steps, and the queries orchestrators run around them (part of `omopetl/provider`). */
import type { DdlBody, LoadBody, PlanStep, TableDef, TableRef, TransformBody } from "../../core/model/plan.js";
import type { CheckMeasure, CheckRowSet } from "../../core/checks/check-model.js";
import type { ProviderCapabilities } from "./capabilities.js";
import type { ExistingTablesQuery } from "./existing-tables.js";
import type { CatalogSql, LedgerSql } from "./ledger.js";

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
   * True when the orchestrator found the id map without a single key before any step of the run ran: every key the
   * run's assigners add is then recorded by them and live, nothing can need retiring or reviving, so the liveness
   * settle (two updates per assigned domain, each reading the domain's whole map) is left out. Unset: settled.
   */
  idMapEmptyAtStart?: boolean;
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
   * Index of a later statement returning the result statement's count, for engines whose writes return none (Delta's
   * INSERT on open-source Spark): a statement whose execution reports that count as its `rowCount` (on Spark, a
   * `SELECT count(*) AS num_affected_rows` over what was written). Optional; without it the result statement's own
   * count is used.
   */
  countStatement?: number;
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
  /**
   * A step writing several tables (a load of several tables): each table's result statement and, where its engine
   * needs one, its count statement. The step's result is the sum of their counts; `resultStatement` and
   * `countStatement` are then the first table's. Optional; absent for a step with one result.
   */
  partResults?: { resultStatement: number; countStatement?: number }[];
  /**
   * Statements explaining a failure: when statement `statement` fails, the step rolls back, then `statements` run
   * (in one transaction, on the same session) and the first of them to fail gives the step's error instead. A fast
   * statement that only knows that something is wrong (DuckDB's one-pass load fails on the first bad value with a
   * marker) pairs with the slower one naming it (the file, row and column), which then costs nothing on success.
   * Read-only but for temporary tables; when none fails, the original error stands. Optional.
   */
  explainFailure?: { statement: number; statements: string[] }[];
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
   * target, or, for an engine without one catalog query, its steps (existing-tables.ts; orchestrators run either
   * with queryExistingTables). Optional: the run checks with it that what its steps need is there (TABLE_MISSING)
   * before running.
   */
  renderExistingTables?(tables: readonly TableRef[], ctx: RenderContext): ExistingTablesQuery;
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
  /** A query returning one row when the id map holds any key, none when it is empty (see {@link RenderContext.idMapEmptyAtStart}). */
  renderIdMapAnyKey?(ctx: RenderContext): string;
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
   * ([base/ledger-sql.ts](../base/ledger-sql.ts)); a dialect whose DDL or DML differs extends `BaseLedgerSql`.
   * Absent: omopetl renders them in ANSI SQL (double-quoted identifiers, `TIMESTAMP '...'` literals).
   */
  ledgerSql?: LedgerSql;
  /**
   * Optional: schema statements and catalog queries omopetl issues outside any step (schemas created before a run,
   * the ledgers `status` finds, the conformance suite's clean-up) ([base/catalog-sql.ts](../base/catalog-sql.ts)).
   * Absent: ANSI SQL over `information_schema`.
   */
  catalogSql?: CatalogSql;
  /**
   * Optional: one SELECT returning one row `(num_violated_rows, num_denominator_rows)` for a data quality check's
   * `ratio` measure (`omopetl check`, [base/check-sql.ts](../base/check-sql.ts)). Absent: the provider runs no checks.
   */
  renderCheck?(measure: CheckMeasure, ctx: RenderContext): string;
  /**
   * Optional: several `ratio` measures in one query, rows `(check_index, num_violated_rows, num_denominator_rows)`,
   * `check_index` the position in `measures`; fewer round trips than {@link renderCheck} one by one.
   */
  renderCheckBatch?(measures: readonly CheckMeasure[], ctx: RenderContext): string;
  /**
   * Optional: row sets of checks over the same rows (equal `scanKey`, each `isScannable`: core/checks/check-model.ts)
   * counted in one query over those rows: one row, column `count_<i>` for the row set at position `i`. DQD's ~2,000
   * counts then cost a query per table (and per join), not a subquery each.
   */
  renderCheckScan?(rowSets: readonly CheckRowSet[], ctx: RenderContext): string;
  /** Optional: up to `limit` violating rows of a check's `ratio` measure, for a failed check's sample. */
  renderCheckSample?(measure: CheckMeasure, ctx: RenderContext, limit: number): string;
  /** Optional: a query reading no row that fails when `column` is not a column of `table` (the cdmField check). */
  renderFieldProbe?(table: TableRef, column: string, ctx: RenderContext): string;
  /** Optional: one query reading no row that fails when any of `columns` is not a column of `table`. */
  renderFieldsProbe?(table: TableRef, columns: readonly string[], ctx: RenderContext): string;
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
