/**
 * Spark SQL's spelling of values and expressions (the expression and function rooms of the generator, for Spark):
 * identifiers, string and number literals, types, casts, regular expressions, the checks that fail a statement
 * (raise_error), and the catalogue functions whose Spark builtins differ from PostgreSQL's semantics. The generator
 * itself (spark-generator.ts) extends this class with DDL, loads and the transform modes.
 */
import type { CastType, Expr, ValueType } from "../../core/expr/ast.js";
import type { TableRef } from "../../core/model/plan.js";
import type { RenderContext } from "../provider-api.js";
import { BaseSqlGenerator } from "../base/base-generator.js";
import { indent } from "../base/sql-text.js";
import { tokenizeStrftime } from "../base/strftime.js";
import { invalidIdentifier, invalidLiteral } from "../provider-errors.js";
import { javaRegex, javaReplacement } from "./spark-regex.js";

/** strftime directive -> Spark datetime pattern (java.time DateTimeFormatter letters as Spark reads them). */
const SPARK_PATTERNS: Readonly<Record<string, string>> = {
  Y: "yyyy",
  y: "yy",
  m: "MM",
  d: "dd",
  H: "HH",
  I: "hh",
  M: "mm",
  S: "ss",
  f: "SSSSSS",
  p: "a",
  b: "MMM",
  B: "MMMM",
};

/**
 * A strftime format as a Spark datetime pattern: literal text in single quotes (doubled inside), where Spark would
 * otherwise read letters as pattern letters. Undefined with the directive Spark has no pattern for.
 */
export function toSparkPattern(format: string): { pattern: string } | { unsupported: string } {
  let pattern = "";
  for (const t of tokenizeStrftime(format)) {
    if (t.kind === "directive") {
      const p = SPARK_PATTERNS[t.directive];
      if (p === undefined) return { unsupported: `%${t.directive}` };
      pattern += p;
    } else {
      pattern += /^[^A-Za-z']*$/.test(t.text) ? t.text : `'${t.text.replace(/'/g, "''")}'`;
    }
  }
  return { pattern };
}

/** The Spark dialect's expressions; {@link SparkGenerator} adds statements. */
export abstract class SparkExpressions extends BaseSqlGenerator {
  /** Backticks, inner backticks doubled; bare only for plain lower-case names (Spark folds nothing: it compares case-insensitively). */
  override ident(name: string): string {
    this.validateIdentifier(name);
    if (/^[a-z_][a-z0-9_]*$/.test(name) && !SPARK_RESERVED.has(name)) return name;
    return `\`${name.replace(/`/g, "``")}\``;
  }

  /** `schema.table`: names the Hive metastore takes (letters, digits and _), else INVALID_IDENTIFIER. */
  override table(ref: TableRef, ctx: RenderContext): string {
    this.validateObjectName(ref.name, "table");
    return super.table(ref, ctx);
  }

  /** Every physical schema a statement names (tables, sql steps' `${schemas.x}`) checked as the metastore takes it. */
  override physicalSchema(logical: string, ctx: RenderContext): string {
    const schema = super.physicalSchema(logical, ctx);
    this.validateObjectName(schema, "schema");
    return schema;
  }

  /**
   * A schema or table name (or, `column`, a Delta column name) Spark can store: the Hive metastore refuses any
   * character but letters, digits and _ in schema and table names; Delta without column mapping refuses spaces and
   * `,;{}()=` and control characters in column names. Refused here, when rendering, with the rule.
   */
  protected validateObjectName(name: string, what: "schema" | "table" | "column"): void {
    this.validateIdentifier(name);
    if (what === "column" ? /[ ,;{}()\n\t=]/.test(name) : !/^[A-Za-z0-9_]+$/.test(name)) {
      const rule = what === "column" ? "Delta column names cannot hold spaces or any of , ; { } ( ) = and tabs or line breaks" : `Spark (the Hive metastore) takes only letters, digits and _ in ${what} names`;
      throw invalidIdentifier(this.dialect, name, rule);
    }
  }

  /**
   * Spark's string literals escape with a backslash: `''` inside quotes is NOT a quote but two adjacent literals,
   * concatenated ('a''b' is "ab"). Backslashes are doubled and quotes escaped, so any text stays one literal.
   */
  override stringLiteral(s: string): string {
    if (s.includes("\0")) throw invalidLiteral(this.dialect, JSON.stringify(s), "it contains a NUL character");
    return `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
  }

  protected override literal(e: Extract<Expr, { k: "lit" }>): string {
    // CDM datetimes are wall-clock values: TIMESTAMP_NTZ, never shifted by the session's time zone.
    if (e.type === "datetime" && typeof e.value === "string") return `TIMESTAMP_NTZ ${this.stringLiteral(e.value)}`;
    return super.literal(e);
  }

  override castTypeName(t: CastType): string {
    switch (t.kind) {
      case "integer":
        return "INT";
      case "float":
        return "DOUBLE";
      case "datetime":
        return "TIMESTAMP_NTZ";
      case "varchar":
        // Spark's VARCHAR(n) fails on a longer value where PostgreSQL's cast truncates: STRING, cut in renderCast.
        return "STRING";
      default:
        return super.castTypeName(t);
    }
  }

  override columnTypeName(t: CastType): string {
    return this.castTypeName(t);
  }

  protected override renderCast(arg: string, to: CastType, from?: ValueType): string {
    if (to.kind === "varchar" && to.length !== undefined) return `left(CAST(${arg} AS STRING), ${to.length})`;
    return super.renderCast(arg, to, from);
  }

  /** Spark compares strings by UTF-8 bytes (collation UTF8_BINARY, the default): already PostgreSQL's COLLATE "C". */
  protected override binaryCollate(x: string): string {
    return x;
  }

  /**
   * Java regular expressions: `\z` ends the match at the end of the text (`$` would also match before a final line
   * break, so "12\n" would pass as an integer).
   */
  protected override regexFullMatch(x: string, pattern: string): string {
    return `(${x} RLIKE ${this.stringLiteral(`^(?:${pattern})\\z`)})`;
  }

  protected override regexGroup(x: string, regex: string, n: number): string {
    return `regexp_extract(${x}, ${this.stringLiteral(`^(?:${regex})\\z`)}, ${n})`;
  }

  /** raise_error fails the statement with the message as its text (error class USER_RAISED_EXCEPTION). */
  protected override failValue(message: string, type: string): string {
    return `CAST(raise_error(${message}) AS ${type})`;
  }

  override failIfAny(select: string): string {
    return `SELECT raise_error(a.msg) AS omopetl_check\nFROM (\n${indent(select)}\n) AS a`;
  }

  /**
   * Spark 4 reads 1e400 as Infinity and 1e-400 as 0 (PostgreSQL refuses both); its NUMERIC is DECIMAL(10,0), so no
   * exact route: the double is checked to be finite and, when 0, to come from a text of zero digits.
   */
  protected override floatInRange(v: string): string {
    const x = `CAST(${v} AS DOUBLE)`;
    return `(${x} IS NOT NULL AND abs(${x}) <= 1.7976931348623157E308D AND (${x} <> 0 OR NOT regexp_replace(${v}, '[eE].*$', '') RLIKE '[1-9]'))`;
  }

  /** Wall-clock datetimes: TIMESTAMP_NTZ, never shifted by the session's time zone. */
  protected override isoValue(text: string, kind: "date" | "datetime"): string {
    return `CAST(${text} AS ${kind === "date" ? "DATE" : "TIMESTAMP_NTZ"})`;
  }

  /** Spark's rtrim(a, b) trims the characters of a from b: the standard form says which is which. */
  override trimTrailing(x: string, chars: string): string {
    return `trim(TRAILING ${chars} FROM ${x})`;
  }

  /** Spark's regexp_replace replaces every match (its fourth argument is a position). */
  override replaceAll(x: string, pattern: string, replacement: string): string {
    return `regexp_replace(${x}, ${pattern}, ${replacement})`;
  }

  override stringAgg(x: string, separator: string, orderBy: string): string {
    return `string_agg(${x}, ${separator}) WITHIN GROUP (ORDER BY ${orderBy})`;
  }


  /**
   * A double as PostgreSQL prints it (the shortest digits, an exponent from 1e15 and below 1e-4: `1e+15`, `1e-05`, no
   * trailing `.0`), from Java's text of it (`1.0E15`, `100000.0`, `1.0E-5`): its digits and decimal exponent are
   * taken apart and laid out again. Values are bound by `transform(array(v), x -> ...)[0]`, Spark's only let. Java 17
   * prints a few doubles with more digits than the shortest (5e-324 as 4.9E-324); those differ from PostgreSQL.
   */
  protected override floatText(x: string): string {
    const lit = (t: string): string => this.stringLiteral(t);
    const parts = [
      `'neg', left(s, 1) = '-'`,
      `'d', concat(regexp_extract(s, ${lit("^-?([0-9]*)")}, 1), regexp_extract(s, ${lit("^-?[0-9]*[.]([0-9]*)")}, 1))`,
      `'ilen', length(regexp_extract(s, ${lit("^-?([0-9]*)")}, 1))`,
      `'e', CAST(coalesce(nullif(regexp_extract(s, ${lit("E(-?[0-9]+)$")}, 1), ''), '0') AS INT)`,
    ];
    // z: the digits without leading zeros (k of them), D: also without trailing zeros, e10: the first digit's exponent.
    const digits = [
      `'neg', p.neg`,
      `'D', regexp_replace(regexp_replace(p.d, '^0+', ''), '0+$', '')`,
      `'e10', p.e + p.ilen - 1 - (length(p.d) - length(regexp_replace(p.d, '^0+', '')))`,
    ];
    const text = [
      "CASE WHEN q.D = '' THEN CASE WHEN q.neg THEN '-0' ELSE '0' END",
      "ELSE concat(CASE WHEN q.neg THEN '-' ELSE '' END, CASE",
      "  WHEN q.e10 < -4 OR q.e10 >= 15 THEN concat(left(q.D, 1), CASE WHEN length(q.D) > 1 THEN concat('.', substr(q.D, 2)) ELSE '' END, 'e', CASE WHEN q.e10 < 0 THEN '-' ELSE '+' END, CASE WHEN abs(q.e10) < 10 THEN '0' ELSE '' END, CAST(abs(q.e10) AS STRING))",
      "  WHEN q.e10 >= 0 THEN CASE WHEN length(q.D) <= q.e10 + 1 THEN concat(q.D, repeat('0', q.e10 + 1 - length(q.D))) ELSE concat(left(q.D, q.e10 + 1), '.', substr(q.D, q.e10 + 2)) END",
      "  ELSE concat('0.', repeat('0', -q.e10 - 1), q.D) END) END",
    ].join("\n");
    const shaped = `transform(array(named_struct(${digits.join(", ")})), q -> ${text})[0]`;
    const parsed = `transform(array(named_struct(${parts.join(", ")})), p -> ${shaped})[0]`;
    return `transform(array(CAST(${x} AS STRING)), s -> CASE WHEN s IS NULL OR s IN ('NaN', 'Infinity', '-Infinity') THEN s ELSE ${parsed} END)[0]`;
  }

  /** Float literals as doubles (`1.0D`): Spark reads `1.0` as a DECIMAL, so 1.0 / 3 would be 0.333333. */
  override numberLiteral(n: number, type: ValueType): string {
    const s = super.numberLiteral(n, type);
    return type === "float" ? `${s}D` : s;
  }

  protected override renderFunction(e: Extract<Expr, { k: "fn" }>): string {
    const args = (): string[] => e.args.map((a) => this.expr(a));
    switch (e.name) {
      case "concat":
      case "concat_ws": {
        // PostgreSQL's concat skips NULLs, Spark's returns NULL: concat_ws skips them on Spark too.
        const parts = e.args.map((a) => (a.type === "float" ? this.floatText(this.expr(a)) : a.type === "string" ? this.expr(a) : this.textCast(this.expr(a))));
        return e.name === "concat" ? `concat_ws('', ${parts.join(", ")})` : `concat_ws(${parts.join(", ")})`;
      }
      case "strpos":
        return this.call("instr", args());
      case "substr": {
        // PostgreSQL's substr counts a start below 1 against the length (substr('hello', 0, 2) is 'h'); Spark reads 0
        // as 1 and a negative start from the end.
        const [str, start, len] = args() as [string, string, string | undefined];
        if (len === undefined) return `substr(${str}, greatest(${start}, 1))`;
        return `CASE WHEN ${start} >= 1 THEN substr(${str}, ${start}, ${len}) ELSE substr(${str}, 1, greatest(${start} + ${len} - 1, 0)) END`;
      }
      case "sqrt": {
        // Spark returns NaN for a negative number; PostgreSQL fails.
        const x = this.expr(e.args[0]!);
        return `CASE WHEN ${x} < 0 THEN ${this.failValue(this.stringLiteral("cannot take square root of a negative number"), "DOUBLE")} ELSE sqrt(${x}) END`;
      }
      case "trim":
      case "ltrim":
      case "rtrim": {
        if (e.args.length !== 2) return super.renderFunction(e);
        // Spark's two-argument trims take the characters first; the standard form says which is which.
        const [str, chars] = args() as [string, string];
        return `trim(${e.name === "trim" ? "BOTH" : e.name === "ltrim" ? "LEADING" : "TRAILING"} ${chars} FROM ${str})`;
      }
      default:
        return super.renderFunction(e);
    }
  }

  /**
   * Spark has no MICROSECONDS field: the seconds with their fraction, in microseconds (PostgreSQL's field). Every
   * field is a BIGINT: Spark's EXTRACT gives an INT, and date_diff's clock (minute * 60000000) overflowed it in ANSI
   * mode (ARITHMETIC_OVERFLOW), where DuckDB's and PostgreSQL's fields are already 64-bit or numeric.
   */
  protected override extractInt(part: string, x: string): string {
    if (part === "microseconds") return `CAST(EXTRACT(SECOND FROM ${x}) * 1000000 AS BIGINT)`;
    return `CAST(${super.extractInt(part, x)} AS BIGINT)`;
  }

  /** Integer division truncating toward zero: Spark's `/` always divides exactly. */
  protected override intDivide(a: string, b: string): string {
    return `${a} DIV ${b}`;
  }

  protected override renderDivision(e: Extract<Expr, { k: "bin" }>, left: string, right: string): string {
    if (e.type === "integer") return `CAST(${left} DIV ${right} AS INT)`;
    if (e.type === "bigint") return `${left} DIV ${right}`;
    return `${left} / ${right}`;
  }

  /** A column of the target alias `t` written bare: Delta's REPLACE WHERE names the table's columns unqualified. */
  protected bareTarget = false;

  override expr(e: Expr): string {
    if (this.bareTarget && e.k === "col" && e.table === "t") return this.ident(e.column);
    // A float cast to an integer rounds half away from zero, as PostgreSQL does (Spark truncates).
    if (e.k === "cast" && (e.to.kind === "integer" || e.to.kind === "bigint") && e.arg.type === "float") {
      return this.renderCast(`round(${this.expr(e.arg)})`, e.to);
    }
    return super.expr(e);
  }

  /**
   * The flavour's regexes in Java's spelling (spark-regex.ts). RLIKE finds the pattern anywhere in the text, as
   * PostgreSQL's `~` does; NULL stays NULL.
   */
  protected override regexSearch(x: string, pattern: string): string {
    return `(${x} RLIKE ${this.stringLiteral(javaRegex(pattern))})`;
  }

  protected override regexReplaceAll(x: string, pattern: string, replacement: string): string {
    return `regexp_replace(${x}, ${this.stringLiteral(javaRegex(pattern))}, ${this.stringLiteral(javaReplacement(replacement))})`;
  }

  /** Spark's regexp_extract gives '' without a match, where the catalogue promises NULL. */
  protected override regexExtract(x: string, pattern: string, group: number): string {
    const p = this.stringLiteral(javaRegex(pattern));
    return `(CASE WHEN ${x} RLIKE ${p} THEN regexp_extract(${x}, ${p}, ${group}) END)`;
  }
}

/** Spark's reserved words under ANSI mode (Spark 4's default) that omopetl's names could collide with. */
const SPARK_RESERVED: ReadonlySet<string> = new Set(
  `all and any as authorization both case cast check collate column constraint create cross current_date current_time current_timestamp current_user distinct else end escape except false fetch filter for foreign from full grant group having in inner intersect into is join lateral leading left natural not null offset on only or order outer overlaps primary references right select session_user some table then time to trailing true union unique unknown user using when where with`.split(
    " ",
  ),
);
