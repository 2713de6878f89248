/**
 * Rows of a Spark Thrift server's result sets (HiveServer2 TCLIService `TRowSet`s, column-oriented) as the plain
 * objects every omopetl connection returns: integers as numbers, BIGINT and DECIMAL as strings (exact), dates as
 * "YYYY-MM-DD", timestamps as "YYYY-MM-DD HH:MM:SS[.ffffff]", NULL as null.
 *
 * hive-driver's own JsonResult is not used: it turns BIGINT and DECIMAL into JS numbers, which silently loses digits
 * past 2^53 (a surrogate id, a money amount): wrong data is worse than an error, and here it is simply avoidable.
 * Pure (no I/O): the connection fetches, this file only converts.
 */

/** TCLIService's TTypeId values (service-rpc/if/TCLIService.thrift), the protocol's own numbering. */
export const T_TYPE_ID = {
  BOOLEAN: 0,
  TINYINT: 1,
  SMALLINT: 2,
  INT: 3,
  BIGINT: 4,
  FLOAT: 5,
  DOUBLE: 6,
  STRING: 7,
  TIMESTAMP: 8,
  BINARY: 9,
  ARRAY: 10,
  MAP: 11,
  STRUCT: 12,
  UNION: 13,
  USER_DEFINED: 14,
  DECIMAL: 15,
  NULL: 16,
  DATE: 17,
  VARCHAR: 18,
  CHAR: 19,
  INTERVAL_YEAR_MONTH: 20,
  INTERVAL_DAY_TIME: 21,
} as const;

/** A thrift i64 as the node thrift library decodes it (node-int64: 8 big-endian bytes). */
export interface ThriftInt64 {
  buffer: Buffer;
  offset: number;
}

/** One column of a TRowSet: exactly one of the typed value lists is set. */
export interface ThriftColumn {
  boolVal?: ThriftValues<boolean> | null;
  byteVal?: ThriftValues<number> | null;
  i16Val?: ThriftValues<number> | null;
  i32Val?: ThriftValues<number> | null;
  i64Val?: ThriftValues<ThriftInt64> | null;
  doubleVal?: ThriftValues<number> | null;
  stringVal?: ThriftValues<string> | null;
  binaryVal?: ThriftValues<Buffer> | null;
}

/** Values plus a bitmap of NULLs (bit i of byte i/8, least significant bit first). */
export interface ThriftValues<T> {
  values: T[];
  nulls?: Buffer | null;
}

/** A TRowSet (only its column-oriented form: Spark's Thrift server, protocol V6 and later, sends columns). */
export interface ThriftRowSet {
  columns?: ThriftColumn[] | null;
}

/** A column of the result's TTableSchema. */
export interface ThriftColumnDesc {
  columnName: string;
  position: number;
  typeDesc: { types: { primitiveEntry?: { type: number } | null }[] };
}

/** The result's TTableSchema. */
export interface ThriftTableSchema {
  columns: ThriftColumnDesc[];
}

function isNull(nulls: Buffer | null | undefined, i: number): boolean {
  if (!nulls || nulls.length === 0) return false;
  const byte = nulls[i >> 3];
  return byte !== undefined && (byte & (1 << (i & 7))) !== 0;
}

function valuesOf(col: ThriftColumn): ThriftValues<unknown> | undefined {
  return col.boolVal ?? col.byteVal ?? col.i16Val ?? col.i32Val ?? col.i64Val ?? col.doubleVal ?? col.stringVal ?? col.binaryVal ?? undefined;
}

/** "2020-01-01 10:00:00.500" -> "2020-01-01 10:00:00.5": the fraction without trailing zeros, as DuckDB and PostgreSQL print it. */
export function normaliseTimestamp(s: string): string {
  const m = /^(\d{4,}-\d\d-\d\d \d\d:\d\d:\d\d)(?:\.(\d+))?$/.exec(s);
  if (!m) return s;
  const fraction = (m[2] ?? "").replace(/0+$/, "");
  return fraction ? `${m[1]}.${fraction}` : m[1]!;
}

/** One non-NULL value of a column of type `type`, as omopetl's connections return it. */
export function convertSparkValue(type: number | undefined, value: unknown): unknown {
  switch (type) {
    case T_TYPE_ID.BIGINT: {
      // Exact: an i64 past 2^53 keeps every digit.
      const v = value as ThriftInt64;
      return v.buffer.readBigInt64BE(v.offset).toString();
    }
    case T_TYPE_ID.DECIMAL:
      // Sent as text (Java's BigDecimal.toPlainString): exact, scale kept ("1.50").
      return String(value);
    case T_TYPE_ID.TIMESTAMP:
      return normaliseTimestamp(String(value));
    case T_TYPE_ID.BINARY:
      // As PostgreSQL prints bytea: JSON-compatible and unambiguous.
      return `\\x${Buffer.from(value as Buffer).toString("hex")}`;
    case T_TYPE_ID.ARRAY:
    case T_TYPE_ID.MAP:
    case T_TYPE_ID.STRUCT:
      try {
        return JSON.parse(String(value)) as unknown;
      } catch {
        return String(value);
      }
    case T_TYPE_ID.NULL:
      return null;
    default:
      // BOOLEAN, TINYINT..INT, FLOAT/DOUBLE (numbers), STRING/VARCHAR/CHAR, DATE ("YYYY-MM-DD"), intervals (text).
      return value;
  }
}

/** The rows of `rowSets` (in order) as objects keyed by column name. */
export function sparkRows<T = Record<string, unknown>>(schema: ThriftTableSchema | null | undefined, rowSets: readonly ThriftRowSet[]): T[] {
  if (!schema || schema.columns.length === 0) return [];
  const descs = [...schema.columns].sort((a, b) => a.position - b.position);
  const out: Record<string, unknown>[] = [];
  for (const rowSet of rowSets) {
    const columns = rowSet.columns ?? [];
    if (columns.length === 0) continue;
    const n = valuesOf(columns[0]!)?.values.length ?? 0;
    const base = out.length;
    for (let r = 0; r < n; r++) out.push({});
    descs.forEach((desc, c) => {
      const col = columns[c];
      const vals = col ? valuesOf(col) : undefined;
      if (!vals) throw new Error(`the Spark Thrift server sent no values for column "${desc.columnName}"`);
      const type = desc.typeDesc.types[0]?.primitiveEntry?.type;
      for (let r = 0; r < n; r++) {
        out[base + r]![desc.columnName] = isNull(vals.nulls, r) ? null : convertSparkValue(type, vals.values[r]);
      }
    });
  }
  return out as T[];
}
