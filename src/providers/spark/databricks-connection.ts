/*
 * Connections to a Databricks SQL warehouse (a spark target with `method: databricks`): HiveServer2's TCLIService over
 * HTTPS with a bearer token, through the npm package @databricks/sql, imported lazily inside connect so that commands
 * which only generate SQL never load it (an optional dependency, as hive-driver is for the thrift method).
 *
 * The same contract as the Spark Thrift connection (spark-connection.ts): sessions kept in a small pool, `session(fn)`
 * pinning one (temporary views belong to a session), no transactions, rows decoded exactly (databricks-values.ts),
 * errors classified by classifySparkError. The session's catalog and schema (Unity Catalog: `catalog`.`schema`.`t`)
 * are set when it opens, so the statements omopetl renders stay the same on every catalog.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import pRetry from "p-retry";
import type { Connection, ExecuteResult } from "../provider-api.js";
import { connectionFailed } from "../provider-errors.js";
import { databricksRows, type DatabricksColumnDesc } from "./databricks-values.js";
import { affectedRows, isTimeout, withTimeout } from "./spark-connection-rules.js";
import { classifySparkError, fromNonErrorRejection, SparkSqlError } from "./spark-errors.js";
import { sessionDriver, SessionPoolConnection } from "./spark-session-connection.js";
import type { DatabricksTarget } from "./spark-target.js";

type DatabricksModule = typeof import("@databricks/sql");
type DBSQLClientT = InstanceType<DatabricksModule["DBSQLClient"]>;
type SessionT = Awaited<ReturnType<DBSQLClientT["openSession"]>>;
type OperationT = Awaited<ReturnType<SessionT["executeStatement"]>>;

/** omopetl's version, sent in the User-Agent (a warehouse's query history then names the tool that ran a statement). */
const VERSION = (createRequire(import.meta.url)("../../../package.json") as { version: string }).version;
/** The User-Agent entry @databricks/sql puts before its own product token. */
export const DATABRICKS_USER_AGENT_ENTRY = `omopetl/${VERSION}`;

/** One session and the statement running on it (for cancel). */
interface Slot {
  session: SessionT;
  running?: OperationT;
}

/** What a statement returned: its columns and its rows as the client decoded them. */
interface StatementResult {
  columns: DatabricksColumnDesc[];
  rows: object[];
}

/**
 * Connects to the target's SQL warehouse and opens the first session here, so a wrong host, path or token fails now
 * with CONNECTION_FAILED (naming the host and path, never the token). Opening is retried while the warehouse answers
 * with a transient error (503 while it starts, 429), within the target's retries.
 */
export async function connectDatabricks(t: DatabricksTarget): Promise<Connection> {
  const where = `databricks https://${t.host}${t.port === 443 ? "" : `:${t.port}`}${t.httpPath}`;
  const fail = (why: string, cause: unknown): Error => connectionFailed("spark", maskToken(`${where}: ${why}`, t.token), cause);
  let dbsql: DatabricksModule;
  try {
    const mod = (await import("@databricks/sql")) as DatabricksModule & { default?: DatabricksModule };
    dbsql = mod.default ?? mod;
  } catch (e) {
    throw fail("the npm package @databricks/sql (the Databricks SQL client) is not installed: npm install @databricks/sql", e);
  }
  let customCaCert: Buffer | undefined;
  if (t.caCertFile !== undefined) {
    try {
      customCaCert = await readFile(t.caCertFile);
    } catch (e) {
      throw fail(`cannot read caCertFile ${t.caCertFile}: ${(e as Error).message}`, e);
    }
  }
  const client = new dbsql.DBSQLClient({ logger: silentLogger(dbsql) });
  // Timestamps and decimals as text (exact, microseconds kept), as the Spark Thrift server sends them; BIGINT as a
  // bigint (preserveBigNumericPrecision below). The client reads this setting when it builds each request.
  client.getConfig().useArrowNativeTypes = false;
  const pool = new DatabricksPool(client, t);
  try {
    await client.connect({
      host: t.host,
      port: t.port,
      path: t.httpPath,
      token: t.token,
      userAgentEntry: DATABRICKS_USER_AGENT_ENTRY,
      ...(customCaCert !== undefined ? { customCaCert } : {}),
      preserveBigNumericPrecision: true,
      // omopetl sends the warehouse its statements and nothing else.
      telemetryEnabled: false,
      // The client's own retries (status polls, fetches: never ExecuteStatement) follow the target's.
      retryMaxAttempts: t.retries + 1,
      retryDelayMin: Math.max(t.retryDelayMs, 1),
    });
    await pool.release(
      await pRetry(() => pool.acquire(), {
        retries: t.retries,
        minTimeout: t.retryDelayMs,
        factor: 2,
        shouldRetry: ({ error }) => classifySparkError(error) === "transient" && !isTimeout(error),
      }),
    );
  } catch (e) {
    await pool.close().catch(() => undefined);
    await client.close().catch(() => undefined);
    throw fail(describeConnectError(e), e);
  }
  const driver = sessionDriver(pool, runStatement, { rows: (r) => databricksRows(r.columns, r.rows), affected: toExecuteResult });
  return new SessionPoolConnection(
    {
      ...driver,
      close: async () => {
        await driver.close();
        await client.close().catch(() => undefined);
      },
    },
    t,
  );
}

/** The client's logger, quiet: its warnings would interleave with omopetl's progress; errors reach us as errors. */
function silentLogger(dbsql: DatabricksModule): InstanceType<DatabricksModule["DBSQLLogger"]> {
  return new dbsql.DBSQLLogger({ level: dbsql.LogLevel.error });
}

/** `text` with every occurrence of the token masked (a message echoing a request must not print it). */
function maskToken(text: string, token: string): string {
  return token ? text.split(token).join("***") : text;
}

/** The HTTP status of an error of the client's HTTP transport (THTTPException), if any. */
export function httpStatusOf(e: unknown): number | undefined {
  let cur: unknown = e;
  for (let depth = 0; depth < 5 && typeof cur === "object" && cur !== null; depth++) {
    const status = (cur as { statusCode?: unknown }).statusCode;
    if (typeof status === "number") return status;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Why connecting failed, in words a user can act on. */
function describeConnectError(e: unknown): string {
  const status = httpStatusOf(e);
  const message = e instanceof Error ? e.message : String((e as { message?: unknown })?.message ?? e);
  if (status === 401) return "HTTP 401: the token was refused (check the token option's secret reference, and that the token has not expired)";
  if (status === 403) return "HTTP 403: the token's user may not use this SQL warehouse";
  if (status === 404) return "HTTP 404: no SQL warehouse at this HTTP path (copy httpPath from the warehouse's Connection details)";
  if (status !== undefined) return `HTTP ${status}: ${message}`;
  return message;
}

/** Up to `poolSize` open sessions; callers wait for a free one. */
class DatabricksPool {
  private readonly idle: Slot[] = [];
  private readonly waiters: ((slot: Slot | Error) => void)[] = [];
  private readonly all = new Set<Slot>();
  private closed = false;
  private opening = 0;

  constructor(
    private readonly client: DBSQLClientT,
    private readonly t: DatabricksTarget,
  ) {}

  private async open(): Promise<Slot> {
    const { t } = this;
    const session = await withTimeout(
      this.client.openSession({ ...(t.catalog !== undefined ? { initialCatalog: t.catalog } : {}), ...(t.schema !== undefined ? { initialSchema: t.schema } : {}) }),
      Math.ceil(t.connectTimeoutSeconds * 1000),
      `no answer within ${t.connectTimeoutSeconds} s (target option connectTimeoutSeconds; a stopped warehouse may take minutes to start)`,
    );
    const slot: Slot = { session };
    this.all.add(slot);
    return slot;
  }

  async acquire(): Promise<Slot> {
    if (this.closed) throw new Error("the Databricks connection is closed");
    const slot = this.idle.pop();
    if (slot) return slot;
    if (this.all.size + this.opening < this.t.poolSize) {
      this.opening++;
      try {
        return await this.open();
      } finally {
        this.opening--;
      }
    }
    const got = await new Promise<Slot | Error>((resolve) => this.waiters.push(resolve));
    if (got instanceof Error) throw got;
    return got;
  }

  release(slot: Slot): Promise<void> {
    slot.running = undefined;
    if (this.closed) return this.destroy(slot);
    const waiter = this.waiters.shift();
    if (waiter) waiter(slot);
    else this.idle.push(slot);
    return Promise.resolve();
  }

  private async destroy(slot: Slot): Promise<void> {
    this.all.delete(slot);
    await withTimeout(slot.session.close(), 5000, "close").catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w(new Error("the Databricks connection is closed"));
    this.idle.splice(0);
    await Promise.all([...this.all].map((s) => this.destroy(s)));
  }
}

/** Runs one statement on `slot` to completion and fetches its whole result. */
async function runStatement(slot: Slot, sql: string): Promise<StatementResult> {
  let op: OperationT;
  try {
    op = await slot.session.executeStatement(sql, { runAsync: true });
  } catch (e) {
    throw asSparkError(e);
  }
  slot.running = op;
  try {
    // Waited for explicitly: the client's fetch returns at once, without polling, for an operation the server says
    // has no result set (DDL, INSERT), so a failing statement would otherwise go unnoticed.
    await op.finished();
    const schema = (await op.getSchema()) as { columns?: DatabricksColumnDesc[] } | null;
    if (!schema) return { columns: [], rows: [] };
    const columns = [...(schema.columns ?? [])].sort((a, b) => (a.position ?? 0) - (b.position ?? 0));
    return { columns, rows: await op.fetchAll() };
  } catch (e) {
    throw asSparkError(e);
  } finally {
    slot.running = undefined;
    await op.close().catch(() => undefined);
  }
}

/**
 * The client's statement errors (OperationStateError carrying the server's TGetOperationStatusResp, StatusError
 * carrying a TStatus) as {@link SparkSqlError}, so Spark's and Databricks' errors read and classify the same.
 */
function asSparkError(e: unknown): unknown {
  if (e instanceof SparkSqlError) return e;
  const r = (e as { response?: { errorMessage?: string; displayMessage?: string; sqlState?: string } }).response;
  const message = r?.errorMessage ?? r?.displayMessage;
  if (typeof message === "string" && message !== "") return Object.assign(new SparkSqlError(message, r?.sqlState), { cause: e });
  if ((e as { name?: unknown }).name === "Status Error") {
    const m = (e as { message?: unknown }).message;
    if (typeof m === "string" && m !== "") return Object.assign(new SparkSqlError(m, undefined), { cause: e });
  }
  return fromNonErrorRejection(e);
}

function toExecuteResult(r: StatementResult): ExecuteResult {
  const names = r.columns.map((c) => c.columnName);
  if (!names.includes("num_affected_rows")) return {};
  return affectedRows(names, databricksRows(r.columns, r.rows));
}
