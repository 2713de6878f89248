/*
 * Connections to a Spark Thrift server (HiveServer2's TCLIService over TCP) through the npm package hive-driver,
 * imported lazily inside connect so that commands which only generate SQL never load it (it is an optional
 * dependency). One Thrift session per TCP connection, kept in a small pool: Spark's session state (temporary views,
 * SET) belongs to a session, so `session(fn)` pins one.
 *
 * Spark has no multi-statement transactions (each Delta statement commits atomically on its own): `transaction` is
 * refused rather than pretended; orchestrators run the steps of a "statement" provider through `session`.
 */
import pRetry from "p-retry";
import type { Connection, ExecuteResult, TargetConfig } from "../provider-api.js";
import { connectionFailed, invalidTargetConfig, UnsupportedFeatureError } from "../provider-errors.js";
import { connectDatabricks } from "./databricks-connection.js";
import { affectedRows, isTimeout, withTimeout } from "./spark-connection-rules.js";
import { classifySparkError, fromNonErrorRejection, SparkSqlError } from "./spark-errors.js";
import { sessionDriver, SessionPoolConnection } from "./spark-session-connection.js";
import { resolveSparkTarget, SparkTargetSchema, type SparkTarget } from "./spark-target.js";
import { sparkRows, type ThriftRowSet, type ThriftTableSchema } from "./spark-values.js";

type HiveDriverModule = typeof import("hive-driver");
type HiveClientT = InstanceType<HiveDriverModule["HiveClient"]>;
type HiveSessionT = Awaited<ReturnType<HiveClientT["openSession"]>>;
type HiveOperationT = Awaited<ReturnType<HiveSessionT["executeStatement"]>>;

/** TOperationState values (TCLIService.thrift). */
const STATE = { INITIALIZED: 0, RUNNING: 1, FINISHED: 2, CANCELED: 3, CLOSED: 4, ERROR: 5, UNKNOWN: 6, PENDING: 7, TIMEDOUT: 8 } as const;
/** Rows asked for per FetchResults call. */
const FETCH_ROWS = 10_000;
/** Polling of a running statement: from 5 ms, doubling up to 200 ms (hive-driver's own loop polls without pause). */
const POLL_MIN_MS = 5;
const POLL_MAX_MS = 200;

/** One Thrift session on a TCP connection of its own. */
interface Slot {
  client: HiveClientT;
  session: HiveSessionT;
  /** Set when the socket closed or failed: the slot is dropped instead of returned to the pool. */
  broken?: Error;
  /** Rejects the statement waiting on this slot when the socket drops (thrift would otherwise wait for ever). */
  onBroken?: (e: Error) => void;
  /** The statement running, for cancel(). */
  running?: HiveOperationT;
}

/** What a statement returned: its result schema and row sets (empty for DDL and INSERT). */
interface StatementResult {
  schema: ThriftTableSchema | null;
  rowSets: ThriftRowSet[];
}

/**
 * Opens a pool of Thrift sessions on the target's Spark Thrift server; the first is opened here, so an unreachable
 * server fails now with CONNECTION_FAILED. A target with `method: databricks` goes to {@link connectDatabricks}.
 */
export async function connectSpark(target: TargetConfig): Promise<Connection> {
  const parsed = SparkTargetSchema.safeParse(target);
  if (!parsed.success) {
    throw invalidTargetConfig("spark", parsed.error.issues.map((i) => `${i.path.join(".") || "target"}: ${i.message}`).join("; "));
  }
  const resolved = resolveSparkTarget(parsed.data);
  if (resolved.method === "databricks") return connectDatabricks(resolved);
  const t = resolved;
  let hive: HiveDriverModule;
  try {
    const mod = (await import("hive-driver")) as HiveDriverModule & { default?: HiveDriverModule };
    hive = mod.default ?? mod;
  } catch (e) {
    throw connectionFailed("spark", `the npm package hive-driver (the Spark Thrift client) is not installed: npm install hive-driver`, e);
  }
  const pool = new SparkPool(hive, t);
  try {
    await pool.release(await pRetry(() => pool.open(), {
      retries: t.retries,
      minTimeout: t.retryDelayMs,
      factor: 2,
      shouldRetry: ({ error }) => classifySparkError(error) === "transient" && !isTimeout(error),
    }));
  } catch (e) {
    await pool.close();
    const why = e instanceof Error ? e.message : String(e);
    throw connectionFailed("spark", `${t.host}:${t.port}: ${why} (is the Spark Thrift server running? scripts/services.sh up spark starts one)`, e);
  }
  return new SessionPoolConnection(
    sessionDriver(pool, runStatement, { rows: (r) => sparkRows(r.schema, r.rowSets), affected: toExecuteResult }),
    t,
  );
}

/** Up to `poolSize` open sessions; callers wait for a free one. */
class SparkPool {
  private readonly idle: Slot[] = [];
  private readonly waiters: ((slot: Slot | Error) => void)[] = [];
  private open_ = 0;
  private closed = false;

  constructor(
    private readonly hive: HiveDriverModule,
    private readonly t: SparkTarget,
  ) {}

  /** Opens a new TCP connection and Thrift session (counted against poolSize by the caller). */
  async open(): Promise<Slot> {
    const { hive, t } = this;
    const types = hive.thrift.TCLIService_types as { TProtocolVersion: Record<string, number> };
    const client = new hive.HiveClient(hive.thrift.TCLIService, hive.thrift.TCLIService_types);
    const slot: Partial<Slot> = { client };
    const fail = (e: unknown): void => {
      const err = e instanceof Error ? e : new Error(String(e));
      if (slot.broken) return;
      slot.broken = err;
      slot.onBroken?.(err);
    };
    // A dropped socket is reported on the failing call (onBroken); the event itself must not crash the process.
    client.on("error", fail);
    client.on("close", () => fail(Object.assign(new Error("connection closed by the Spark Thrift server"), { code: "ECONNRESET" })));
    const auth = t.auth === "nosasl" ? new hive.auth.NoSaslAuthentication() : new hive.auth.PlainTcpAuthentication({ username: t.user, password: t.password });
    const ms = Math.ceil(t.connectTimeoutSeconds * 1000);
    const opening = (async () => {
      await client.connect({ host: t.host, port: t.port, options: { max_attempts: 0 } }, new hive.connections.TcpConnection(), auth);
      return client.openSession({ client_protocol: types.TProtocolVersion["HIVE_CLI_SERVICE_PROTOCOL_V10"]!, username: t.user, password: t.password });
    })();
    try {
      slot.session = await withTimeout(opening, ms, `no answer within ${t.connectTimeoutSeconds} s (target option connectTimeoutSeconds)`);
      for (const [key, value] of THRIFT_SESSION_SETTINGS) await runStatement(slot as Slot, `SET ${key}=${value}`);
    } catch (e) {
      client.close();
      throw e;
    }
    return slot as Slot;
  }

  async acquire(): Promise<Slot> {
    if (this.closed) throw new Error("the Spark connection is closed");
    const slot = this.idle.pop();
    if (slot) return slot;
    if (this.open_ < this.t.poolSize) {
      this.open_++;
      try {
        return await this.open();
      } catch (e) {
        this.open_--;
        throw e;
      }
    }
    const got = await new Promise<Slot | Error>((resolve) => this.waiters.push(resolve));
    if (got instanceof Error) throw got;
    return got;
  }

  /** Returns a slot to the pool, or closes it when broken (a waiter then opens a fresh one). */
  async release(slot: Slot): Promise<void> {
    slot.running = undefined;
    slot.onBroken = undefined;
    if (slot.broken || this.closed) {
      await this.destroy(slot);
      const waiter = this.waiters.shift();
      if (waiter) {
        this.open_++;
        this.open().then(waiter, (e: unknown) => {
          this.open_--;
          waiter(e instanceof Error ? e : new Error(String(e)));
        });
      }
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) waiter(slot);
    else this.idle.push(slot);
  }

  private async destroy(slot: Slot): Promise<void> {
    this.open_ = Math.max(0, this.open_ - 1);
    if (!slot.broken) await withTimeout(slot.session.close(), 5000, "close").catch(() => undefined);
    slot.client.close();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w(new Error("the Spark connection is closed"));
    await Promise.all(this.idle.splice(0).map((s) => this.destroy(s)));
  }
}

/**
 * What every session of a Spark Thrift server is given when it opens.
 * - Tables a sql step creates without USING are Delta tables, as on Databricks (open-source Spark's default is
 *   Parquet, which takes no DELETE, UPDATE or MERGE).
 * - Constraint propagation off: with it, Spark's optimizer took 45-53 s to plan a load's value check of a 10-column
 *   file (one CASE over every column's checks, filtered on its result: the filter pushed through the projections
 *   multiplies the constraints it infers) and 0.25-0.34 s without it (EXPLAIN of the concept load's check, the
 *   golden case transform-eras, 2026-12-05). It only infers extra filters (IS NOT NULL on join keys and the like);
 *   results are the same.
 */
const THRIFT_SESSION_SETTINGS: readonly (readonly [string, string])[] = [
  ["spark.sql.sources.default", "delta"],
  ["spark.sql.constraintPropagation.enabled", "false"],
];

/**
 * Runs one statement on `slot` to completion and fetches its whole result. A COPY INTO the server cannot parse
 * (open-source Spark has no such statement; the Spark provider renders it for loads of cloud URIs, for Databricks)
 * is UNSUPPORTED_FEATURE saying so, not a syntax error the user did not write.
 */
async function runStatement(slot: Slot, sql: string): Promise<StatementResult> {
  try {
    return await runOnSlot(slot, sql);
  } catch (e) {
    if (e instanceof SparkSqlError && e.errorClass === "PARSE_SYNTAX_ERROR" && /^\s*COPY\s+INTO\b/i.test(sql)) {
      throw Object.assign(
        new UnsupportedFeatureError(
          "spark",
          "COPY INTO on a Spark Thrift server",
          "a load of a cloud URI (s3://, abfss://, gs://, dbfs://, ...) is landed with COPY INTO, which Databricks runs and open-source Spark does not",
          "Run the workflow against a Databricks SQL warehouse (method: databricks), or copy the files to a folder the Thrift server reads and load them by path.",
        ),
        { cause: e },
      );
    }
    throw e;
  }
}

async function runOnSlot(slot: Slot, sql: string): Promise<StatementResult> {
  if (slot.broken) throw slot.broken;
  const broken = new Promise<never>((_, reject) => {
    slot.onBroken = reject;
  });
  broken.catch(() => undefined);
  const call = <T>(p: Promise<T>): Promise<T> => Promise.race([p, broken]);
  let op: HiveOperationT;
  try {
    op = await call(slot.session.executeStatement(sql, { runAsync: true }));
  } catch (e) {
    throw asSparkError(e);
  }
  slot.running = op;
  try {
    for (let delay = POLL_MIN_MS; ; delay = Math.min(delay * 2, POLL_MAX_MS)) {
      const status = (await call(op.status(false))) as { operationState?: number; errorMessage?: string; sqlState?: string };
      const state = status.operationState;
      if (state === STATE.FINISHED) break;
      if (state === STATE.ERROR || state === STATE.TIMEDOUT || state === STATE.UNKNOWN) {
        throw new SparkSqlError(status.errorMessage ?? `the statement ended in state ${state}`, status.sqlState);
      }
      if (state === STATE.CANCELED || state === STATE.CLOSED) throw new SparkSqlError("the statement was cancelled", "57014");
      await new Promise((r) => setTimeout(r, delay));
    }
    op.setMaxRows(FETCH_ROWS);
    do {
      await call(op.fetch());
    } while (op.hasMoreRows());
    return { schema: op.getSchema() as ThriftTableSchema | null, rowSets: op.getData() as ThriftRowSet[] };
  } catch (e) {
    throw asSparkError(e);
  } finally {
    slot.running = undefined;
    if (!slot.broken) await call(op.close()).catch(() => undefined);
  }
}

/** hive-driver's errors (OperationStateError carrying the server's response) as {@link SparkSqlError}. */
function asSparkError(e: unknown): unknown {
  if (e instanceof SparkSqlError) return e;
  const response = (e as { response?: { errorMessage?: string; sqlState?: string; status?: { errorMessage?: string; sqlState?: string } } }).response;
  const message = response?.errorMessage ?? response?.status?.errorMessage;
  if (typeof message === "string" && message !== "") return Object.assign(new SparkSqlError(message, response?.sqlState ?? response?.status?.sqlState), { cause: e });
  return fromNonErrorRejection(e);
}

/** `{ rowCount }` of a statement (see {@link affectedRows}). */
function toExecuteResult(r: StatementResult): ExecuteResult {
  // Only a result carrying the count is decoded (execute's results are otherwise dropped).
  if (!r.schema?.columns.some((c) => c.columnName === "num_affected_rows")) return {};
  return affectedRows(r.schema.columns.map((c) => c.columnName), sparkRows(r.schema, r.rowSets));
}
