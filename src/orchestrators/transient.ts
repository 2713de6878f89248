/**
 * Which step failures are worth retrying. The provider API has no classification of its own, so this looks at what
 * drivers put on their errors, following `cause` (SqlExecutionError wraps the driver error):
 *
 * - `error.transient === true`: any provider or driver can mark an error explicitly (preferred).
 * - PostgreSQL SQLSTATEs: 40001 serialization failure, 40P01 deadlock, 57P01/57P02/57P03 server shutdown or restart
 *   (57P01 is what `pg_terminate_backend` sends), class 08 connection exceptions, 53300 too many connections,
 *   55P03 lock not available.
 * - Node socket errors (ECONNRESET, EPIPE, ETIMEDOUT, ...) and the messages drivers use for a lost connection.
 * - DuckDB transaction conflicts ("TransactionContext Error: ... conflict"), which abort one of two concurrent writers.
 * - PostgreSQL's race between concurrent `CREATE ... IF NOT EXISTS` of the same schema/table (a unique violation
 *   on a catalog index).
 *
 * Everything else (syntax, missing tables, constraint violations, bad data, unsupported features, step timeouts) is
 * permanent: retrying would fail the same way, so the step fails fast.
 */

const TRANSIENT_SQLSTATES = new Set(["40001", "40P01", "57P01", "57P02", "57P03", "53300", "55P03"]);

const TRANSIENT_ERRNO = new Set(["ECONNRESET", "ECONNREFUSED", "ECONNABORTED", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENETDOWN", "EAI_AGAIN"]);

const TRANSIENT_MESSAGES: readonly RegExp[] = [
  /connection terminated/i,
  /terminating connection due to administrator command/i,
  /server closed the connection unexpectedly/i,
  /connection (?:was )?reset/i,
  /client has encountered a connection error/i,
  /socket hang up/i,
  /TransactionContext Error:.*conflict/is,
  /could not serialize access/i,
  /deadlock detected/i,
  // Concurrent CREATE ... IF NOT EXISTS of one object: the loser hits the catalog's unique index; a retry sees the
  // object and succeeds.
  /duplicate key value violates unique constraint "pg_(namespace_nspname|type_typname_nsp|class_relname_nsp)_index"/i,
];

/** The error and its causes, outermost first (bounded, in case of a cycle). */
function chain(e: unknown): unknown[] {
  const out: unknown[] = [];
  let cur: unknown = e;
  while (cur !== undefined && cur !== null && out.length < 8 && !out.includes(cur)) {
    out.push(cur);
    cur = typeof cur === "object" ? (cur as { cause?: unknown; driverError?: unknown }).driverError ?? (cur as { cause?: unknown }).cause : undefined;
  }
  return out;
}

/**
 * Whether a failure of a step may succeed when the step is run again. The provider's `classifyError`, when given and
 * when it has a verdict, decides; otherwise the rules above.
 */
export function isTransientError(e: unknown, classify?: (error: unknown) => "transient" | "permanent" | undefined): boolean {
  const verdict = classify?.(e);
  if (verdict !== undefined) return verdict === "transient";
  for (const x of chain(e)) {
    if (typeof x !== "object" || x === null) continue;
    const o = x as { transient?: unknown; code?: unknown; message?: unknown; permanent?: unknown };
    if (o.permanent === true) return false;
    if (o.transient === true) return true;
    if (typeof o.code === "string") {
      if (TRANSIENT_SQLSTATES.has(o.code) || /^08[0-9A-Z]{3}$/.test(o.code) || TRANSIENT_ERRNO.has(o.code)) return true;
    }
  }
  // Messages last: an explicit code above is more precise than text. Wrappers are skipped: their message quotes
  // the failing SQL, whose text could contain anything.
  for (const x of chain(e)) {
    if (typeof x === "object" && x !== null && "driverError" in x) continue;
    const message = x instanceof Error ? x.message : typeof x === "string" ? x : undefined;
    if (message && TRANSIENT_MESSAGES.some((r) => r.test(message))) return true;
  }
  return false;
}
