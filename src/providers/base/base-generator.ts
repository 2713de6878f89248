import type { CastType, Expr, FrameBound, OrderItem, ValueType, WindowFrame } from "../../core/expr/ast.js";
import type {
  ColumnDef,
  DdlBody,
  FileFormat,
  IdKey,
  LoadBody,
  PlanStep,
  Select,
  SqlBody,
  TableDef,
  TableRef,
  TransformBody,
} from "../../core/model/plan.js";
import type { CatalogSql, LedgerSql, LookupCoverageQuery, ProviderCapabilities, RenderContext, RenderedStep, RowAccountingOptions, RowAccountingQuery, SqlGenerator, FailureProbes } from "../provider-api.js";
import { invalidIdentifier, invalidLiteral, invalidPlan, UnsupportedFeatureError, unknownSchema } from "../provider-errors.js";
import { findTableDef, neverNull, objectName, referencedAliases, requireTableDefs, tableDefOrColumns } from "./plan-helpers.js";
import { renderFloatColumnGuard } from "./column-type-guard.js";
import { ID_LIVE_COLUMN, idKeysTableDef, idLiveness, renderIdMapMigration } from "./id-liveness.js";
import { textToDate, type DateCastDialect } from "./date-casts.js";
import { formatsCheck, formatsReason, formatsValue, parsedFormats, type DateParseDialect } from "./load-dates.js";
import { badValueSelect, booleanValue, CHECKED_ALIAS, INTEGER_PATTERN, valueCheck, type CheckedColumn, type LoadValueDialect, type ValueCheck } from "./load-values.js";
import { fitsVarchar, renderVarcharLength } from "./varchar-length.js";
import { LOAD_KEY_FIX, renderKeyCheck } from "./key-check.js";
import { requiredCheck } from "./load-required.js";
import { BAD_VALUES_TABLE, badValuesSelect, insertRejects, keepRow, rejectsCountSelect, rejectsTableDef, type LoadRejects } from "./load-rejects.js";
import { renderRowAccounting } from "./row-accounting-sql.js";
import { renderFailureProbes } from "./failure-probes-sql.js";
import { renderVocabularyChecks } from "./vocabulary-check.js";
import { renderCoverageQueries } from "./coverage-sql.js";
import { BaseCatalogSql } from "./catalog-sql.js";
import { BaseLedgerSql } from "./ledger-sql.js";
import { mergeKeysTableDef, renderMergePrune } from "./merge-prune.js";
import { NON_BARE_WORDS } from "./sql-keywords.js";
import { renderParamLiteral, renderSqlStep, type ParamType } from "./sql-step.js";
import { indent, list, sqlComment } from "./sql-text.js";
import { comparesTextOrder, inTextOrder, ordersArgument } from "./text-order.js";

/** Column names of the surrogate-id map table (plan.idMap). */
export const ID_MAP_COLUMNS = { domain: "domain", sourceKey: "source_key", id: "id", live: ID_LIVE_COLUMN } as const;

/** Alias of the target table in MERGE/DELETE statements; the plan's `slice` expressions use it. */
const TARGET_ALIAS = "t";
/** Alias of the source rows in MERGE. */
const SOURCE_ALIAS = "s";

/** Operator precedence levels, lowest first (PostgreSQL's grammar, which DuckDB shares). */
const Prec = {
  Or: 1,
  And: 2,
  Not: 3,
  Compare: 4,
  Concat: 5,
  Additive: 6,
  Multiplicative: 7,
  Unary: 8,
  Atom: 9,
} as const;
type Prec = number;

const BIN_PREC: Readonly<Record<string, Prec>> = {
  or: Prec.Or,
  and: Prec.And,
  "=": Prec.Compare,
  "<>": Prec.Compare,
  "<": Prec.Compare,
  "<=": Prec.Compare,
  ">": Prec.Compare,
  ">=": Prec.Compare,
  "||": Prec.Concat,
  "+": Prec.Additive,
  "-": Prec.Additive,
  "*": Prec.Multiplicative,
  "/": Prec.Multiplicative,
  "%": Prec.Multiplicative,
};

/** Operators where `a op (b op c)` equals `a op b op c`. */
const ASSOCIATIVE = new Set(["and", "or", "+", "*", "||"]);

const isIntegral = (t: ValueType): boolean => t === "integer" || t === "bigint";

/** Units accepted by date_add/date_diff and parts accepted by date_part/date_trunc (see core/expr/functions.ts). */
const ADD_UNITS = new Set(["day", "month", "year"]);
const DATE_PARTS = new Set(["year", "month", "day", "hour", "minute", "second"]);

/** Passed through by name with their arguments: identical name and semantics in every built-in dialect. */
const PLAIN_FUNCTIONS = new Set([
  "lower",
  "upper",
  "trim",
  "ltrim",
  "rtrim",
  "length",
  "replace",
  "concat",
  "concat_ws",
  "left",
  "right",
  "strpos",
  "split_part",
  "md5",
  "abs",
  "greatest",
  "least",
  "coalesce",
  "nullif",
  "sqrt",
  "power",
  "substr",
]);

const AGGREGATES = new Set(["count", "sum", "min", "max", "avg"]);
const RANKING = new Set(["row_number", "rank", "dense_rank"]);

/**
 * The shared SQL generator. Dialects extend it and override the hooks where their SQL differs; everything here is
 * pure and deterministic. Statements are laid out one clause per line, with nested queries indented.
 *
 * Hooks a dialect must provide: {@link dialect}, {@link capabilities}, {@link renderLoad},
 * {@link renderCreateSchema}, {@link renderRebuildTable}, {@link renderConstraints}, {@link binaryCollate}.
 */
export abstract class BaseSqlGenerator implements SqlGenerator {
  abstract readonly dialect: string;
  abstract readonly capabilities: ProviderCapabilities;

  // ---- identifiers ----------------------------------------------------------------------------------------------

  /**
   * An identifier as SQL: bare when it is a plain lower-case name that no engine reserves, else double-quoted with
   * inner quotes doubled (so any name, including `"; DROP TABLE x; --`, stays one identifier).
   * @throws INVALID_IDENTIFIER for empty names, NUL characters and names longer than the dialect allows.
   */
  ident(name: string): string {
    this.validateIdentifier(name);
    if (/^[a-z_][a-z0-9_]*$/.test(name) && !NON_BARE_WORDS.has(name)) return name;
    return `"${name.replace(/"/g, '""')}"`;
  }

  protected validateIdentifier(name: string): void {
    if (name.length === 0) throw invalidIdentifier(this.dialect, name, "it is empty");
    if (name.includes("\0")) throw invalidIdentifier(this.dialect, name, "it contains a NUL character");
    if (/[\ud800-\udfff]/.test(name.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ""))) {
      throw invalidIdentifier(this.dialect, name, "it contains an unpaired UTF-16 surrogate");
    }
    const bytes = Buffer.byteLength(name, "utf8");
    if (bytes > this.capabilities.maxIdentifierLength) {
      throw invalidIdentifier(
        this.dialect,
        name,
        `it is ${bytes} bytes long, the limit is ${this.capabilities.maxIdentifierLength} (the engine would truncate it)`,
      );
    }
  }

  /** The physical schema of a logical schema. @throws UNKNOWN_SCHEMA */
  physicalSchema(logical: string, ctx: RenderContext): string {
    if (!Object.hasOwn(ctx.schemas, logical)) throw unknownSchema(logical, Object.keys(ctx.schemas).sort());
    return ctx.schemas[logical]!;
  }

  /** `schema.table` with physical, quoted-as-needed names. */
  table(ref: TableRef, ctx: RenderContext): string {
    return `${this.ident(this.physicalSchema(ref.schema, ctx))}.${this.ident(ref.name)}`;
  }

  // ---- literals -------------------------------------------------------------------------------------------------

  /** A string literal: single quotes doubled. @throws INVALID_LITERAL for NUL (no SQL string can hold it). */
  stringLiteral(s: string): string {
    if (s.includes("\0")) throw invalidLiteral(this.dialect, JSON.stringify(s), "it contains a NUL character");
    return `'${s.replace(/'/g, "''")}'`;
  }

  /** A numeric literal; floats keep a decimal point. @throws INVALID_LITERAL for NaN and infinities. */
  numberLiteral(n: number, type: ValueType): string {
    if (!Number.isFinite(n)) throw invalidLiteral(this.dialect, String(n), "it is not a finite number");
    let s = String(n);
    if (type === "float" && Number.isInteger(n) && !/e/i.test(s)) s += ".0";
    return s;
  }

  protected literal(e: Extract<Expr, { k: "lit" }>): string {
    const v = e.value;
    if (v === null) return "NULL";
    if (typeof v === "boolean") return v ? "TRUE" : "FALSE";
    if (typeof v === "number") return this.numberLiteral(v, e.type);
    if (e.type === "date") return `DATE ${this.stringLiteral(v)}`;
    if (e.type === "datetime") return `TIMESTAMP ${this.stringLiteral(v)}`;
    return this.stringLiteral(v);
  }

  // ---- types ----------------------------------------------------------------------------------------------------

  /** The SQL type of `CAST(x AS <type>)` and of staging columns. */
  castTypeName(t: CastType): string {
    switch (t.kind) {
      case "integer":
        return "INTEGER";
      case "bigint":
        return "BIGINT";
      case "float":
        // IEEE doubles on every engine, so a float computes to the same bits everywhere (PostgreSQL's NUMERIC
        // would compute 1e-9 / 3 exactly where DuckDB's DOUBLE rounds, and the stored values would differ).
        return "DOUBLE PRECISION";
      case "date":
        return "DATE";
      case "datetime":
        return "TIMESTAMP";
      case "boolean":
        return "BOOLEAN";
      case "varchar":
        return t.length === undefined ? "VARCHAR" : `VARCHAR(${t.length})`;
    }
  }

  /**
   * The SQL type of a table column in DDL, following OHDSI's published DDL (integer, bigint, date, TIMESTAMP for
   * datetime, varchar(n), TEXT for varchar(max)) except for float: DOUBLE PRECISION, not OHDSI's NUMERIC, which
   * DuckDB reads as DECIMAL(18,3) and rounds to 3 decimals (a quantity of 0.0167 stored as 0.017).
   */
  columnTypeName(t: CastType): string {
    if (t.kind === "float") return "DOUBLE PRECISION";
    if (t.kind === "varchar" && t.length === undefined) return "TEXT";
    return this.castTypeName(t);
  }

  /** `CAST(x AS type)`; dialects override to align semantics (e.g. varchar(n) truncation). */
  protected renderCast(arg: string, to: CastType): string {
    return `CAST(${arg} AS ${this.castTypeName(to)})`;
  }

  // ---- expressions ----------------------------------------------------------------------------------------------

  /** Renders an expression of the plan's AST. */
  expr(e: Expr): string {
    switch (e.k) {
      case "col":
        return `${this.ident(e.table)}.${this.ident(e.column)}`;
      case "lit":
        return this.literal(e);
      case "bin":
        return this.renderBinary(e);
      case "not":
        return `NOT ${this.wrap(e.arg, Prec.Not + 1)}`;
      case "neg":
        // Always parenthesised: "-" followed by a negative literal would otherwise start a "--" comment.
        return e.arg.k === "col" ? `-${this.expr(e.arg)}` : `-(${this.expr(e.arg)})`;
      case "case": {
        const parts = ["CASE"];
        if (e.operand) parts.push(this.expr(e.operand));
        for (const w of e.whens) parts.push(`WHEN ${this.expr(w.when)} THEN ${this.expr(w.then)}`);
        if (e.else) parts.push(`ELSE ${this.expr(e.else)}`);
        parts.push("END");
        return parts.join(" ");
      }
      case "cast": {
        if (e.arg.type === "string" && (e.to.kind === "integer" || e.to.kind === "bigint") && e.arg.k !== "lit") {
          // Text to an integer by one grammar on every engine: DuckDB alone reads '4.7' as 5 and '0x10' as 16.
          const x = this.expr(e.arg);
          const type = this.castTypeName(e.to);
          const msg = `${this.stringLiteral(`invalid input syntax for type ${e.to.kind}: "`)} || ${x} || '"'`;
          return `(CASE WHEN ${x} IS NULL OR ${this.regexFullMatch(x, INTEGER_PATTERN)} THEN ${this.renderCast(x, e.to)} ELSE ${this.failValue(msg, type)} END)`;
        }
        if (e.arg.type === "string" && (e.to.kind === "date" || e.to.kind === "datetime") && e.arg.k !== "lit") {
          // Text to a date by the load's ISO grammar on every engine (date-casts.ts): each engine's CAST has extras.
          return textToDate(this.dateCastDialect(), this.expr(e.arg), e.to.kind);
        }
        return this.renderCast(e.arg.type === "float" && e.to.kind === "varchar" ? this.floatText(this.expr(e.arg)) : this.expr(e.arg), e.to);
      }
      case "in": {
        if (e.list.length === 0) return e.negated ? "TRUE" : "FALSE";
        return `${this.wrap(e.arg, Prec.Concat)} ${e.negated ? "NOT IN" : "IN"} (${e.list.map((x) => this.expr(x)).join(", ")})`;
      }
      case "between": {
        // Text in byte order: the argument's explicit collation decides both comparisons (text-order.ts).
        const text = e.arg.type === "string" && e.low.type === "string" && e.high.type === "string";
        const arg = text ? inTextOrder(this.byteOrder, e.arg, this.expr(e.arg)) : this.wrap(e.arg, Prec.Concat);
        return `${arg} ${e.negated ? "NOT BETWEEN" : "BETWEEN"} ${this.wrap(e.low, Prec.Concat)} AND ${this.wrap(e.high, Prec.Concat)}`;
      }
      case "isnull":
        return `${this.wrap(e.arg, Prec.Concat)} IS ${e.negated ? "NOT " : ""}NULL`;
      case "like":
        // ESCAPE made explicit: PostgreSQL defaults to backslash, DuckDB to none.
        return `${this.wrap(e.arg, Prec.Concat)} ${e.negated ? "NOT LIKE" : "LIKE"} ${this.wrap(e.pattern, Prec.Concat)} ESCAPE ${this.stringLiteral("\\")}`;
      case "fn":
        return this.renderFunction(e);
      case "window":
        return this.renderWindow(e);
    }
  }

  /** The precedence level of the SQL `e` renders to. */
  protected precedence(e: Expr): Prec {
    switch (e.k) {
      case "bin":
        return BIN_PREC[e.op] ?? Prec.Compare;
      case "not":
        return Prec.Not;
      case "in":
      case "between":
      case "isnull":
      case "like":
        return Prec.Compare;
      case "neg":
        return Prec.Unary;
      case "lit":
        return typeof e.value === "number" && e.value < 0 ? Prec.Unary : Prec.Atom;
      default:
        return Prec.Atom;
    }
  }

  /** `e` rendered, parenthesised when it binds looser than `min`. */
  protected wrap(e: Expr, min: Prec): string {
    const s = this.expr(e);
    return this.precedence(e) < min ? `(${s})` : s;
  }

  protected renderBinary(e: Extract<Expr, { k: "bin" }>): string {
    const p = BIN_PREC[e.op] ?? Prec.Compare;
    if (comparesTextOrder(e.op, e.left, e.right)) {
      // Text compared by size: byte order on every engine, whatever the database's collation (text-order.ts).
      return `${inTextOrder(this.byteOrder, e.left, this.expr(e.left))} ${e.op} ${inTextOrder(this.byteOrder, e.right, this.expr(e.right))}`;
    }
    const left = this.wrap(e.left, p === Prec.Compare ? p + 1 : p);
    const sameAssoc = e.right.k === "bin" && e.right.op === e.op && ASSOCIATIVE.has(e.op);
    const right = this.wrap(e.right, sameAssoc ? p : p + 1);
    switch (e.op) {
      case "and":
        return `${left} AND ${right}`;
      case "or":
        return `${left} OR ${right}`;
      case "/":
        return this.renderDivision(e, left, this.divisor(e.right, right));
      case "%":
        return `${left} % ${this.divisor(e.right, right)}`;
      default:
        return `${left} ${e.op} ${right}`;
    }
  }

  /**
   * The divisor of `/`, `%` and mod(): as is where the engine fails on a zero divisor (PostgreSQL), else guarded so
   * that it does — a NULL quotient for x / 0 would be a quietly wrong value (docs/semantics.md).
   */
  protected divisor(node: Expr, sql: string): string {
    if (this.zeroDivisorFails || !["integer", "bigint", "float"].includes(node.type)) return sql;
    if (node.k === "lit" && typeof node.value === "number" && node.value !== 0) return sql;
    const type = this.castTypeName({ kind: node.type as "integer" | "bigint" | "float" });
    return `(CASE WHEN ${sql} = 0 THEN ${this.failValue(this.stringLiteral("division by zero"), type)} ELSE ${sql} END)`;
  }

  /**
   * The text of a float (double) value as PostgreSQL prints it: the shortest digits that read back as the same double,
   * an exponent from 1e15 and below 1e-4 (`1e+15`, `1e-05`), no trailing `.0`. Engines that print doubles otherwise
   * override it (docs/semantics.md, `CAST(x AS varchar)`).
   */
  protected floatText(x: string): string {
    return `CAST(${x} AS ${this.castTypeName({ kind: "varchar" })})`;
  }

  /** Whether the engine's `/` and `%` fail on a zero divisor; when false, {@link divisor} guards it. */
  protected get zeroDivisorFails(): boolean {
    return true;
  }

  /**
   * Division with the plan's semantics: integer / integer is integer division truncating toward zero (the node is
   * typed integer/bigint); otherwise exact division.
   */
  protected renderDivision(e: Extract<Expr, { k: "bin" }>, left: string, right: string): string {
    return `${left} / ${right}`;
  }

  /** Checks a call's arity against what the renderer handles. */
  protected arity(e: { name: string; args: Expr[] }, min: number, max = min): void {
    if (e.args.length < min || e.args.length > max) {
      const want = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
      throw invalidPlan(`${e.name}() takes ${want} argument(s), the plan has ${e.args.length}.`);
    }
  }

  /** The lower-case string of a literal unit/part argument. */
  protected unitArg(e: { name: string; args: Expr[] }, i: number, allowed: ReadonlySet<string>): string {
    const a = e.args[i];
    if (a?.k === "lit" && typeof a.value === "string" && allowed.has(a.value.toLowerCase())) return a.value.toLowerCase();
    throw invalidPlan(`argument ${i + 1} of ${e.name}() must be a string literal, one of ${[...allowed].join(", ")}.`);
  }

  /** The string of a literal format argument. */
  protected formatArg(e: { name: string; args: Expr[] }, i: number): string {
    const a = e.args[i];
    if (a?.k === "lit" && typeof a.value === "string") return a.value;
    throw new UnsupportedFeatureError(this.dialect, `${e.name}() with a format that is not a string literal`);
  }

  protected call(name: string, args: readonly string[]): string {
    return `${name}(${args.join(", ")})`;
  }

  /** Renders a catalogue function (core/expr/functions.ts documents each one's semantics). */
  protected renderFunction(e: Extract<Expr, { k: "fn" }>): string {
    const name = e.name;
    const args = (): string[] => e.args.map((a) => this.expr(a));
    if (AGGREGATES.has(name)) return this.renderAggregate(e);
    // A float turned into text by concat: printed the same way on every engine.
    if (name === "concat" || name === "concat_ws") return this.call(name, e.args.map((a) => (a.type === "float" ? this.floatText(this.expr(a)) : this.expr(a))));
    if (RANKING.has(name) || name === "lag" || name === "lead" || name === "first_value" || name === "last_value") {
      throw invalidPlan(`window function ${name}() needs an OVER clause (a "window" node).`);
    }
    switch (name) {
      case "lpad":
      case "rpad":
        this.arity(e, 2, 3);
        // The fill defaults to a space; spelled out because DuckDB requires it.
        return this.call(name, e.args.length === 3 ? args() : [...args(), this.stringLiteral(" ")]);
      case "round":
        this.arity(e, 1, 2);
        return this.renderRound(e);
      case "floor":
      case "ceil":
        this.arity(e, 1);
        return this.castToNodeType(this.call(name, args()), e);
      case "mod":
        this.arity(e, 2);
        return `(${this.wrap(e.args[0]!, Prec.Multiplicative)} % ${this.divisor(e.args[1]!, this.wrap(e.args[1]!, Prec.Multiplicative + 1))})`;
      case "date_add":
        this.arity(e, 3);
        return this.renderDateAdd(e.args[0]!, e.args[1]!, this.unitArg(e, 2, ADD_UNITS), e.type);
      case "date_diff":
        this.arity(e, 3);
        return this.renderDateDiff(this.unitArg(e, 0, ADD_UNITS), e.args[1]!, e.args[2]!);
      case "date_part":
        this.arity(e, 2);
        return this.renderDatePart(this.unitArg(e, 0, DATE_PARTS), e.args[1]!);
      case "date_trunc":
        this.arity(e, 2);
        return this.renderDateTrunc(this.unitArg(e, 0, DATE_PARTS), e.args[1]!);
      case "current_date":
        this.arity(e, 0);
        return "CURRENT_DATE";
      case "make_date":
        this.arity(e, 3);
        return this.renderMakeDate(e.args);
      case "to_date":
        this.arity(e, 2);
        return this.renderParseDate(this.expr(e.args[0]!), this.formatArg(e, 1));
      case "to_timestamp":
        this.arity(e, 2);
        return this.renderParseTimestamp(this.expr(e.args[0]!), this.formatArg(e, 1));
      case "greatest":
      case "least":
        // Text arguments in byte order, so greatest('B', 'a') is 'a' on every engine (text-order.ts).
        return this.call(name, e.type === "string" ? e.args.map((a) => inTextOrder(this.byteOrder, a, this.expr(a))) : args());
      default:
        if (PLAIN_FUNCTIONS.has(name)) return this.call(name, args());
        throw new UnsupportedFeatureError(this.dialect, `the function ${name}()`);
    }
  }

  /** `CAST(sql AS <node type>)` for integral node types, where engines return a wider or decimal type. */
  protected castToNodeType(sql: string, e: { type: ValueType }): string {
    if (e.type === "integer") return `CAST(${sql} AS INTEGER)`;
    if (e.type === "bigint") return `CAST(${sql} AS BIGINT)`;
    return sql;
  }

  protected renderAggregate(e: Extract<Expr, { k: "fn" }>): string {
    if (e.name === "count" && e.args.length === 0) return "count(*)";
    this.arity(e, 1);
    const arg = e.args[0]!;
    // min/max of text: byte order on every engine (text-order.ts).
    const value = ordersArgument(e.name) ? inTextOrder(this.byteOrder, arg, this.expr(arg)) : this.expr(arg);
    const inner = `${e.distinct ? "DISTINCT " : ""}${value}`;
    const sql = `${e.name}(${inner})`;
    // sum of integers: bigint by the catalogue; engines return numeric (PostgreSQL) or hugeint (DuckDB).
    return e.name === "sum" ? this.castToNodeType(sql, e) : sql;
  }

  protected renderRound(e: Extract<Expr, { k: "fn" }>): string {
    return this.call("round", e.args.map((a) => this.expr(a)));
  }

  /** d + n units; the result has d's type (date stays date). */
  protected renderDateAdd(d: Expr, n: Expr, unit: string, type: ValueType): string {
    const ds = this.wrap(d, Prec.Additive);
    if (unit === "day" && d.type === "date") return `(${ds} + ${this.wrap(n, Prec.Additive + 1)})`;
    const sum = `${ds} + ${this.wrap(n, Prec.Multiplicative)} * INTERVAL '1 ${unit}'`;
    return type === "date" || d.type === "date" ? `CAST(${sum} AS DATE)` : `(${sum})`;
  }

  /** `EXTRACT(part FROM x)` as an integer expression safe for arithmetic. */
  protected extractInt(part: string, x: string): string {
    return `EXTRACT(${part.toUpperCase()} FROM ${x})`;
  }

  /** Integer division truncating toward zero. */
  protected intDivide(a: string, b: string): string {
    return `${a} / ${b}`;
  }

  /**
   * b - a in units (catalogue semantics): 'day' counts calendar days, ignoring time of day; 'month'/'year' count
   * complete months/years elapsed, like PostgreSQL's age(): the month difference, less one when b's position in its
   * month (day, then time of day) has not reached a's (mirrored when b < a). Spelled out in portable arithmetic so
   * every dialect computes the same numbers.
   */
  protected renderDateDiff(unit: string, a: Expr, b: Expr): string {
    if (unit === "day") {
      const da = a.type === "date" ? this.wrap(a, Prec.Additive) : `CAST(${this.expr(a)} AS DATE)`;
      const db = b.type === "date" ? this.wrap(b, Prec.Additive) : `CAST(${this.expr(b)} AS DATE)`;
      return `CAST(${db} - ${da} AS INTEGER)`;
    }
    const withTime = a.type === "datetime" || b.type === "datetime";
    const asTemporal = (x: Expr): string => (withTime && x.type !== "datetime" ? `CAST(${this.expr(x)} AS TIMESTAMP)` : this.expr(x));
    const sa = asTemporal(a);
    const sb = asTemporal(b);
    const months = (x: string): string => `(${this.extractInt("year", x)} * 12 + ${this.extractInt("month", x)})`;
    const clock = (x: string): string =>
      withTime
        ? `(${this.extractInt("day", x)} * 86400000000 + ${this.extractInt("hour", x)} * 3600000000 + ${this.extractInt("minute", x)} * 60000000 + ${this.extractInt("microseconds", x)})`
        : this.extractInt("day", x);
    const ma = months(sa);
    const mb = months(sb);
    const adjust = `CASE WHEN ${mb} > ${ma} AND ${clock(sb)} < ${clock(sa)} THEN 1 WHEN ${mb} < ${ma} AND ${clock(sb)} > ${clock(sa)} THEN -1 ELSE 0 END`;
    const diff = `(${mb} - ${ma} - ${adjust})`;
    return unit === "month" ? `CAST(${diff} AS INTEGER)` : `CAST(${this.intDivide(diff, "12")} AS INTEGER)`;
  }

  /** A field of d as an integer, seconds truncated. */
  protected renderDatePart(part: string, d: Expr): string {
    const x = d.type === "date" && (part === "hour" || part === "minute" || part === "second") ? `CAST(${this.expr(d)} AS TIMESTAMP)` : this.expr(d);
    return `CAST(${this.extractInt(part, x)} AS INTEGER)`;
  }

  /** d truncated to its unit, keeping d's type. */
  protected renderDateTrunc(part: string, d: Expr): string {
    if (d.type === "date") return `CAST(date_trunc(${this.stringLiteral(part)}, CAST(${this.expr(d)} AS TIMESTAMP)) AS DATE)`;
    return `date_trunc(${this.stringLiteral(part)}, ${this.expr(d)})`;
  }

  protected renderMakeDate(args: readonly Expr[]): string {
    return this.call("make_date", args.map((a) => this.expr(a)));
  }

  /**
   * to_date(s, format): `s` read with a strftime-style format by the date format grammar of loads, the same SQL on
   * every engine (load-dates.ts), not the engine's strptime/to_date, whose extras differ (PostgreSQL's to_date read
   * '2020-01-05junk' as 2020-01-05 with '%Y-%m-%d'). A value the format does not read fails the statement.
   */
  protected renderParseDate(s: string, format: string): string {
    return this.parseWithFormat(s, format, "date");
  }

  /** to_timestamp(s, format): as {@link renderParseDate}, into a timestamp without a time zone. */
  protected renderParseTimestamp(s: string, format: string): string {
    return this.parseWithFormat(s, format, "datetime");
  }

  private parseWithFormat(s: string, format: string, kind: "date" | "datetime"): string {
    const parsed = parsedFormats(format, kind);
    const fn = kind === "date" ? "to_date" : "to_timestamp";
    const msg = `${this.stringLiteral(`${fn}: "`)} || ${s} || ${this.stringLiteral(`" ${formatsReason(parsed, "format")}`)}`;
    return formatsValue(this.dateParseDialect(), s, parsed, kind, this.failValue(msg, kind === "date" ? "DATE" : "TIMESTAMP"));
  }

  /** The hooks casts of text to dates use (date-casts.ts). */
  protected dateCastDialect(): DateCastDialect {
    return {
      stringLiteral: (s) => this.stringLiteral(s),
      fullMatch: (x, p) => this.regexFullMatch(x, p),
      failValue: (m, t) => this.failValue(m, t),
      isoValue: (t, k) => this.isoValue(t, k),
    };
  }

  /**
   * A checked ISO text as a date (`YYYY-MM-DD`) or timestamp (`YYYY-MM-DD HH:MM[:SS[.f]]`, a `T` allowed): every
   * engine's CAST reads these the same way. Engines that keep dates as text, or cast otherwise, override it.
   */
  protected isoValue(text: string, kind: "date" | "datetime"): string {
    return `CAST(${text} AS ${kind === "date" ? "DATE" : "TIMESTAMP"})`;
  }

  protected renderWindow(e: Extract<Expr, { k: "window" }>): string {
    let call: string;
    let frame = "";
    if (RANKING.has(e.name)) {
      this.arity(e, 0);
      call = `${e.name}()`;
    } else if (e.name === "lag" || e.name === "lead") {
      this.arity(e, 1, 2);
      call = this.call(e.name, e.args.map((a) => this.expr(a)));
    } else if (e.name === "first_value" || e.name === "last_value") {
      this.arity(e, 1);
      call = this.call(e.name, [this.expr(e.args[0]!)]);
      // Catalogue semantics: the whole partition, not the default frame ending at the current row.
      frame = "ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING";
    } else if (AGGREGATES.has(e.name)) {
      // Rendered untyped: a CAST must wrap the whole windowed call, not the aggregate before OVER.
      call = this.renderAggregate({ k: "fn", name: e.name, args: e.args, type: "any" });
    } else {
      throw new UnsupportedFeatureError(this.dialect, `the window function ${e.name}()`);
    }
    if (e.frame) {
      if (RANKING.has(e.name) || e.name === "lag" || e.name === "lead") {
        throw invalidPlan(`${e.name}() ignores window frames, but the plan gives it a ${e.frame.unit.toUpperCase()} frame.`);
      }
      // An explicit frame replaces first_value/last_value's whole-partition default.
      frame = this.renderFrame(e.frame, e.orderBy);
    }
    const over: string[] = [];
    if (e.partitionBy.length) over.push(`PARTITION BY ${e.partitionBy.map((p) => this.expr(p)).join(", ")}`);
    if (e.orderBy.length) over.push(`ORDER BY ${e.orderBy.map((o) => this.orderItem(o)).join(", ")}`);
    if (frame) over.push(frame);
    const windowed = `${call} OVER (${over.join(" ")})`;
    return e.name === "sum" ? this.castToNodeType(windowed, e) : windowed;
  }

  /**
   * `ROWS|RANGE BETWEEN start AND end`, always in the BETWEEN form (the short form means the same on every engine,
   * but one spelling keeps generated SQL uniform).
   */
  protected renderFrame(frame: WindowFrame, orderBy: readonly OrderItem[]): string {
    const bound = (b: FrameBound): string => {
      switch (b.kind) {
        case "unbounded_preceding":
          return "UNBOUNDED PRECEDING";
        case "current_row":
          return "CURRENT ROW";
        case "unbounded_following":
          return "UNBOUNDED FOLLOWING";
        default: {
          if (!Number.isSafeInteger(b.offset) || b.offset < 0) throw invalidPlan(`window frame offset ${b.offset} is not a non-negative integer.`);
          const n = frame.unit === "range" ? this.rangeOffset(b.offset, orderBy) : String(b.offset);
          return `${n} ${b.kind === "preceding" ? "PRECEDING" : "FOLLOWING"}`;
        }
      }
    };
    return `${frame.unit === "rows" ? "ROWS" : "RANGE"} BETWEEN ${bound(frame.start)} AND ${bound(frame.end)}`;
  }

  /**
   * A RANGE offset in the unit of the single ORDER BY key: the number itself for a numeric key, n days (an interval)
   * for a date/datetime key — what both PostgreSQL and DuckDB accept for those key types.
   */
  protected rangeOffset(n: number, orderBy: readonly OrderItem[]): string {
    const key = orderBy.length === 1 ? orderBy[0]!.expr.type : undefined;
    if (key === "integer" || key === "bigint" || key === "float") return String(n);
    if (key === "date" || key === "datetime") return `INTERVAL ${this.stringLiteral(`${n} days`)}`;
    throw invalidPlan(
      `a RANGE frame offset needs exactly one ORDER BY key of a number, date or datetime; the plan has ${orderBy.length === 1 ? `one of type ${key}` : `${orderBy.length}`}.`,
    );
  }

  /**
   * `x [DESC] NULLS FIRST|LAST`: null placement always explicit (asc: last, desc: first, unless stated). Text sorts
   * in byte order (the binaryCollate hook), so ties and orderings agree across engines whatever the database's
   * default collation (PostgreSQL's en_US would sort 'a' < 'B', byte order 'B' < 'a').
   */
  protected orderItem(o: OrderItem): string {
    const nulls = o.nulls ?? (o.desc ? "first" : "last");
    const sql = this.expr(o.expr);
    const key = o.expr.type === "string" ? this.binaryCollate(o.expr.k === "col" ? sql : `(${sql})`) : sql;
    return `${key}${o.desc ? " DESC" : ""} NULLS ${nulls.toUpperCase()}`;
  }

  /** A boolean expression as a WHERE/ON body: top-level ANDs one per line. */
  protected condition(e: Expr, pad = 2): string {
    const conjuncts: Expr[] = [];
    const flatten = (x: Expr): void => {
      if (x.k === "bin" && x.op === "and") {
        flatten(x.left);
        flatten(x.right);
      } else conjuncts.push(x);
    };
    flatten(e);
    return conjuncts.map((c, i) => (i === 0 ? this.wrap(c, Prec.And + 1) : `${" ".repeat(pad)}AND ${this.wrap(c, Prec.And + 1)}`)).join("\n");
  }

  // ---- steps ----------------------------------------------------------------------------------------------------

  renderStep(step: PlanStep, ctx: RenderContext): RenderedStep {
    const body = step.body;
    switch (body.kind) {
      case "load":
        return this.renderLoad(body, ctx);
      case "transform":
        return this.renderTransform(body, ctx, step.name);
      case "sql":
        return this.renderSqlStep(body, ctx);
      case "ddl":
        return { statements: this.renderDdl(requireTableDefs(ctx, body.tables), body.part, ctx), transactional: true };
    }
  }

  /** Replaces the target's contents with the rows of the step's files, in one transaction. */
  protected abstract renderLoad(body: LoadBody, ctx: RenderContext): RenderedStep;

  /**
   * A text value read from a file with its NULLs applied: nullValues become NULL, and the empty string is NULL for
   * non-text columns.
   */
  protected loadText(raw: string, col: ColumnDef, format: FileFormat): string {
    let v = raw;
    if (format.nullValues.length === 1) v = `NULLIF(${v}, ${this.stringLiteral(format.nullValues[0]!)})`;
    else if (format.nullValues.length > 1) {
      v = `CASE WHEN ${v} IN (${format.nullValues.map((n) => this.stringLiteral(n)).join(", ")}) THEN NULL ELSE ${v} END`;
    }
    return col.type.kind === "varchar" ? v : `NULLIF(${v}, '')`;
  }

  /**
   * The SQL turning a text value read from a file into a column's type ({@link loadText}, then a cast; dates and
   * datetimes with a file format parse with it). Values are checked first ({@link loadValueProbe}): a value that
   * passes the check converts the same on every engine.
   */
  protected loadValue(raw: string, col: ColumnDef, format: FileFormat): string {
    const v = this.loadText(raw, col, format);
    switch (col.type.kind) {
      case "varchar":
        // No cast: a value longer than varchar(n) fails instead of being truncated by an explicit CAST.
        return col.type.length === undefined ? v : this.varcharLength(v, col.type.length);
      case "date":
        return format.dateFormat ? this.loadFormattedDate(v, col, format.dateFormat, "date") : `CAST(${v} AS DATE)`;
      case "datetime":
        return format.datetimeFormat ? this.loadFormattedDate(v, col, format.datetimeFormat, "datetime") : `CAST(${v} AS TIMESTAMP)`;
      case "boolean":
        return booleanValue(this.loadValueDialect(), v);
      default:
        return `CAST(${v} AS ${this.castTypeName(col.type)})`;
    }
  }

  /**
   * A date or datetime read with the load's format(s) by the one grammar of every engine (load-dates.ts). The load's
   * value probe has refused what no format reads; a dialect without `failIfAny` (no probe) fails on the value here.
   */
  protected loadFormattedDate(v: string, col: ColumnDef, formats: string | readonly string[], kind: "date" | "datetime"): string {
    const parsed = parsedFormats(formats, kind);
    if (this.failIfAny("SELECT 1") !== undefined) return formatsValue(this.dateParseDialect(), v, parsed, kind);
    const key = kind === "date" ? "date_format" : "datetime_format";
    const msg = `${this.stringLiteral(`LOAD_BAD_DATE: column ${col.name}: "`)} || ${v} || ${this.stringLiteral(`" ${formatsReason(parsed, key)}`)}`;
    return formatsValue(this.dateParseDialect(), v, parsed, kind, this.failValue(msg, kind === "date" ? "DATE" : "TIMESTAMP"));
  }

  /** The hooks dates read with a format use (src/providers/base/load-dates.ts). */
  protected dateParseDialect(): DateParseDialect {
    return {
      stringLiteral: (s) => this.stringLiteral(s),
      fullMatch: (x, p) => this.regexFullMatch(x, p),
      regexGroup: (x, r, n) => this.regexGroup(x, r, n),
      isoValue: (t, k) => this.isoValue(t, k),
    };
  }

  /** The text of capturing group `n` of `x`, a value matching the whole of `regex` (PostgreSQL and DuckDB: regexp_replace). */
  protected regexGroup(x: string, regex: string, n: number): string {
    return `regexp_replace(${x}, ${this.stringLiteral(`^${regex}$`)}, ${this.stringLiteral(`\\${n}`)})`;
  }

  /** The hooks the value checks of loads use (src/providers/base/load-values.ts). */
  protected loadValueDialect(): LoadValueDialect {
    return {
      stringLiteral: (s) => this.stringLiteral(s),
      fullMatch: (x, p) => this.regexFullMatch(x, p),
      binary: (x) => this.binaryCollate(x),
      floatInRange: (v) => this.floatInRange(v),
    };
  }

  /**
   * For a text `v` matching the float grammar: true when it converts to a finite double that is not an underflow
   * to 0 (PostgreSQL refuses both, DuckDB reads 1e400 as infinity and 1e-400 as 0). By default through NUMERIC,
   * which holds any such text exactly.
   */
  protected floatInRange(v: string): string {
    const n = `CAST(${v} AS NUMERIC)`;
    return `CASE WHEN ${n} = 0 THEN TRUE ELSE abs(${n}) BETWEEN 4.9406564584124654e-324 AND 1.7976931348623157e308 END`;
  }

  /** The checked columns of a load (see load-values.ts). */
  protected loadChecks(body: LoadBody): CheckedColumn[] {
    const d = this.loadValueDialect();
    const out: CheckedColumn[] = [];
    for (const [i, col] of body.columns.entries()) {
      const ident = this.ident(col.name);
      if (col.required) out.push(requiredCheck(`omopetl_required_${i + 1}`, col.name, `s.${ident}`, (x) => this.loadText(x, col, body.format)));
      const check = valueCheck(d, `${CHECKED_ALIAS}.${ident}`, col, body.format) ?? this.dateFormatCheck(`${CHECKED_ALIAS}.${ident}`, col, body.format);
      if (check) out.push({ ident, name: col.name, value: this.loadText(`s.${ident}`, col, body.format), check });
    }
    return out;
  }

  /** The check of a date or datetime column the load reads with a format (load-dates.ts), else undefined. */
  protected dateFormatCheck(v: string, col: ColumnDef, format: FileFormat): ValueCheck | undefined {
    const kind = col.type.kind;
    const formats = kind === "date" ? format.dateFormat : kind === "datetime" ? format.datetimeFormat : undefined;
    if (formats === undefined || (kind !== "date" && kind !== "datetime")) return undefined;
    const parsed = parsedFormats(formats, kind);
    return { ok: formatsCheck(this.dateParseDialect(), v, parsed), code: "LOAD_BAD_DATE", reason: formatsReason(parsed, kind === "date" ? "date_format" : "datetime_format") };
  }

  /**
   * A statement failing the load with LOAD_BAD_VALUE (file, row, column, value, fix) when a staged value does not
   * convert to its column's type; undefined when no column needs a check or the dialect has no `failIfAny`.
   */
  protected loadValueProbe(body: LoadBody, stage: string): string | undefined {
    if (body.rejects) return undefined; // on_error: reject diverts the rows instead (loadRejects)
    const checks = this.loadChecks(body);
    if (checks.length === 0) return undefined;
    return this.failIfAny(badValueSelect(this.loadValueDialect(), stage, checks, ", or set on_error: reject on the load to divert bad rows to a rejects table"));
  }

  /**
   * `on_error: reject` (load-rejects.ts): the statements recreating the load's rejects table and filling it from
   * the staged rows `stage`, the condition keeping a staged row (alias `alias`) without a bad value, and the
   * statements dropping what they staged; `staged` says whether they read `stage` (not when no column needs a
   * check). Undefined for `on_error: fail`.
   */
  protected loadRejects(body: LoadBody, stage: string, alias: string, ctx: RenderContext): LoadRejects | undefined {
    if (!body.rejects) return undefined;
    const def = rejectsTableDef(body.rejects);
    const statements = [this.renderCreateSchema(this.physicalSchema(def.schema, ctx)), ...this.renderRebuildTable(def, ctx)];
    const checks = this.loadChecks(body);
    if (checks.length === 0) return { statements, cleanup: [], staged: false };
    const bad = this.tempTable(BAD_VALUES_TABLE);
    statements.push(...this.createTempTableAs(BAD_VALUES_TABLE, badValuesSelect(this, stage, checks)));
    statements.push(insertRejects(this, this.table(def, ctx), bad));
    return { statements, keep: keepRow(bad, alias), cleanup: this.dropTempTable(BAD_VALUES_TABLE), staged: true };
  }

  /** The query counting a load's rejects after it committed (see {@link SqlGenerator.renderLoadRejects}). */
  renderLoadRejects(body: LoadBody, ctx: RenderContext): { sql: string; table: string } | undefined {
    if (!body.rejects) return undefined;
    return {
      sql: rejectsCountSelect(this, this.table(body.rejects, ctx)),
      table: `${this.physicalSchema(body.rejects.schema, ctx)}.${body.rejects.name}`,
    };
  }

  /** A connection-local table `name` (unqualified) as a qualified name. */
  protected tempTable(name: string): string {
    return this.ident(name);
  }

  /** Statements creating the connection-local table `name` with the rows of `select` (replacing one left over). */
  protected createTempTableAs(name: string, select: string): string[] {
    return [`DROP TABLE IF EXISTS ${this.tempTable(name)}`, `CREATE TEMPORARY TABLE ${this.ident(name)} AS\n${select}`];
  }

  /** Statements dropping the connection-local table `name` at the end of a step. */
  protected dropTempTable(name: string): string[] {
    return [`DROP TABLE IF EXISTS ${this.tempTable(name)}`];
  }

  /** True when the whole of `x` matches the POSIX regular expression `pattern` (PostgreSQL's `~`, anchored). */
  protected regexFullMatch(x: string, pattern: string): string {
    return `(${x} ~ ${this.stringLiteral(`^(${pattern})$`)})`;
  }

  /**
   * An expression of type `type` that fails the statement with `message` (SQL text of a string) in the error. By
   * default a cast of the message to the type, whose error quotes it: engines without an error() function.
   */
  protected failValue(message: string, type: string): string {
    return `CAST(${message} AS ${type})`;
  }

  /** `CREATE SCHEMA` for a physical schema, idempotent. */
  protected abstract renderCreateSchema(physical: string): string;

  /** omopetl's own tables (run ledger, row accounting, coverage), quoted by this generator ([ledger-sql.ts](ledger-sql.ts)). */
  readonly ledgerSql: LedgerSql = new BaseLedgerSql(this);
  /** Schemas created outside steps (with {@link renderCreateSchema}), dropped, found ([catalog-sql.ts](catalog-sql.ts)). */
  readonly catalogSql: CatalogSql = new BaseCatalogSql(this, (schema) => this.renderCreateSchema(schema));

  /** Schema creation statements for the schemas of `refs`, each once, in first-seen order. */
  protected createSchemas(refs: readonly TableRef[], ctx: RenderContext): string[] {
    const seen = new Set<string>();
    const out: string[] = [];
    for (const r of refs) {
      const p = this.physicalSchema(r.schema, ctx);
      if (seen.has(p)) continue;
      seen.add(p);
      out.push(this.renderCreateSchema(p));
    }
    return out;
  }

  /**
   * How CREATE TABLE IF NOT EXISTS declares `def`'s primary key. By default CDM tables get theirs from the ddl
   * "constraints" part (after loading, as OHDSI does), and other tables, which no ddl step covers, declare it inline.
   */
  protected primaryKeyMode(def: TableDef): "none" | "inline" | "named" {
    return def.cdm ? "none" : "named";
  }

  /**
   * A column's type in a table: OHDSI's types for CDM tables; the cast types for source/staging tables (so a float
   * stays a DOUBLE where a dialect's NUMERIC would round it, e.g. DuckDB's DECIMAL(18,3)).
   */
  tableColumnTypeName(def: Pick<TableDef, "cdm">, t: CastType): string {
    return def.cdm ? this.columnTypeName(t) : this.castTypeName(t);
  }

  /** The column definitions (and inline primary key, when wanted) of a CREATE TABLE. */
  protected tableElements(def: TableDef, primaryKey: "none" | "inline" | "named"): string[] {
    const cols = def.columns.map((c) => `${this.ident(c.name)} ${this.tableColumnTypeName(def, c.type)}${c.required ? " NOT NULL" : ""}`);
    if (primaryKey !== "none" && def.primaryKey.length > 0) {
      const pk = `PRIMARY KEY (${def.primaryKey.map((c) => this.ident(c)).join(", ")})`;
      cols.push(primaryKey === "named" ? `CONSTRAINT ${this.ident(this.primaryKeyName(def))} ${pk}` : pk);
    }
    return cols;
  }

  protected createTableSql(def: TableDef, ctx: RenderContext, prefix: string, primaryKey: "none" | "inline" | "named"): string {
    return `${prefix} ${this.table(def, ctx)} (\n${indent(this.tableElements(def, primaryKey).join(",\n"))}\n)`;
  }

  /** `CREATE TABLE IF NOT EXISTS`, the idempotent creation used by DDL steps and for non-CDM targets. */
  protected createTableIfNotExists(def: TableDef, ctx: RenderContext): string {
    return this.createTableSql(def, ctx, "CREATE TABLE IF NOT EXISTS", this.primaryKeyMode(def));
  }

  /**
   * Statements that create `def` anew, empty (the old table and its rows gone), for transform mode "rebuild".
   * Not CREATE TABLE AS: the table keeps its declared types, NOT NULLs and primary key; the rows follow in an
   * INSERT within the same transaction.
   */
  protected abstract renderRebuildTable(def: TableDef, ctx: RenderContext): string[];

  primaryKeyName(def: TableDef): string {
    return objectName("xpk", [def.name], this.capabilities.maxIdentifierLength);
  }

  foreignKeyName(def: TableDef, column: string): string {
    return objectName("fpk", [def.name, column], this.capabilities.maxIdentifierLength);
  }

  indexName(def: TableDef, columns: readonly string[]): string {
    return objectName("idx", [def.name, ...columns], this.capabilities.maxIdentifierLength);
  }

  protected renderIndexes(def: TableDef, ctx: RenderContext): string[] {
    return def.indexes.map(
      (cols) =>
        `CREATE INDEX IF NOT EXISTS ${this.ident(this.indexName(def, cols))} ON ${this.table(def, ctx)} (${cols.map((c) => this.ident(c)).join(", ")})`,
    );
  }

  /** Primary and foreign keys of `defs`, idempotently (all primary keys first, so foreign keys find them). */
  protected abstract renderConstraints(defs: readonly TableDef[], ctx: RenderContext): string[];

  renderDdl(tables: readonly TableDef[], part: DdlBody["part"], ctx: RenderContext): string[] {
    switch (part) {
      case "tables":
        return [
          ...this.createSchemas(tables, ctx),
          ...tables.map((t) => this.createTableIfNotExists(t, ctx)),
          ...renderFloatColumnGuard(this, tables, ctx),
        ];
      case "constraints":
        return this.renderConstraints(tables, ctx);
      case "indexes":
        if (!(ctx.indexes ?? this.capabilities.standardIndexes ?? true)) return [this.skippedIndexesComment(tables, ctx)];
        return tables.flatMap((t) => this.renderIndexes(t, ctx));
    }
  }

  /**
   * A statement that fails, with the text of `select`'s single `msg` column as the error, when `select` returns a
   * row, and does nothing otherwise: how generated SQL asserts something about the database inside a step.
   * Undefined (the default) when the dialect cannot: the checks built on it are then not made, so a provider
   * should implement it (the conformance suite's "outdated float column" case tells).
   */
  failIfAny(_select: string): string | undefined {
    return undefined;
  }

  /** What ddl part "indexes" says when the target does not want the standard indexes (executable: a comment). */
  protected skippedIndexesComment(tables: readonly TableDef[], ctx: RenderContext): string {
    const n = tables.reduce((sum, t) => sum + t.indexes.length, 0);
    const why = ctx.indexes === false ? "the target sets indexes: false" : `${this.dialect} does not create them by default; set indexes: true on the target to create them`;
    return sqlComment([`${n} standard indexes not created: ${why}.`]);
  }

  /** `sql` steps: placeholders replaced by quoted schema names and parameter literals ({@link paramLiteral}). */
  protected renderSqlStep(body: SqlBody, ctx: RenderContext): RenderedStep {
    return renderSqlStep(this, body, ctx);
  }

  /**
   * A `${params.x}` of a sql step: a complete literal of the parameter's declared type, so a value can never be
   * read as SQL. Override for a dialect whose literals differ. @throws INVALID_LITERAL
   */
  paramLiteral(value: string | number | boolean, type: ParamType): string {
    return renderParamLiteral(this, value, type);
  }

  // ---- transforms -----------------------------------------------------------------------------------------------

  /** The id map table's definition (plan.idMap): one id per (domain, source_key), ids unique per domain. */
  idMapTableDef(ctx: RenderContext): TableDef {
    return {
      schema: ctx.idMap.schema,
      name: ctx.idMap.name,
      cdm: false,
      columns: [
        { name: ID_MAP_COLUMNS.domain, type: { kind: "varchar" }, required: true },
        { name: ID_MAP_COLUMNS.sourceKey, type: { kind: "varchar" }, required: true },
        { name: ID_MAP_COLUMNS.id, type: { kind: "integer" }, required: true },
        // Whether an assigner of the domain still produces the key (see id-liveness.ts); readers join live keys only.
        { name: ID_MAP_COLUMNS.live, type: { kind: "boolean" }, required: true },
      ],
      primaryKey: [ID_MAP_COLUMNS.domain, ID_MAP_COLUMNS.sourceKey],
      foreignKeys: [],
      indexes: [],
    };
  }

  /** `CREATE TABLE IF NOT EXISTS` for the id map, with its primary key and a unique (domain, id). */
  protected createIdMapTable(ctx: RenderContext): string {
    const def = this.idMapTableDef(ctx);
    const elements = this.tableElements(def, "inline");
    elements.push(`UNIQUE (${this.ident(ID_MAP_COLUMNS.domain)}, ${this.ident(ID_MAP_COLUMNS.id)})`);
    return `CREATE TABLE IF NOT EXISTS ${this.table(def, ctx)} (\n${indent(elements.join(",\n"))}\n)`;
  }

  /** The key table of id liveness (see id-liveness.ts), created with the map. */
  protected createIdKeysTable(ctx: RenderContext): string {
    return this.createTableSql(idKeysTableDef(ctx), ctx, "CREATE TABLE IF NOT EXISTS", "inline");
  }

  /**
   * Run once before the steps: the id map and its key table, and the `live` column added to a map made by an earlier
   * omopetl (not in the steps: on PostgreSQL the ALTER locks the map against readers even when the column exists).
   */
  renderIdMapSetup(ctx: RenderContext): string {
    return [this.createIdMapTable(ctx), renderIdMapMigration(this, ctx), this.createIdKeysTable(ctx)].join(";\n");
  }

  /** The ledger of the rows merge steps wrote ([merge-prune.ts](merge-prune.ts)), created with the first merge. */
  protected createMergeKeysTable(ctx: RenderContext): string {
    return this.createTableSql(mergeKeysTableDef(ctx), ctx, "CREATE TABLE IF NOT EXISTS", "none");
  }

  /**
   * Run once before the steps when one of them merges: the merge ledger (steps create it too, but on PostgreSQL two
   * of them creating it at the same moment fail on the catalog's unique index).
   */
  renderMergeKeysSetup(ctx: RenderContext): string {
    return this.createMergeKeysTable(ctx);
  }

  /**
   * Statements after a temporary table of the step was filled (`table` is its quoted name): e.g. gathering the
   * planner's statistics where the engine does not (PostgreSQL's autovacuum never analyses temporary tables).
   * Default: nothing.
   */
  afterTempTable(_table: string): string[] {
    return [];
  }

  /** Statements serialising id assignment between concurrent steps (none where the engine aborts conflicts). */
  protected lockIdMap(_ctx: RenderContext): string[] {
    return [];
  }

  /** `x COLLATE <byte order>`: the ordering every dialect shares, so ids come out equal across engines. */
  protected abstract binaryCollate(x: string): string;

  /**
   * A text operand of an ordering comparison, min/max or greatest/least, in byte order (see text-order.ts). The
   * default states the byte collation explicitly ({@link binaryCollate}), so an engine whose default collation
   * follows a locale still agrees; a dialect that cannot put a collation on an operand overrides it.
   */
  textOrder(x: string): string {
    return this.binaryCollate(x);
  }

  /** {@link textOrder} as a function, for text-order.ts. */
  private readonly byteOrder = (x: string): string => this.textOrder(x);

  /** The key as text (keys are string-typed; anything else is cast so ids depend on the same text everywhere). */
  protected keyText(key: Expr): string {
    return key.type === "string" ? this.expr(key) : `CAST(${this.expr(key)} AS ${this.castTypeName({ kind: "varchar" })})`;
  }

  /**
   * The id assignment of a step: per domain it assigns, the keys it recorded last time are forgotten; per select and
   * id, the keys the select enumerates are recorded as this step's ({@link renderKeyEnumeration}) and those not yet
   * in the map get ids; last, per domain, the map's `live` flags are settled (see id-liveness.ts).
   */
  protected renderIdAssignments(assigning: readonly { s: Select; id: IdKey }[], step: string, ctx: RenderContext): string[] {
    const domains = [...new Set(assigning.map((a) => a.id.domain))];
    const statements = domains.map((d) => idLiveness.forget(this, d, step, ctx));
    const recorded = new Set<string>();
    for (const { s, id } of assigning) {
      statements.push(idLiveness.record(this, id.domain, step, this.renderKeyEnumeration(s, id, ctx), neverNull(id.key), !recorded.has(id.domain), ctx));
      recorded.add(id.domain);
      statements.push(this.renderIdAssignment(id.domain, step, ctx));
    }
    for (const d of domains) statements.push(...idLiveness.settle(this, d, ctx));
    return statements;
  }

  /**
   * `SELECT DISTINCT <key> AS k FROM ...`: the keys of `id` a select reads, without the id map joins of ids it
   * assigns (those ids do not exist yet).
   *
   * Only FROM/JOINs/WHERE are applied: keys of rows that HAVING or `qualify` later remove still get ids, which then
   * go unused. That is deliberate: a key's id depends only on the rows the select reads, never on window results,
   * so ids stay stable when qualify's outcome for a row changes between runs (and the map stays append-only).
   */
  protected renderKeyEnumeration(select: Select, id: IdKey, ctx: RenderContext): string {
    const assigned = new Set(select.ids.filter((i) => i.assign).map((i) => i.alias));
    const joins = select.joins.filter((j) => !(j.role === "id_map" && assigned.has(j.alias)));
    const used = new Set<string>();
    referencedAliases(id.key, used);
    referencedAliases(select.where, used);
    for (const j of joins) {
      referencedAliases(j.on, used);
      for (const n of j.nested ?? []) referencedAliases(n.on, used);
    }
    for (const a of used) {
      if (assigned.has(a)) {
        throw invalidPlan(`the id key of "${id.column}" or the select's joins/where read "${a}", an id being assigned by the same select.`);
      }
    }
    const keyJoins = this.joinsNeededForKey(select, id, joins);
    return ["SELECT DISTINCT", indent(`${this.keyText(id.key)} AS ${this.ident("k")}`), ...this.fromClause(select, keyJoins, ctx)].join("\n");
  }

  /**
   * Assigns ids to the keys `step` recorded for `domain` that are not yet in the map: new keys get MAX(id)+1, +2, ...
   * in byte order of the key, so the assignment is deterministic and identical on every engine.
   */
  protected renderIdAssignment(domainName: string, step: string, ctx: RenderContext): string {
    const map = this.table(ctx.idMap, ctx);
    const keys = this.table(idKeysTableDef(ctx), ctx);
    const domain = this.stringLiteral(domainName);
    const m = this.ident("m");
    const n = this.ident("n");
    const col = (alias: string, c: string): string => `${alias}.${this.ident(c)}`;
    return [
      `INSERT INTO ${map} (${[ID_MAP_COLUMNS.domain, ID_MAP_COLUMNS.sourceKey, ID_MAP_COLUMNS.id, ID_MAP_COLUMNS.live].map((c) => this.ident(c)).join(", ")})`,
      "SELECT",
      indent(
        [
          `${domain} AS ${this.ident(ID_MAP_COLUMNS.domain)}`,
          `${col(n, ID_MAP_COLUMNS.sourceKey)} AS ${this.ident(ID_MAP_COLUMNS.sourceKey)}`,
          `(SELECT COALESCE(MAX(${col(m, ID_MAP_COLUMNS.id)}), 0) FROM ${map} AS ${m} WHERE ${col(m, ID_MAP_COLUMNS.domain)} = ${domain})\n  + ROW_NUMBER() OVER (ORDER BY ${this.binaryCollate(col(n, ID_MAP_COLUMNS.sourceKey))}) AS ${this.ident(ID_MAP_COLUMNS.id)}`,
          `TRUE AS ${this.ident(ID_MAP_COLUMNS.live)}`,
        ].join(",\n"),
      ),
      `FROM ${keys} AS ${n}`,
      `WHERE ${col(n, ID_MAP_COLUMNS.domain)} = ${domain} AND ${col(n, "step")} = ${this.stringLiteral(step)}`,
      "  AND NOT EXISTS (",
      indent(
        `SELECT 1 FROM ${map} AS ${m}\nWHERE ${col(m, ID_MAP_COLUMNS.domain)} = ${domain} AND ${col(m, ID_MAP_COLUMNS.sourceKey)} = ${col(n, ID_MAP_COLUMNS.sourceKey)}`,
        4,
      ),
      "  )",
    ].join("\n");
  }

  /**
   * The joins the key enumeration needs: every inner join (it filters rows) and the left joins whose columns the key,
   * the WHERE or a needed join's ON read. Other left joins can neither remove rows nor change the DISTINCT keys, so
   * they are left out (measured: the Synthea x1000 run spent ~10 s re-joining visits and id maps here).
   */
  protected joinsNeededForKey(select: Select, id: IdKey, joins: Select["joins"]): Select["joins"] {
    let kept = [...joins];
    for (;;) {
      const needed = new Set<string>();
      referencedAliases(id.key, needed);
      referencedAliases(select.where, needed);
      const aliases = (j: Select["joins"][number]): string[] => [j.alias, ...(j.nested ?? []).map((n) => n.alias)];
      const ons = (j: Select["joins"][number]): Expr[] => [j.on, ...(j.nested ?? []).map((n) => n.on)];
      for (const j of kept) if (j.type === "inner") for (const on of ons(j)) referencedAliases(on, needed);
      // A left join is needed when read by the key/where/inner joins, or by another kept left join's ON.
      for (const j of kept) {
        if (j.type !== "left") continue;
        for (const other of kept) if (other !== j && other.type === "left" && aliases(other).some((a) => needed.has(a))) for (const on of ons(other)) referencedAliases(on, needed);
      }
      const next = kept.filter((j) => j.type === "inner" || aliases(j).some((a) => needed.has(a)));
      if (next.length === kept.length) return kept;
      kept = next;
    }
  }

  /** FROM, JOINs, WHERE of a select (GROUP BY/HAVING are added by {@link renderSelect}). */
  protected fromClause(select: Select, joins: Select["joins"], ctx: RenderContext): string[] {
    const lines = [`FROM ${this.table(select.from.table, ctx)} AS ${this.ident(select.from.alias)}`];
    // Ids read from another step's domain: only keys its assigners still produce (see id-liveness.ts), as in a
    // fresh run; a key gone from the source must not lend its old id to a join.
    const readOnly = new Set(select.ids.filter((i) => !i.assign).map((i) => i.alias));
    for (const jj of joins) {
      const j: typeof jj =
        jj.role === "id_map" && readOnly.has(jj.alias)
          ? { ...jj, on: { k: "bin", op: "and", left: jj.on, right: { k: "col", table: jj.alias, column: ID_MAP_COLUMNS.live, type: "boolean" }, type: "boolean" } }
          : jj;
      const kind = j.type === "left" ? "LEFT JOIN" : "INNER JOIN";
      if (j.nested?.length) {
        lines.push(`${kind} (`, `  ${this.table(j.table, ctx)} AS ${this.ident(j.alias)}`);
        for (const n of j.nested) lines.push(`  INNER JOIN ${this.table(n.table, ctx)} AS ${this.ident(n.alias)}`, `    ON ${this.condition(n.on, 6)}`);
        lines.push(")");
      } else lines.push(`${kind} ${this.table(j.table, ctx)} AS ${this.ident(j.alias)}`);
      lines.push(`  ON ${this.condition(j.on, 4)}`);
    }
    if (select.where) lines.push(`WHERE ${this.condition(select.where)}`);
    return lines;
  }

  /**
   * An output column's SQL: the select's expression for it, cast to the column's type when the expression's type
   * differs (NULL literals and untyped values included), so every select of a UNION and every engine agree.
   * Text targets are never cast: a too-long value fails instead of being truncated.
   */
  protected outputColumn(select: Select, col: ColumnDef): string {
    const found = select.columns.find((c) => c.name === col.name);
    const e: Expr = found?.expr ?? { k: "lit", value: null, type: "null" };
    const want: ValueType = col.type.kind === "varchar" ? "string" : col.type.kind;
    const sql = this.expr(e);
    const typed = e.type === want ? sql : `CAST(${sql} AS ${this.castTypeName(col.type.kind === "varchar" ? { kind: "varchar" } : col.type)})`;
    if (col.type.kind === "varchar" && col.type.length !== undefined && !fitsVarchar(e, col.type.length)) return this.varcharLength(typed, col.type.length);
    return typed;
  }

  /**
   * A value written to a varchar(`length`) column (a transform's output, a load's value). Default: checked as
   * PostgreSQL checks it on insert, failing with its message ({@link renderVarcharLength}); a dialect whose engine
   * enforces the length itself returns `value` unchanged.
   */
  protected varcharLength(value: string, length: number): string {
    const varchar = this.castTypeName({ kind: "varchar" });
    return renderVarcharLength(value, length, (msg) => `CAST(${this.failValue(msg, "INTEGER")} AS ${varchar})`, (s) => this.stringLiteral(s));
  }

  /** A select producing `columns` (in order, named as the target's columns). */
  protected renderSelect(select: Select, columns: readonly ColumnDef[], ctx: RenderContext): string {
    const outputs = columns.map((c) => `${this.outputColumn(select, c)} AS ${this.ident(c.name)}`);
    const body = this.fromClause(select, select.joins, ctx);
    if (select.groupBy.length) body.push(`GROUP BY ${select.groupBy.map((g) => this.expr(g)).join(", ")}`);
    if (select.having) body.push(`HAVING ${this.condition(select.having)}`);
    if (select.qualify) return this.renderQualifiedSelect(select, select.qualify, columns, outputs, body);
    return [select.distinct ? "SELECT DISTINCT" : "SELECT", indent(outputs.join(",\n")), ...body].join("\n");
  }

  /**
   * A select with `qualify`, in one portable shape for every dialect: PostgreSQL has no QUALIFY clause, so the
   * filter is computed as an extra column of an inner query (where window functions are allowed, evaluated after
   * WHERE/GROUP BY/HAVING as QUALIFY's are) and applied by an outer query. DISTINCT goes on the outer query: it
   * applies after QUALIFY, and the extra column would defeat it inside.
   */
  protected renderQualifiedSelect(select: Select, qualify: Expr, columns: readonly ColumnDef[], outputs: readonly string[], body: readonly string[]): string {
    // A name no output column has (target columns may start with underscores too).
    let flag = "__qualify";
    while (columns.some((c) => c.name === flag)) flag = `_${flag}`;
    const q = this.ident("q");
    // The flag is compared as a boolean: a NULL literal or an untyped value is cast so WHERE accepts it everywhere.
    const cond = qualify.type === "boolean" ? this.expr(qualify) : `CAST(${this.expr(qualify)} AS BOOLEAN)`;
    const inner = ["SELECT", indent([...outputs, `${cond} AS ${this.ident(flag)}`].join(",\n")), ...body].join("\n");
    return [
      select.distinct ? "SELECT DISTINCT" : "SELECT",
      indent(columns.map((c) => `${q}.${this.ident(c.name)}`).join(",\n")),
      `FROM (\n${indent(inner)}\n) AS ${q}`,
      `WHERE ${q}.${this.ident(flag)}`,
    ].join("\n");
  }

  /** All selects of a transform, UNION ALL. */
  protected renderQuery(body: TransformBody, ctx: RenderContext): string {
    if (body.selects.length === 0) throw invalidPlan(`transform of ${body.target.schema}.${body.target.name} has no select.`);
    return body.selects.map((s) => this.renderSelect(s, body.columns, ctx)).join("\nUNION ALL\n");
  }

  protected columnList(columns: readonly ColumnDef[]): string {
    return `(${list(columns.map((c) => this.ident(c.name)))})`;
  }

  /** Row count of a table, for the orchestrator's row accounting. */
  /**
   * Which of `tables` exist, from information_schema.tables (views included), compared ignoring case. PostgreSQL
   * overrides it with its catalog, which also lists tables the role has no privilege on.
   */
  renderExistingTables(tables: readonly TableRef[], ctx: RenderContext): string {
    const one = (t: TableRef) =>
      `(lower(table_schema) = lower(${this.stringLiteral(this.physicalSchema(t.schema, ctx))}) AND lower(table_name) = lower(${this.stringLiteral(t.name)}))`;
    return `SELECT table_schema AS schema_name, table_name\nFROM information_schema.tables\nWHERE ${tables.map(one).join("\n   OR ") || "FALSE"}`;
  }

  renderCount(table: TableRef, ctx: RenderContext): string {
    return `SELECT count(*) AS n FROM ${this.table(table, ctx)}`;
  }

  /** The mapping coverage queries of a transform's lookups ([coverage-sql.ts](coverage-sql.ts)). */
  renderLookupCoverage(body: TransformBody, ctx: RenderContext): LookupCoverageQuery[] {
    return renderCoverageQueries({ expr: (e) => this.expr(e), ident: (n) => this.ident(n), fromClause: (s, j, c) => this.fromClause(s, j, c) }, body, ctx);
  }

  /** Read-only probes locating a failed transform's value error ({@link renderFailureProbes}). */
  renderFailureProbes(body: TransformBody, ctx: RenderContext): FailureProbes | undefined {
    return renderFailureProbes(
      {
        ident: (n) => this.ident(n),
        from: (s, joins) => this.fromClause(s, joins, ctx),
        outputColumn: (s, c) => this.outputColumn(s, c),
        select: (s, columns) => this.renderSelect(s, columns, ctx),
        collate: (x) => this.binaryCollate(x),
      },
      body,
    );
  }

  /** The counting SQL of a transform's row accounting ({@link renderRowAccounting}). */
  renderRowAccounting(body: TransformBody, ctx: RenderContext, options: RowAccountingOptions = {}): RowAccountingQuery | undefined {
    return renderRowAccounting(
      {
        ident: (n) => this.ident(n),
        expr: (e) => this.expr(e),
        from: (s, joins) => this.fromClause(s, joins, ctx),
        table: (j) => this.table(j.table, ctx),
        select: (s, columns) => this.renderSelect(s, columns, ctx),
      },
      body,
      options,
    );
  }

  /** `step`: the step's name, which owns the keys it records for id liveness. */
  protected renderTransform(body: TransformBody, ctx: RenderContext, step: string): RenderedStep {
    const statements: string[] = [];
    // Statements on omopetl's own tables (id map, merge ledger): their row counts are not the step's rows.
    const bookkeeping: number[] = [];
    const def = findTableDef(ctx, body.target);
    if (body.mode !== "rebuild" && !def?.cdm) {
      // Staging/non-CDM targets are created on first use; CDM tables come from the ddl steps.
      statements.push(...this.createSchemas([body.target], ctx));
      statements.push(this.createTableIfNotExists(tableDefOrColumns(ctx, body.target, body.columns), ctx));
    }
    const assigning = body.selects.flatMap((s) => s.ids.filter((i) => i.assign).map((id) => ({ s, id })));
    if (assigning.length > 0) {
      statements.push(...this.createSchemas([ctx.idMap], ctx));
      statements.push(this.createIdMapTable(ctx));
      statements.push(this.createIdKeysTable(ctx));
      statements.push(...this.lockIdMap(ctx));
      const first = statements.length;
      statements.push(...this.renderIdAssignments(assigning, step, ctx));
      for (let i = first; i < statements.length; i++) bookkeeping.push(i);
    }
    statements.push(...renderVocabularyChecks(this, body, ctx));
    const target = this.table(body.target, ctx);
    const query = this.renderQuery(body, ctx);
    let resultStatement: number;
    let staleRowsStatement: number | undefined;
    switch (body.mode) {
      case "merge": {
        if (body.key.length === 0) throw invalidPlan(`merge into ${body.target.schema}.${body.target.name} has no key.`);
        const merge = this.renderMerge(body, query, ctx);
        statements.push(...this.createSchemas([ctx.idMap], ctx), this.createMergeKeysTable(ctx));
        resultStatement = statements.push(merge) - 1;
        // Rows the step wrote earlier whose source is gone are deleted: a re-run equals a fresh run (merge-prune.ts).
        const prune = renderMergePrune(this, body, query, step, ctx);
        const first = statements.length;
        staleRowsStatement = first + prune.staleRows;
        prune.bookkeeping.forEach((i) => bookkeeping.push(first + i));
        statements.push(...prune.statements);
        break;
      }
      case "replace": {
        const t = this.ident(TARGET_ALIAS);
        statements.push(body.slice ? `DELETE FROM ${target} AS ${t}\nWHERE ${this.condition(body.slice)}` : `DELETE FROM ${target}`);
        resultStatement = statements.push(`INSERT INTO ${target} ${this.columnList(body.columns)}\n${query}`) - 1;
        break;
      }
      case "rebuild": {
        const rebuilt = tableDefOrColumns(ctx, body.target, body.columns);
        statements.push(...this.createSchemas([body.target], ctx));
        statements.push(...this.renderRebuildTable(rebuilt, ctx));
        resultStatement = statements.push(`INSERT INTO ${target} ${this.columnList(body.columns)}\n${query}`) - 1;
        statements.push(...this.renderIndexes(rebuilt, ctx));
        break;
      }
    }
    // A rebuilt table declares its primary key itself.
    if (body.mode !== "rebuild") statements.push(...this.keyChecks(def, ctx, "Make the step's joins and selects yield one row per key."));
    if (body.mode !== "merge") statements.push(...this.afterBulkWrite(body.target, ctx));
    return {
      statements,
      transactional: true,
      resultStatement,
      ...(staleRowsStatement !== undefined ? { staleRowsStatement } : {}),
      ...(bookkeeping.length > 0 ? { bookkeepingStatements: bookkeeping } : {}),
    };
  }

  /**
   * Statements run after a write to `def` (in the step's transaction) that fail when its primary key no longer
   * holds; `fix` ends the error message. CDM tables get their keys only in the ddl "constraints" part, at the end
   * (OHDSI's order), so every engine checks every write itself, with one message ({@link renderKeyCheck}).
   */
  protected keyChecks(def: TableDef | undefined, ctx: RenderContext, fix: string): string[] {
    return renderKeyCheck(this, def, ctx, fix);
  }

  /** A load's key check: the CDM table's primary key, or the key the load declares (`key:`). */
  protected loadKeyChecks(def: TableDef | undefined, body: LoadBody, ctx: RenderContext): string[] {
    if (def && body.key && !def.cdm) return renderKeyCheck(this, { ...def, primaryKey: body.key }, ctx, LOAD_KEY_FIX, true);
    return this.keyChecks(def, ctx, LOAD_KEY_FIX);
  }

  /**
   * Statements after a table's contents were replaced in bulk (a load, a rebuild, a replace): e.g. refreshing the
   * planner's statistics, without which a freshly loaded table is planned as if empty (nested loops over the whole
   * vocabulary). Default: nothing.
   */
  protected afterBulkWrite(_target: TableRef, _ctx: RenderContext): string[] {
    return [];
  }

  /**
   * MERGE keyed on body.key: inserts new keys, updates rows whose values changed (and only those, so re-running
   * rewrites nothing), leaves other target rows alone.
   */
  protected renderMerge(body: TransformBody, query: string, ctx: RenderContext): string {
    if (!this.capabilities.merge) throw new UnsupportedFeatureError(this.dialect, "MERGE (transform mode merge)");
    const t = this.ident(TARGET_ALIAS);
    const s = this.ident(SOURCE_ALIAS);
    const keys = new Set(body.key);
    for (const k of keys) {
      if (!body.columns.some((c) => c.name === k)) throw invalidPlan(`merge key "${k}" is not a column written by the step.`);
    }
    const on = body.key.map((k) => `${t}.${this.ident(k)} = ${s}.${this.ident(k)}`).join(" AND ");
    const others = body.columns.filter((c) => !keys.has(c.name));
    const def = findTableDef(ctx, body.target) ?? { cdm: false };
    const lines = [`MERGE INTO ${this.table(body.target, ctx)} AS ${t}`, `USING (\n${indent(query)}\n) AS ${s}`, `ON ${on}`];
    if (others.length > 0) {
      // Compare as stored: a float value cast to the column's type first, or a DECIMAL column would always differ.
      const changed = others.map((c) => {
        const src = `${s}.${this.ident(c.name)}`;
        const cmp = c.type.kind === "float" ? `CAST(${src} AS ${this.tableColumnTypeName(def, c.type)})` : src;
        return `${t}.${this.ident(c.name)} IS DISTINCT FROM ${cmp}`;
      });
      lines.push(`WHEN MATCHED AND (\n${indent(changed.map((c, i) => (i === 0 ? c : `OR ${c}`)).join("\n"))}\n) THEN`);
      lines.push(indent(`UPDATE SET\n${indent(others.map((c) => `${this.ident(c.name)} = ${s}.${this.ident(c.name)}`).join(",\n"))}`));
    }
    lines.push("WHEN NOT MATCHED THEN");
    lines.push(indent(`INSERT ${this.columnList(body.columns)}`));
    lines.push(indent(`VALUES (${list(body.columns.map((c) => `${s}.${this.ident(c.name)}`))})`));
    return lines.join("\n");
  }
}
