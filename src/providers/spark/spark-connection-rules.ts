/**
 * What the spark provider's connection methods share (a Spark Thrift server through hive-driver, a Databricks SQL
 * warehouse through @databricks/sql): refusing transactions, bounding the wait for a session, reading a statement's
 * affected-row count. Pure of any driver: each method imports its own lazily.
 */
import type { ExecuteResult } from "../provider-api.js";
import { UnsupportedFeatureError } from "../provider-errors.js";

/** Rejects with `message` after `ms` unless `p` settles first. */
export function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** True for the error {@link withTimeout} rejects with when its message starts "no answer within". */
export function isTimeout(e: unknown): boolean {
  return e instanceof Error && e.message.startsWith("no answer within");
}

/**
 * `transaction` on Spark: refused, never emulated (a "transaction" whose statements commit one by one would promise
 * an all-or-nothing it cannot keep). executeRenderedStep never asks for one of a provider whose transactions are
 * "statement".
 */
export function refuseTransaction<T>(): Promise<T> {
  return Promise.reject(
    new UnsupportedFeatureError(
      "spark",
      "multi-statement transactions",
      'each Spark/Delta statement commits on its own (capability transactions: "statement")',
      "run the statements through session(): each step omopetl renders for Spark is one atomic Delta operation, or idempotent when re-run",
    ),
  );
}

/**
 * `{ rowCount }` of a statement from its decoded rows: Delta's MERGE/UPDATE/DELETE return a num_affected_rows
 * column (on Spark and on Databricks alike); INSERT and DDL return none.
 */
export function affectedRows(columns: readonly string[], rows: readonly Record<string, unknown>[]): ExecuteResult {
  if (!columns.includes("num_affected_rows")) return {};
  const n = rows[0]?.["num_affected_rows"];
  return n === undefined || n === null ? {} : { rowCount: Number(n) };
}
