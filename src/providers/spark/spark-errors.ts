/**
 * Errors of a Spark Thrift server, and which of them are worth a retry. Pure: no I/O, no driver import.
 */
import type { ErrorClass } from "../provider-api.js";

/**
 * A statement the Spark Thrift server refused or failed: the server's message without its Java stack trace, its
 * SQLSTATE in `code` (as PostgreSQL errors carry theirs, so SQL_EXECUTION_FAILED shows it) and Spark's error class
 * ("TABLE_OR_VIEW_NOT_FOUND", "DELTA_CONCURRENT_APPEND", ...) when the message names one.
 */
export class SparkSqlError extends Error {
  readonly code: string | undefined;
  readonly errorClass: string | undefined;
  /** The server's whole message, stack trace included (for debugging; not shown to users). */
  readonly serverMessage: string;
  constructor(serverMessage: string, sqlState: string | undefined) {
    const message = cleanSparkMessage(serverMessage);
    super(message);
    this.name = "SparkSqlError";
    this.serverMessage = serverMessage;
    this.code = sqlState || undefined;
    this.errorClass = /^\[([A-Z][A-Z0-9_]*)(?:\.[A-Z0-9_]+)?\]/.exec(message)?.[1];
  }
}

/**
 * "org.apache.hive.service.cli.HiveSQLException: Error running query: [X] org.apache...AnalysisException: [X] what\n
 * \tat ..." -> "[X] what": the first cause's text, without the wrapping exception names and the stack trace.
 */
export function cleanSparkMessage(serverMessage: string): string {
  let s = serverMessage.split(/\n\s+at /)[0] ?? serverMessage;
  s = s.replace(/^org\.apache\.hive\.service\.cli\.HiveSQLException:\s*/, "").replace(/^Error running query:\s*/, "");
  // Spark repeats the error class before and after the exception's class name: keep the second.
  s = s.replace(/^\[[A-Z0-9_.]+\]\s+(?:[a-z][\w$]*\.)+[A-Z][\w$]*:\s*/, "");
  s = s.replace(/^(?:[a-z][\w$]*\.)+[A-Z][\w$]*(?:Exception|Error):\s*/, "");
  return s.trim();
}

/**
 * A driver rejection that is not an Error (hive-driver and the Thrift layer under it have rejected with a bare
 * response object or a string) as a {@link SparkSqlError} carrying its text, so the user reads what the server said
 * instead of "[object Object]", and the classification below sees it. An Error is returned unchanged.
 */
export function fromNonErrorRejection(e: unknown): unknown {
  if (e instanceof Error) return e;
  if (typeof e === "string") return new SparkSqlError(e === "" ? "the Spark driver failed without a message" : e, undefined);
  if (typeof e !== "object" || e === null) return new SparkSqlError(`the Spark driver failed with ${String(e)}`, undefined);
  const m = (e as { message?: unknown; errorMessage?: unknown }).message ?? (e as { errorMessage?: unknown }).errorMessage;
  if (typeof m === "string" && m !== "") return Object.assign(new SparkSqlError(m, undefined), { cause: e });
  let json: string;
  try {
    json = JSON.stringify(e) ?? String(e);
  } catch {
    json = Object.prototype.toString.call(e);
  }
  // Cut: a response object can carry a whole result set.
  const text = json.length > 500 ? `${json.slice(0, 500)}...` : json;
  return Object.assign(new SparkSqlError(`the Spark driver failed with ${text}`, undefined), { cause: e });
}

/**
 * Spark error classes of a statement that did not take effect and may succeed unchanged: Delta's optimistic
 * concurrency conflicts (another writer committed first; the losing commit was rejected whole).
 */
const TRANSIENT_ERROR_CLASSES = new Set([
  "DELTA_CONCURRENT_APPEND",
  "DELTA_CONCURRENT_DELETE_READ",
  "DELTA_CONCURRENT_DELETE_DELETE",
  "DELTA_CONCURRENT_TRANSACTION",
  "DELTA_CONCURRENT_WRITE",
  "DELTA_METADATA_CHANGED",
  "DELTA_PROTOCOL_CHANGED",
]);

/** The same conflicts by exception name (older Delta releases raise them without an error class). */
const TRANSIENT_EXCEPTIONS =
  /\b(ConcurrentAppendException|ConcurrentDeleteReadException|ConcurrentDeleteDeleteException|ConcurrentTransactionException|ConcurrentWriteException|MetadataChangedException|ProtocolChangedException)\b/;

/**
 * Failures of the engine rather than of the statement: an executor lost or a shuffle fetch failing (a cluster
 * losing a node), the server restarted under a session (its handle no longer known), the socket dropped or refused.
 */
const TRANSIENT_ENGINE =
  /ExecutorLostFailure|FetchFailed|Invalid SessionHandle|Invalid OperationHandle|TTransportException|connection (?:lost|closed|reset)|socket hang up/i;
/**
 * A Databricks SQL warehouse (or its gateway) not answering for now: stopped and starting, scaling, overloaded, rate
 * limiting. @databricks/sql reports an HTTP status other than 200 as "Received a response with a bad HTTP status
 * code: N" with `statusCode`; the warehouse's own words name TEMPORARILY_UNAVAILABLE and the like.
 */
const TRANSIENT_DATABRICKS = /TEMPORARILY_UNAVAILABLE|SERVICE_UNAVAILABLE|RESOURCE_EXHAUSTED|REQUEST_LIMIT_EXCEEDED|warehouse is (?:starting|not running|stopped)/i;
const TRANSIENT_HTTP_STATUS = new Set([429, 502, 503, 504]);
/** The token or the path refused: re-trying cannot help. */
const PERMANENT_HTTP_STATUS = new Set([400, 401, 403, 404]);
const TRANSIENT_ERRNOS = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN"]);

/** True when `e` is a Delta write conflict: the statement's commit was rejected whole, so re-running it is safe. */
export function isDeltaConflict(e: unknown): boolean {
  return walk(e, (cur) => {
    if (cur instanceof SparkSqlError) return (cur.errorClass !== undefined && TRANSIENT_ERROR_CLASSES.has(cur.errorClass)) || TRANSIENT_EXCEPTIONS.test(cur.serverMessage);
    return false;
  });
}

/**
 * The spark provider's `classifyError`: "transient" for Delta write conflicts, a lost executor or session, a dropped
 * or refused connection, a Databricks warehouse answering 429/502/503/504 or TEMPORARILY_UNAVAILABLE (starting);
 * "permanent" for HTTP 400/401/403/404 (token or path refused); "permanent" for the statement's own errors (analysis, syntax, data: SQLSTATE classes 42 and
 * 22, or any other error class the server names); undefined otherwise (omopetl's own rules decide).
 */
export function classifySparkError(e: unknown): ErrorClass | undefined {
  if (isDeltaConflict(e)) return "transient";
  let verdict: ErrorClass | undefined;
  walk(e, (cur) => {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === "string" && TRANSIENT_ERRNOS.has(code)) return (verdict = "transient"), true;
    const status = (cur as { statusCode?: unknown }).statusCode;
    if (typeof status === "number" && TRANSIENT_HTTP_STATUS.has(status)) return (verdict = "transient"), true;
    if (typeof status === "number" && PERMANENT_HTTP_STATUS.has(status)) return (verdict = "permanent"), true;
    const message = cur instanceof SparkSqlError ? cur.serverMessage : (cur as { message?: unknown }).message;
    if (typeof message === "string" && (TRANSIENT_ENGINE.test(message) || TRANSIENT_DATABRICKS.test(message))) return (verdict = "transient"), true;
    if (cur instanceof SparkSqlError && (cur.errorClass !== undefined || /^(42|22)/.test(cur.code ?? ""))) return (verdict = "permanent"), true;
    return false;
  });
  return verdict;
}

/** Calls `test` on `e` and the errors it wraps (`cause`, `driverError`), up to 5 deep; true when one matched. */
function walk(e: unknown, test: (cur: object) => boolean): boolean {
  let cur: unknown = e;
  for (let depth = 0; depth < 5 && typeof cur === "object" && cur !== null; depth++) {
    if (test(cur)) return true;
    cur = (cur as { cause?: unknown; driverError?: unknown }).cause ?? (cur as { driverError?: unknown }).driverError;
  }
  return false;
}
