/**
 * Rows of a Databricks SQL warehouse as @databricks/sql decodes them, made what every omopetl connection returns
 * (and what the Spark Thrift connection returns for the same table, spark-values.ts): BIGINT and DECIMAL as exact
 * strings, dates "YYYY-MM-DD", timestamps "YYYY-MM-DD HH:MM:SS[.ffffff]", NULL as null.
 *
 * The client is asked for exactness (databricks-connection.ts: preserveBigNumericPrecision, Arrow results without
 * native timestamp/decimal types), so BIGINT arrives as a bigint, DECIMAL and TIMESTAMP as text. A value that
 * arrived otherwise has already lost digits in the client (its column-based path turns DECIMAL into a float): it is
 * refused, never rounded. Pure (no I/O).
 */
import { convertSparkValue, normaliseTimestamp, T_TYPE_ID } from "./spark-values.js";

/** A column of the result's TTableSchema as @databricks/sql returns it from getSchema(). */
export interface DatabricksColumnDesc {
  columnName: string;
  position?: number;
  typeDesc: { types: { primitiveEntry?: { type: number } | null }[] };
}

/** A value that cannot be returned exactly: the column, its type and what arrived. */
export class InexactValueError extends Error {
  constructor(column: string, what: string) {
    super(
      `column "${column}": ${what}. omopetl refuses rather than return a rounded value (the server answered in a form ` +
        `@databricks/sql decodes lossily; Databricks SQL warehouses answer with Arrow, which is decoded exactly)`,
    );
    this.name = "InexactValueError";
  }
}

/** "YYYY-MM-DD" of a date that arrived as a JS Date or epoch milliseconds (Arrow's DateDay), in UTC. */
function isoDate(v: Date | number): string {
  return (typeof v === "number" ? new Date(v) : v).toISOString().slice(0, 10);
}

/** One non-NULL value of column `column` (type `type`, TTypeId numbering). */
export function convertDatabricksValue(column: string, type: number | undefined, value: unknown): unknown {
  switch (type) {
    case T_TYPE_ID.BIGINT:
      if (typeof value === "bigint") return value.toString();
      if (typeof value === "number" && Number.isSafeInteger(value)) return String(value);
      if (typeof value === "string" && /^-?\d+$/.test(value)) return value;
      throw new InexactValueError(column, `a BIGINT arrived as ${typeof value} ${String(value)}`);
    case T_TYPE_ID.DECIMAL:
      if (typeof value === "string") return value;
      throw new InexactValueError(column, `a DECIMAL arrived as ${typeof value} ${String(value)}, not as its exact text`);
    case T_TYPE_ID.DATE:
      if (value instanceof Date || typeof value === "number") return isoDate(value);
      return String(value);
    case T_TYPE_ID.TIMESTAMP:
      if (typeof value === "string") return normaliseTimestamp(value);
      // An Arrow-native timestamp becomes a JS Date: milliseconds, so a microsecond fraction would be cut.
      throw new InexactValueError(column, `a TIMESTAMP arrived as ${value instanceof Date ? "a JS Date (milliseconds)" : typeof value}, not as its text`);
    default:
      return convertSparkValue(type, value);
  }
}

/** `rows` (as the client returned them) converted column by column, keyed by the schema's column names. */
export function databricksRows<T = Record<string, unknown>>(columns: readonly DatabricksColumnDesc[], rows: readonly object[]): T[] {
  return rows.map((row) => {
    const out: Record<string, unknown> = {};
    for (const c of columns) {
      const v = (row as Record<string, unknown>)[c.columnName];
      out[c.columnName] = v === null || v === undefined ? null : convertDatabricksValue(c.columnName, c.typeDesc.types[0]?.primitiveEntry?.type, v);
    }
    return out as T;
  });
}
