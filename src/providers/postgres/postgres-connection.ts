/*
 * Connections to PostgreSQL through `pg` directly, not knex: omopetl only sends finished SQL text, so knex's query
 * builder and dialect layer would be dead weight; its pool and transactions are thin wrappers over pg's, and using
 * pg.Pool ourselves keeps control of what matters here: one pinned client per transaction/session, the raw SQLSTATE
 * codes for retry decisions, and per-pool type parsers (without mutating pg's global ones).
 */
import type { Client, Pool, PoolClient, QueryResult } from "pg";
import pRetry from "p-retry";
import type { Connection, ExecuteResult, RunLockAttempt, RunLockScope, TargetConfig } from "../provider-api.js";
import { connectionFailed, invalidTargetConfig } from "../provider-errors.js";
import { PostgresTargetSchema } from "../target-options.js";
import { acquirePostgresRunLock } from "./postgres-run-lock.js";
import { redactUrl } from "../../core/secrets/url-password.js";

export { PostgresTargetSchema, type PostgresTarget } from "../target-options.js";

/**
 * SQLSTATEs worth retrying: the operation can succeed unchanged on a new attempt. 57P01 admin shutdown, 57P02 crash
 * shutdown, 57P03 cannot connect now (starting up), 40001 serialization failure, 40P01 deadlock, 08xxx connection
 * exceptions.
 */
const TRANSIENT_SQLSTATES = new Set(["57P01", "57P02", "57P03", "40001", "40P01", "08000", "08001", "08003", "08004", "08006"]);
/** Socket errors of a refused, reset or dropped connection. */
const TRANSIENT_ERRNOS = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN"]);

/** True when `e` (or an error it wraps) is a transient failure: lost/refused connection, deadlock, serialization. */
export function isTransientPostgresError(e: unknown): boolean {
  for (let cur: unknown = e, depth = 0; cur !== undefined && cur !== null && depth < 5; depth++) {
    if (typeof cur === "object") {
      const code = (cur as { code?: unknown }).code;
      if (typeof code === "string" && (TRANSIENT_SQLSTATES.has(code) || TRANSIENT_ERRNOS.has(code))) return true;
      const message = (cur as { message?: unknown }).message;
      // pg's errors when the server closes the socket carry no code.
      if (typeof message === "string" && /Connection terminated unexpectedly|Connection terminated due to connection timeout/.test(message)) {
        return true;
      }
      cur = (cur as { cause?: unknown }).cause;
    } else break;
  }
  return false;
}

/** How much longer than statement_timeout the client waits for an answer before it gives up on the server. */
const QUERY_TIMEOUT_GRACE_MS = 5000;

/** True when `e` is pg giving up on establishing a connection (connectionTimeoutMillis). */
function isConnectTimeout(e: unknown): boolean {
  const message = e instanceof Error ? e.message : "";
  return /timeout exceeded when trying to connect|Connection terminated due to connection timeout/i.test(message);
}

/** True when `e` is the client giving up on a query (query_timeout): the session's state is unknown, drop it. */
function isQueryReadTimeout(e: unknown): boolean {
  return e instanceof Error && /Query read timeout/i.test(e.message);
}

/** Type OIDs returned as PostgreSQL's text (date, timestamp, timestamptz) instead of JS Date objects. */
const RAW_TEXT_OIDS = new Set([1082, 1114, 1184]);
/** Commands whose row count is rows written. */
const WRITE_COMMANDS = new Set(["INSERT", "UPDATE", "DELETE", "MERGE", "COPY"]);

/**
 * Opens a pool. `pg` is imported lazily so the CLI starts without loading the driver.
 */
export async function connectPostgres(target: TargetConfig): Promise<Connection> {
  const parsed = PostgresTargetSchema.safeParse(target);
  if (!parsed.success) {
    throw invalidTargetConfig("postgres", parsed.error.issues.map((i) => `${i.path.join(".") || "target"}: ${i.message}`).join("; "));
  }
  const t = parsed.data;
  const mod = await import("pg");
  const pg = (mod as unknown as { default?: typeof mod }).default ?? mod;
  const getTypeParser = ((oid: number, format?: "text" | "binary") =>
    RAW_TEXT_OIDS.has(oid) ? (v: string) => v : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser;
  const pool: Pool = new pg.Pool({
    ...(t.url !== undefined ? { connectionString: t.url } : {}),
    ...(t.host !== undefined ? { host: t.host } : {}),
    ...(t.port !== undefined ? { port: t.port } : {}),
    ...(t.user !== undefined ? { user: t.user } : {}),
    ...(t.password !== undefined ? { password: t.password } : {}),
    ...(t.database !== undefined ? { database: t.database } : {}),
    ...(t.ssl !== undefined ? { ssl: t.ssl as boolean } : {}),
    max: t.poolSize,
    application_name: "omopetl",
    // Literals are generated for standard_conforming_strings=on; ISO dates keep query results predictable.
    // statement_timeout: the server cancels any statement running longer (target option statementTimeoutSeconds).
    options: `-c standard_conforming_strings=on -c DateStyle=ISO,YMD -c IntervalStyle=postgres${t.statementTimeoutSeconds !== undefined ? ` -c statement_timeout=${Math.ceil(t.statementTimeoutSeconds * 1000)}` : ""}`,
    // A server that accepts the TCP connection but never completes the start-up would otherwise hang us forever.
    connectionTimeoutMillis: Math.ceil(t.connectTimeoutSeconds * 1000),
    // And one that stops answering mid-query: the client gives up a little after the server should have cancelled.
    ...(t.statementTimeoutSeconds !== undefined ? { query_timeout: Math.ceil(t.statementTimeoutSeconds * 1000) + QUERY_TIMEOUT_GRACE_MS } : {}),
    types: { getTypeParser },
  });
  // An idle client losing its connection (server restart) must not crash the process; the next use reconnects.
  pool.on("error", () => undefined);
  // Cancelling a statement needs a connection outside the pool (which may be exhausted by the steps running).
  const cancelBackend = async (pid: number): Promise<void> => {
    const client = new pg.Client({ ...pool.options, types: { getTypeParser } });
    client.on("error", () => undefined);
    try {
      await client.connect();
      await client.query("SELECT pg_catalog.pg_cancel_backend($1)", [pid]);
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  // The run lock lives on a session of its own, outside the pool, named so that a second run can say who holds it.
  const openDedicated = async (applicationName: string): Promise<Client> => {
    const client = new pg.Client({ ...pool.options, application_name: applicationName, types: { getTypeParser } });
    client.on("error", () => undefined);
    await client.connect();
    return client;
  };
  const conn = new PostgresConnection(pool, t.retries, t.retryDelayMs, cancelBackend, openDedicated);
  try {
    // A connect timeout is not retried here: the user asked to wait that long, not (retries + 1) times as long.
    await pRetry(() => pool.query("SELECT 1"), {
      retries: t.retries,
      minTimeout: t.retryDelayMs,
      factor: 2,
      shouldRetry: ({ error }) => isTransientPostgresError(error) && !isConnectTimeout(error),
    });
  } catch (e) {
    await pool.end().catch(() => undefined);
    const where = t.url !== undefined ? redactUrl(t.url) : `${t.host ?? "localhost"}:${t.port ?? 5432}/${t.database ?? ""}`;
    const why = isConnectTimeout(e)
      ? `the server did not complete the connection within ${t.connectTimeoutSeconds} s (target option connectTimeoutSeconds; is it a PostgreSQL server, and is it overloaded?)`
      : e instanceof Error
        ? e.message
        : String(e);
    throw connectionFailed("postgres", `${where}: ${why}`, e);
  }
  return conn;
}


function toExecuteResult(r: QueryResult): ExecuteResult {
  const results = Array.isArray(r) ? (r as QueryResult[]) : [r];
  const last = results[results.length - 1];
  return last && WRITE_COMMANDS.has(last.command) && last.rowCount !== null ? { rowCount: last.rowCount } : {};
}

function rowsOf<T>(r: QueryResult): T[] {
  const results = Array.isArray(r) ? (r as QueryResult[]) : [r];
  return (results[results.length - 1]?.rows ?? []) as T[];
}

/** A pool: plain calls borrow any client; transactions and sessions pin one. */
class PostgresConnection implements Connection {
  readonly dialect = "postgres";

  constructor(
    private readonly pool: Pool,
    private readonly retries: number,
    private readonly retryDelayMs: number,
    private readonly cancelBackend: (pid: number) => Promise<void>,
    private readonly openDedicated: (applicationName: string) => Promise<Client>,
  ) {}

  acquireRunLock(scope: RunLockScope): Promise<RunLockAttempt> {
    return acquirePostgresRunLock(this.openDedicated, scope);
  }

  /** Runs `fn`, re-running it on transient errors with exponential backoff. */
  private retry<T>(fn: () => Promise<T>): Promise<T> {
    return pRetry(fn, {
      retries: this.retries,
      minTimeout: this.retryDelayMs,
      factor: 2,
      shouldRetry: ({ error }) => isTransientPostgresError(error),
    });
  }

  execute(sql: string): Promise<ExecuteResult> {
    return this.retry(async () => toExecuteResult(await this.pool.query(sql)));
  }

  query<T = Record<string, unknown>>(sql: string): Promise<T[]> {
    return this.retry(async () => rowsOf<T>(await this.pool.query(sql)));
  }

  /** The whole transaction is the unit of retry: a deadlock or lost connection re-runs `fn` from BEGIN. */
  transaction<T>(fn: (tx: Connection) => Promise<T>): Promise<T> {
    return this.retry(() => this.pinned((client) => inTransaction(client, fn, this.cancelBackend)));
  }

  /** Only getting the session is retried: its statements run outside a transaction and may have had effects. */
  async session<T>(fn: (s: Connection) => Promise<T>): Promise<T> {
    const client = await this.retry(() => this.pool.connect());
    return this.pinned((c) => fn(new PinnedPostgresConnection(c, false, this.cancelBackend)), client);
  }

  /**
   * Runs `fn` with a client checked out of the pool. While checked out, a client whose connection drops emits
   * "error" (the pool only listens on idle ones), which would crash the process without a listener; the failure
   * also surfaces as the rejected query, so the event is ignored. A client that failed transiently is discarded.
   */
  private async pinned<T>(fn: (client: PoolClient) => Promise<T>, checkedOut?: PoolClient): Promise<T> {
    const client = checkedOut ?? (await this.pool.connect());
    const ignore = (): void => undefined;
    client.on("error", ignore);
    let broken: Error | undefined;
    try {
      return await fn(client);
    } catch (e) {
      if (isTransientPostgresError(e) || isQueryReadTimeout(e)) broken = e instanceof Error ? e : new Error(String(e));
      throw e;
    } finally {
      client.removeListener("error", ignore);
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

async function inTransaction<T>(client: PoolClient, fn: (tx: Connection) => Promise<T>, cancel: (pid: number) => Promise<void>): Promise<T> {
  await client.query("BEGIN");
  try {
    const result = await fn(new PinnedPostgresConnection(client, true, cancel));
    await client.query("COMMIT");
    return result;
  } catch (e) {
    try {
      await client.query("ROLLBACK");
    } catch {
      // The connection may be gone; the original error is what matters.
    }
    throw e;
  }
}

/** A Connection bound to one pooled client (owned by whoever pinned it). */
class PinnedPostgresConnection implements Connection {
  readonly dialect = "postgres";
  constructor(
    private readonly client: PoolClient,
    private readonly inTx: boolean,
    private readonly cancelBackend: (pid: number) => Promise<void>,
  ) {}

  async execute(sql: string): Promise<ExecuteResult> {
    return toExecuteResult(await this.client.query(sql));
  }

  async query<T = Record<string, unknown>>(sql: string): Promise<T[]> {
    return rowsOf<T>(await this.client.query(sql));
  }

  transaction<T>(fn: (tx: Connection) => Promise<T>): Promise<T> {
    return this.inTx ? fn(this) : inTransaction(this.client, fn, this.cancelBackend);
  }

  session<T>(fn: (s: Connection) => Promise<T>): Promise<T> {
    return fn(this);
  }

  /** Cancels the statement running on this session (pg_cancel_backend; it fails with SQLSTATE 57014). */
  async cancel(): Promise<void> {
    const pid = (this.client as unknown as { processID?: number }).processID;
    if (typeof pid === "number") await this.cancelBackend(pid);
  }

  async close(): Promise<void> {
    // Released by the connection that pinned it.
  }
}
