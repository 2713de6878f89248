/** A live connection to an engine, the run lock, a target's configuration and the provider itself (part of `omopetl/provider`). */
import type { SqlExecutionError } from "../provider-errors.js";
import type { TargetOptionIssue } from "../target-options.js";
import type { ProviderApiVersion, ProviderCapabilities } from "./capabilities.js";
import type { SqlGenerator } from "./generator.js";

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
