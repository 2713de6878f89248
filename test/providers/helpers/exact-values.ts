/**
 * Values every spark connection method must read back identically (and as DuckDB and PostgreSQL return them): a
 * BIGINT past 2^53, a DECIMAL's scale, a leap day, microseconds, NULLs, non-ASCII text. As a Spark SQL query, as the
 * columns a scripted Databricks answer sends (helpers/databricks-server.ts), and as the rows expected back.
 */
import type { ResultColumn } from "./databricks-server.js";

/** The values as a Spark SQL query (local Spark, a Databricks SQL warehouse). */
export const EXACT_VALUES_SQL =
  "SELECT * FROM VALUES " +
  "(CAST(9007199254740993 AS BIGINT), CAST('1.50' AS DECIMAL(10,2)), DATE'2020-02-29', TIMESTAMP'2020-01-01 10:00:00.123456', 1, 'é €'), " +
  "(CAST(NULL AS BIGINT), CAST('-3.00' AS DECIMAL(10,2)), CAST(NULL AS DATE), TIMESTAMP'2020-01-01 10:00:00', CAST(NULL AS INT), CAST(NULL AS STRING)) " +
  "AS v(id, amount, d, ts, n, s)";

/** The values as the columns of a scripted answer. */
export const EXACT_VALUES_COLUMNS: ResultColumn[] = [
  { name: "id", type: "BIGINT", values: ["9007199254740993", null] },
  { name: "amount", type: "DECIMAL", precision: 10, scale: 2, values: ["1.50", "-3.00"] },
  { name: "d", type: "DATE", values: ["2020-02-29", null] },
  { name: "ts", type: "TIMESTAMP", values: ["2020-01-01 10:00:00.123456", "2020-01-01 10:00:00"] },
  { name: "n", type: "INT", values: [1, null] },
  { name: "s", type: "STRING", values: ["é €", null] },
];

/** The rows every method returns for them. */
export const EXACT_VALUES_ROWS = [
  { id: "9007199254740993", amount: "1.50", d: "2020-02-29", ts: "2020-01-01 10:00:00.123456", n: 1, s: "é €" },
  { id: null, amount: "-3.00", d: null, ts: "2020-01-01 10:00:00", n: null, s: null },
];
