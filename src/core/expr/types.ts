/**
 * Rules over ValueType: numeric promotion, unification, casts and assignability to target columns.
 */
import type { CastType, Expr, ValueType } from "./ast.js";

const NUMERIC_RANK: Partial<Record<ValueType, number>> = { integer: 1, bigint: 2, float: 3 };

/** integer, bigint or float. */
export function isNumeric(t: ValueType): boolean {
  return NUMERIC_RANK[t] !== undefined;
}

/** integer or bigint. */
export function isIntegral(t: ValueType): boolean {
  return t === "integer" || t === "bigint";
}

export function isTemporal(t: ValueType): t is "date" | "datetime" {
  return t === "date" || t === "datetime";
}

/** null (the NULL literal) and any (untyped column) fit every slot. */
export function isWildcard(t: ValueType): boolean {
  return t === "null" || t === "any";
}

/** The wider of two numeric types (integer < bigint < float). */
export function promote(a: ValueType, b: ValueType): ValueType {
  return (NUMERIC_RANK[a] ?? 0) >= (NUMERIC_RANK[b] ?? 0) ? a : b;
}

/**
 * The common type of two values that meet in a comparison, CASE, IN list, coalesce, ...; undefined when they
 * are incompatible. NULL yields to the other side; `any` yields too (it is compatible with everything, and the
 * known side is the better guess for the result).
 */
export function unify(a: ValueType, b: ValueType): ValueType | undefined {
  if (a === b) return a;
  if (a === "null" || a === "any") return b === "null" ? a : b;
  if (b === "null" || b === "any") return a;
  if (isNumeric(a) && isNumeric(b)) return promote(a, b);
  if (isTemporal(a) && isTemporal(b)) return "datetime";
  return undefined;
}

/** The ValueType of values of a CAST / column type. */
export function castTypeToValueType(t: CastType): ValueType {
  return t.kind === "varchar" ? "string" : t.kind;
}

/** How a type is written in messages and CAST hints: `varchar(50)`, `integer`, ... */
export function formatCastType(t: CastType): string {
  return t.kind === "varchar" && t.length !== undefined ? `varchar(${t.length})` : t.kind;
}

/** Whether `CAST(x AS to)` is meaningful for x of type `from` (portable across dialects). */
export function castAllowed(from: ValueType, to: CastType): boolean {
  if (isWildcard(from) || from === "string" || to.kind === "varchar") return true;
  const target = castTypeToValueType(to);
  if (isNumeric(from)) return isNumeric(target) || (isIntegral(from) && target === "boolean");
  if (isTemporal(from)) return isTemporal(target);
  if (from === "boolean") return target === "boolean" || target === "integer" || target === "bigint";
  return false;
}

/** Result of `assignable`: ok, or an error message with a CAST hint. */
export type AssignCheck = { ok: true } | { ok: false; message: string; hint: string };

/**
 * Whether a value of type `from` can be written to a column of type `to` without an explicit CAST.
 * Widening is implicit (integer -> bigint/float, date -> datetime, any varchar length), and so is bigint -> integer,
 * because OMOP 5.3 declares ids `integer` while counters and row_number() are bigint (the database checks range).
 * Everything else needs an explicit CAST, so that no dialect-specific implicit conversion decides the result.
 */
export function assignable(from: ValueType, to: CastType): AssignCheck {
  if (isWildcard(from)) return { ok: true };
  const target = castTypeToValueType(to);
  if (from === target) return { ok: true };
  if (isNumeric(from) && isNumeric(target) && (from !== "float" || target === "float")) return { ok: true };
  if (from === "date" && target === "datetime") return { ok: true };
  const typeName = formatCastType(to);
  let hint = `Convert it explicitly: CAST(x AS ${typeName}).`;
  if (from === "float" && isIntegral(target)) hint = `Round it explicitly: CAST(round(x) AS ${typeName}).`;
  else if (from === "string" && target === "date") hint = "Use CAST(x AS date) for ISO dates, or to_date(x, '%Y%m%d') for other formats.";
  else if (from === "string" && target === "datetime") hint = "Use CAST(x AS datetime) for ISO timestamps, or to_timestamp(x, '%Y-%m-%d %H:%M:%S').";
  else if (from === "datetime" && target === "date") hint = "Truncate it explicitly: CAST(x AS date).";
  return { ok: false, message: `a value of type ${from} cannot be written to a column of type ${typeName}.`, hint };
}

const TYPE_NAMES: Record<string, CastType["kind"]> = {
  integer: "integer",
  int: "integer",
  int4: "integer",
  smallint: "integer",
  bigint: "bigint",
  int8: "bigint",
  float: "float",
  double: "float",
  real: "float",
  numeric: "float",
  decimal: "float",
  varchar: "varchar",
  text: "varchar",
  string: "varchar",
  date: "date",
  datetime: "datetime",
  timestamp: "datetime",
  boolean: "boolean",
  bool: "boolean",
};

/** Type names suggested by did-you-mean (abbreviations such as int/bool left out: they would win on prefix). */
export const TYPE_NAME_LIST: readonly string[] = Object.keys(TYPE_NAMES).filter((n) => n.length > 4 || n === "date" || n === "text" || n === "real");

/** The CastType of a bare type name (`int`, `text`, ...), without length; undefined when unknown. */
export function castTypeOfName(name: string, length?: number): CastType | undefined {
  const kind = TYPE_NAMES[name.toLowerCase()];
  if (kind === undefined) return undefined;
  if (kind === "varchar") return length === undefined ? { kind } : { kind, length };
  return { kind };
}

/**
 * Parses a type as written in a column declaration or CAST: `integer`, `varchar(50)`, `double precision`,
 * `numeric(10,2)`, `timestamp`. Returns undefined when it is not one of the portable types.
 */
export function parseTypeName(text: string): CastType | undefined {
  const m = /^\s*([a-z][a-z0-9]*)(?:\s+precision)?\s*(?:\(\s*(\d+|max)\s*(?:,\s*(\d+)\s*)?\))?\s*$/i.exec(text);
  if (!m) return undefined;
  const name = m[1]!.toLowerCase();
  if (/precision/i.test(text) && name !== "double") return undefined;
  const kind = TYPE_NAMES[name];
  if (kind === undefined) return undefined;
  if (m[2] === undefined) return castTypeOfName(name);
  if (kind === "varchar") {
    if (m[3] !== undefined) return undefined;
    if (m[2].toLowerCase() === "max") return { kind };
    const len = Number(m[2]);
    return len > 0 ? { kind, length: len } : undefined;
  }
  // numeric(p, s) / decimal(p) are approximated by float, the only portable non-integer type
  return kind === "float" && m[2].toLowerCase() !== "max" ? { kind } : undefined;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** `YYYY-MM-DD` with a real calendar date. */
export function isIsoDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (mo < 1 || mo > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return d <= (mo === 2 && leap ? 29 : DAYS_IN_MONTH[mo - 1]!);
}

/** `YYYY-MM-DD`, optionally followed by ` HH:MM[:SS[.fff]]` (or `T` as separator); no time zone. */
export function isIsoDateTime(s: string): boolean {
  const m = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?)?$/.exec(s);
  if (!m || !isIsoDate(m[1]!)) return false;
  if (m[2] === undefined) return true;
  return Number(m[2]) < 24 && Number(m[3]) < 60 && (m[4] === undefined || Number(m[4]) < 60);
}

/**
 * A string literal used where a date/datetime is expected becomes a CAST when it is an ISO date(time), so
 * `d >= '2020-01-01'` compares dates in every dialect. Other expressions are returned unchanged.
 */
export function coerceLiteral(e: Expr, to: ValueType): Expr {
  if (e.k !== "lit" || typeof e.value !== "string" || !isTemporal(to)) return e;
  if (isIsoDate(e.value)) return { k: "cast", arg: e, to: { kind: to }, type: to };
  if (isIsoDateTime(e.value)) return { k: "cast", arg: e, to: { kind: "datetime" }, type: "datetime" };
  return e;
}
