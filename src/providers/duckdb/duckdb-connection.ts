import { mkdir } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import type { DuckDBConnection as NativeConnection, DuckDBInstance } from "@duckdb/node-api";
import pRetry from "p-retry";
import type { Connection, ExecuteResult, RunLockAttempt, RunLockScope, TargetConfig } from "../provider-api.js";
import { connectionFailed, invalidTargetConfig, targetLocked } from "../provider-errors.js";
import { DuckDbTargetSchema } from "../target-options.js";
import { acquireDuckDbRunLock, readRunNote } from "./duckdb-run-lock.js";

export { DuckDbTargetSchema, type DuckDbTarget } from "../target-options.js";

/**
 * The catalog name a database file is attached under. DuckDB names a file's catalog after its stem, so a file
 * "synthea.duckdb" holding a schema "synthea" made `synthea.patients` ambiguous; attaching under a fixed name that
 * no workflow uses as a schema avoids the clash whatever the file is called.
 */
const FILE_CATALOG = "omopetl_db";

/** ResultReturnType.CHANGED_ROWS of @duckdb/node-bindings: DML reports rowsChanged. */
const CHANGED_ROWS = 1;

/**
 * True when `e` (or an error it wraps) is DuckDB aborting a transaction for a conflict with a concurrent one
 * ("Catalog write-write conflict on create", "Conflict on update!"): optimistic concurrency, so re-running the
 * transaction after the other committed succeeds (e.g. two steps both creating their schema).
 */
export function isDuckDbConflict(e: unknown): boolean {
  for (let cur: unknown = e, depth = 0; cur !== null && typeof cur === "object" && depth < 5; depth++) {
    const message = (cur as { message?: unknown }).message;
    if (typeof message === "string" && /TransactionContext Error:.*conflict/i.test(message)) return true;
    cur = (cur as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Opens a DuckDB database. @duckdb/node-api is imported here, lazily, so the native module is only loaded by
 * commands that actually connect.
 */
export async function connectDuckDb(target: TargetConfig): Promise<Connection> {
  const parsed = DuckDbTargetSchema.safeParse(target);
  if (!parsed.success) {
    throw invalidTargetConfig("duckdb", parsed.error.issues.map((i) => `${i.path.join(".") || "target"}: ${i.message}`).join("; "));
  }
  const t = parsed.data;
  const options: Record<string, string> = {};
  if (t.memoryLimit !== "none") options["memory_limit"] = t.memoryLimit;
  if (t.threads !== undefined) options["threads"] = String(t.threads);
  options["preserve_insertion_order"] = String(t.preserveInsertionOrder);
  // jemalloc hands freed pages back to the OS from a background thread instead of keeping them for reuse: the x1000
  // Synthea run peaked at 1.05 GB instead of 1.14 GB resident, in the same time.
  options["allocator_background_threads"] = "true";
  const path = t.path === ":memory:" ? ":memory:" : resolve(t.path);
  try {
    if (path !== ":memory:") await mkdir(dirname(path), { recursive: true });
    const { DuckDBInstance } = await import("@duckdb/node-api");
    const instance = await DuckDBInstance.create(":memory:", options);
    const main = await instance.connect();
    const use = path === ":memory:" ? undefined : `USE ${FILE_CATALOG}`;
    if (use) {
      await main.run(`ATTACH '${path.replaceAll("'", "''")}' AS ${FILE_CATALOG}`);
      await main.run(use);
    }
    return new DuckDbConnection(instance, main, t.retries, use, path);
  } catch (e) {
    // Another process has the file open (DuckDB's own lock): say which run, as a locked PostgreSQL target does.
    if (path !== ":memory:" && e instanceof Error && /Could not set lock on file/i.test(e.message)) throw targetLocked(path, [], readRunNote(path), undefined);
    throw connectionFailed("duckdb", `${path}: ${e instanceof Error ? e.message : String(e)}`, e);
  }
}

/** Runs one statement on a native connection. */
async function run(conn: NativeConnection, sql: string): Promise<ExecuteResult> {
  const result = await conn.run(sql);
  return (result.returnType as number) === CHANGED_ROWS ? { rowCount: result.rowsChanged } : {};
}

async function query<T>(conn: NativeConnection, sql: string): Promise<T[]> {
  const reader = await conn.runAndReadAll(sql);
  return reader.getRowObjectsJson() as T[];
}

/**
 * A DuckDB database opened in this process. Plain execute/query calls share one native connection and run one at a
 * time; each transaction and session gets a native connection of its own, so steps run concurrently under DuckDB's
 * MVCC (conflicting writers abort instead of blocking).
 */
class DuckDbConnection implements Connection {
  readonly dialect = "duckdb";
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly instance: DuckDBInstance,
    private readonly main: NativeConnection,
    private readonly retries: number,
    /** Run on every new native connection: selects the attached file's catalog. */
    private readonly use: string | undefined,
    /** The database file (absolute), or ":memory:". */
    private readonly file: string,
  ) {}

  acquireRunLock(scope: RunLockScope): Promise<RunLockAttempt> {
    return Promise.resolve(acquireDuckDbRunLock(this.file, scope));
  }

  /** Serialises calls on the shared connection (a native connection runs one statement at a time). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    this.assertOpen();
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error("the duckdb connection is closed");
  }

  execute(sql: string): Promise<ExecuteResult> {
    return this.serial(() => run(this.main, sql));
  }

  query<T = Record<string, unknown>>(sql: string): Promise<T[]> {
    return this.serial(() => query<T>(this.main, sql));
  }

  /** One transaction on a connection of its own; re-run when DuckDB aborts it for a conflict. */
  transaction<T>(fn: (tx: Connection) => Promise<T>): Promise<T> {
    return pRetry(() => this.session((s) => s.transaction(fn)), {
      retries: this.retries,
      minTimeout: 50,
      factor: 2,
      shouldRetry: ({ error }) => isDuckDbConflict(error),
    });
  }

  async session<T>(fn: (s: Connection) => Promise<T>): Promise<T> {
    this.assertOpen();
    const native = await this.instance.connect();
    if (this.use) await native.run(this.use);
    try {
      return await fn(new PinnedDuckDbConnection(native, false));
    } finally {
      native.closeSync();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.queue;
    this.closed = true;
    this.main.closeSync();
    this.instance.closeSync();
  }
}

/** A Connection bound to one native connection (a session or a transaction). */
class PinnedDuckDbConnection implements Connection {
  readonly dialect = "duckdb";
  constructor(
    readonly native: NativeConnection,
    private readonly inTransaction: boolean,
  ) {}

  execute(sql: string): Promise<ExecuteResult> {
    return run(this.native, sql);
  }

  query<T = Record<string, unknown>>(sql: string): Promise<T[]> {
    return query<T>(this.native, sql);
  }

  async transaction<T>(fn: (tx: Connection) => Promise<T>): Promise<T> {
    if (this.inTransaction) return fn(this);
    await this.native.run("BEGIN TRANSACTION");
    let result: T;
    try {
      result = await fn(new PinnedDuckDbConnection(this.native, true));
    } catch (e) {
      try {
        await this.native.run("ROLLBACK");
      } catch {
        // The transaction may already be aborted; the original error is what matters.
      }
      throw e;
    }
    // A failed COMMIT (conflict) rolls back by itself.
    await this.native.run("COMMIT");
    return result;
  }

  /** Interrupts the statement running on this session (it fails with an "Interrupted" error). */
  async cancel(): Promise<void> {
    this.native.interrupt();
  }

  session<T>(fn: (s: Connection) => Promise<T>): Promise<T> {
    return fn(this);
  }

  async close(): Promise<void> {
    // Owned by the DuckDbConnection that handed it out.
  }
}
