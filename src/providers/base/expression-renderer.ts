import type { CastType, Expr, OrderItem, ValueType } from "../../core/expr/ast.js";
import type { TableRef } from "../../core/model/plan.js";
import type { ProviderCapabilities, RenderContext } from "../provider-api.js";
import { invalidIdentifier, invalidLiteral, unknownSchema } from "../provider-errors.js";
import { textToDate, type DateCastDialect } from "./date-casts.js";
import { INTEGER_PATTERN } from "./load-values.js";
import { renderVarcharLength } from "./varchar-length.js";
import { NON_BARE_WORDS } from "./sql-keywords.js";
import { list } from "./sql-text.js";
import { comparesTextOrder, inTextOrder } from "./text-order.js";

/** Operator precedence levels, lowest first (PostgreSQL's grammar, which DuckDB shares). */
export const Prec = {
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
export type Prec = number;

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

/**
 * The generator's expression room: identifiers, literals, types, casts, operators and conditions: how one value of the plan's expression AST is
 * written in the dialect's SQL.
 *
 * One of the rooms of {@link BaseSqlGenerator} (ARCHITECTURE.md, "The generator's rooms"): each room extends the
 * one below it and declares abstract what it calls in a room above.
 */
export abstract class ExpressionRenderer {
  abstract readonly dialect: string;

  abstract readonly capabilities: ProviderCapabilities;

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

  /**
   * `CAST(x AS type)`; dialects override to align semantics (e.g. varchar(n) truncation). `from` is the plan type of
   * `arg` where the caller knows it: a cast in a transform passes its argument's type, a load passes "string" for a
   * file's text (already checked by the load's value probe: see LoadRenderer.loadValue), so one override converts
   * both the way the engine must.
   */
  protected renderCast(arg: string, to: CastType, _from?: ValueType): string {
    return `CAST(${arg} AS ${this.castTypeName(to)})`;
  }

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
          return `(CASE WHEN ${x} IS NULL OR ${this.regexFullMatch(x, INTEGER_PATTERN)} THEN ${this.renderCast(x, e.to, "string")} ELSE ${this.failValue(msg, type)} END)`;
        }
        if (e.arg.type === "string" && (e.to.kind === "date" || e.to.kind === "datetime") && e.arg.k !== "lit") {
          // Text to a date by the load's ISO grammar on every engine (date-casts.ts): each engine's CAST has extras.
          return textToDate(this.dateCastDialect(), this.expr(e.arg), e.to.kind);
        }
        // A float cast to text is rendered as text first (floatText): the cast then converts a string.
        if (e.arg.type === "float" && e.to.kind === "varchar") return this.renderCast(this.floatText(this.expr(e.arg)), e.to, "string");
        return this.renderCast(this.expr(e.arg), e.to, e.arg.type);
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

  /** The hooks casts of text to dates use (date-casts.ts). */
  protected dateCastDialect(): DateCastDialect {
    return {
      stringLiteral: (s) => this.stringLiteral(s),
      fullMatch: (x, p) => this.regexFullMatch(x, p),
      failValue: (m, t) => this.failValue(m, t),
      isoValue: (t, k) => this.isoValue(t, k),
      trimTrailing: (x, c) => this.trimTrailing(x, c),
    };
  }

  /**
   * A checked ISO text as a date (`YYYY-MM-DD`) or timestamp (`YYYY-MM-DD HH:MM[:SS[.f]]`, a `T` allowed): every
   * engine's CAST reads these the same way. Engines that keep dates as text, or cast otherwise, override it.
   */
  protected isoValue(text: string, kind: "date" | "datetime"): string {
    return `CAST(${text} AS ${kind === "date" ? "DATE" : "TIMESTAMP"})`;
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

  /**
   * Text of `x` (any type) by a plain cast: `CAST(x AS VARCHAR)` by default. Engines whose VARCHAR needs a length
   * (Spark: STRING) override it, or {@link castTypeName} for varchar.
   */
  textCast(x: string): string {
    return `CAST(${x} AS ${this.castTypeName({ kind: "varchar" })})`;
  }

  /**
   * `x` without the trailing characters of `chars` (SQL text of a string literal): `rtrim(x, chars)` on PostgreSQL,
   * DuckDB and SQLite; Spark's two-argument rtrim takes its arguments the other way round.
   */
  trimTrailing(x: string, chars: string): string {
    return `rtrim(${x}, ${chars})`;
  }

  /** Every match of the regular expression `pattern` in `x` replaced (SQL text of string literals for both). */
  replaceAll(x: string, pattern: string, replacement: string): string {
    return `regexp_replace(${x}, ${pattern}, ${replacement}, 'g')`;
  }

  /** The aggregate joining `x` with `separator` (SQL text), in the order of `orderBy` (an ORDER BY list). */
  stringAgg(x: string, separator: string, orderBy: string): string {
    return `string_agg(${x}, ${separator} ORDER BY ${orderBy})`;
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
  protected readonly byteOrder = (x: string): string => this.textOrder(x);

  /**
   * A value written to a varchar(`length`) column (a transform's output, a load's value). Default: checked as
   * PostgreSQL checks it on insert, failing with its message ({@link renderVarcharLength}); a dialect whose engine
   * enforces the length itself returns `value` unchanged.
   */
  protected varcharLength(value: string, length: number): string {
    const varchar = this.castTypeName({ kind: "varchar" });
    return renderVarcharLength(value, length, (msg) => `CAST(${this.failValue(msg, "INTEGER")} AS ${varchar})`, (s) => this.stringLiteral(s), (x, c) => this.trimTrailing(x, c));
  }

  /** Rendered by {@link FunctionRenderer}. */
  protected abstract renderFunction(e: Extract<Expr, { k: "fn" }>): string;

  /** Rendered by {@link FunctionRenderer}. */
  protected abstract renderWindow(e: Extract<Expr, { k: "window" }>): string;
}
