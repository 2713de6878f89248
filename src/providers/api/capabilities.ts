/** The provider API's version and the capabilities a provider declares (part of `omopetl/provider`). */

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
  /**
   * Loads fill `file_columns` (the name of the file a row came from, or a value captured from it: LoadBody's
   * fileColumns). Absent or false: such a load is refused with UNSUPPORTED_FEATURE, never loaded without them.
   */
  fileNameColumns?: boolean;
}

/**
 * The capabilities a version 1 provider is taken to have for what version 2 added: what omopetl assumed of every
 * provider before it could be said (multi-statement transactions, several writers, no limit).
 */
export const V1_CAPABILITY_DEFAULTS: Pick<ProviderCapabilities, "transactions" | "singleWriter"> = {
  transactions: "multi-statement",
  singleWriter: false,
};
