import type { CastType, Expr, FrameBound, OrderItem, ValueType, WindowFrame } from "../../core/expr/ast.js";
import { tryCastTarget } from "../../core/expr/functions.js";
import { isoTextOk } from "./date-casts.js";
import { booleanValue, valueCheck, type LoadValueDialect } from "./load-values.js";
import { invalidPlan, UnsupportedFeatureError } from "../provider-errors.js";
import { formatsReason, formatsValue, parsedFormats, type DateParseDialect } from "./load-dates.js";
import { inTextOrder, ordersArgument } from "./text-order.js";
import { Prec } from "./expression-renderer.js";
import { ExpressionRenderer } from "./expression-renderer.js";

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
  "translate",
]);

const AGGREGATES = new Set(["count", "sum", "min", "max", "avg"]);

const RANKING = new Set(["row_number", "rank", "dense_rank"]);

/**
 * The generator's function room: the catalogue's functions (core/expr/functions.ts), aggregates and window functions, each spelled so that it
 * computes the same value on every engine (docs/semantics.md).
 *
 * One of the rooms of {@link BaseSqlGenerator} (ARCHITECTURE.md, "The generator's rooms"): each room extends the
 * one below it and declares abstract what it calls in a room above.
 */
export abstract class FunctionRenderer extends ExpressionRenderer {
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

  /** The text of a string literal argument (patterns and replacements are literals: core/expr/functions.ts). */
  protected textArg(e: { name: string; args: Expr[] }, i: number): string {
    const a = e.args[i];
    if (a?.k === "lit" && typeof a.value === "string") return a.value;
    throw invalidPlan(`argument ${i + 1} of ${e.name}() must be a string literal.`);
  }

  protected call(name: string, args: readonly string[]): string {
    return `${name}(${args.join(", ")})`;
  }

  /** Renders a catalogue function (core/expr/functions.ts documents each one's semantics). */
  protected override renderFunction(e: Extract<Expr, { k: "fn" }>): string {
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
      case "try_cast":
        this.arity(e, 2);
        return this.renderTryCast(e);
      case "regexp_matches":
        this.arity(e, 2);
        return this.regexSearch(this.expr(e.args[0]!), this.textArg(e, 1));
      case "regexp_replace":
        this.arity(e, 3);
        return this.regexReplaceAll(this.expr(e.args[0]!), this.textArg(e, 1), this.textArg(e, 2));
      case "regexp_extract": {
        this.arity(e, 2, 3);
        const g = e.args[2];
        const group = g === undefined ? 0 : g.k === "lit" && typeof g.value === "number" && Number.isInteger(g.value) && g.value >= 0 ? g.value : undefined;
        if (group === undefined) throw invalidPlan("the group of regexp_extract() must be a non-negative integer literal.");
        return this.regexExtract(this.expr(e.args[0]!), this.textArg(e, 1), group);
      }
      case "parse_date":
      case "parse_datetime":
        this.arity(e, 2, Infinity);
        return this.renderParseFormats(this.expr(e.args[0]!), e.args.slice(1).map((_, i) => this.formatArg(e, i + 1)), e.name === "parse_date" ? "date" : "datetime", e.name);
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
    return this.parseFormatsOrFail(s, [format], kind, kind === "date" ? "to_date" : "to_timestamp");
  }

  /**
   * parse_date(s, f1, f2, ...) / parse_datetime: `s` read by the first format that reads it (load-dates.ts, the
   * grammar of load date formats tried in order); a value none reads fails the statement naming the formats.
   */
  protected renderParseFormats(s: string, formats: readonly string[], kind: "date" | "datetime", fn: string): string {
    return this.parseFormatsOrFail(s, formats, kind, fn);
  }

  private parseFormatsOrFail(s: string, formats: readonly string[], kind: "date" | "datetime", fn: string): string {
    const parsed = parsedFormats(formats.length === 1 ? formats[0]! : formats, kind);
    const msg = `${this.stringLiteral(`${fn}: "`)} || ${s} || ${this.stringLiteral(`" ${formatsReason(parsed, formats.length === 1 ? "format" : fn)}`)}`;
    return formatsValue(this.dateParseDialect(), s, parsed, kind, this.failValue(msg, kind === "date" ? "DATE" : "TIMESTAMP"));
  }

  /**
   * try_cast(s AS t): NULL where CAST(s AS t) would fail, else its value. Whether it converts is decided by the
   * grammar loads and casts share (load-values.ts, date-casts.ts), the same SQL on every engine; a text that passes
   * is converted by the dialect's own cast rendering (booleans by the load's words), which then cannot fail.
   */
  protected renderTryCast(e: Extract<Expr, { k: "fn" }>): string {
    const a = e.args[1];
    const to = a?.k === "lit" && typeof a.value === "string" ? tryCastTarget(a.value) : undefined;
    if (to === undefined) throw invalidPlan("the type of try_cast() must be a string literal naming a type (integer, varchar(10), ...).");
    const arg = e.args[0]!;
    const x = this.expr(arg);
    const d = this.valueDialect();
    const ok = this.tryCastOk(d, x, to);
    const value = to.kind === "boolean" ? booleanValue(d, x) : this.expr({ k: "cast", arg, to, type: e.type });
    return ok === undefined ? value : `(CASE WHEN ${ok} THEN ${value} END)`;
  }

  /** SQL true when text `x` converts to `to` (NULL included); undefined when every text does (unbounded varchar). */
  private tryCastOk(d: LoadValueDialect, x: string, to: CastType): string | undefined {
    if (to.kind === "date" || to.kind === "datetime") return isoTextOk(this.dateCastDialect(), x);
    return valueCheck(d, x, { name: "try_cast", type: to, required: false }, { type: "csv", header: true, delimiter: ",", quote: null, nullValues: [] })?.ok;
  }

  /** The hooks the grammar of text values uses (load-values.ts), for loads and try_cast. */
  protected valueDialect(): LoadValueDialect {
    return {
      stringLiteral: (s) => this.stringLiteral(s),
      fullMatch: (x, p) => this.regexFullMatch(x, p),
      binary: (x) => this.binaryCollate(x),
      floatInRange: (v) => this.floatInRange(v),
      trimTrailing: (x, c) => this.trimTrailing(x, c),
      textCast: (x) => this.textCast(x),
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

  /**
   * True when `pattern`, of the one regex flavour (core/expr/regex-flavour.ts: `.` takes a line break, `^`/`$` are
   * the ends of the text), matches somewhere in `x`: PostgreSQL's `~`.
   */
  protected regexSearch(x: string, pattern: string): string {
    return `(${x} ~ ${this.stringLiteral(pattern)})`;
  }

  /** `x` with every match of `pattern` replaced by `replacement` (`\1`..`\9` groups, `\\` a backslash). */
  protected regexReplaceAll(x: string, pattern: string, replacement: string): string {
    return `regexp_replace(${x}, ${this.stringLiteral(pattern)}, ${this.stringLiteral(replacement)}, 'g')`;
  }

  /**
   * Group `group` (0: the whole match) of the first match of `pattern` in `x`, NULL without a match: PostgreSQL's
   * regexp_match with the pattern wrapped in one more group, so group 0 is its first element.
   */
  protected regexExtract(x: string, pattern: string, group: number): string {
    return `(regexp_match(${x}, ${this.stringLiteral(`(${pattern})`)}))[${group + 1}]`;
  }

  protected override renderWindow(e: Extract<Expr, { k: "window" }>): string {
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

  /** The hooks dates read with a format use (src/providers/base/load-dates.ts). */
  protected dateParseDialect(): DateParseDialect {
    return {
      stringLiteral: (s) => this.stringLiteral(s),
      fullMatch: (x, p) => this.regexFullMatch(x, p),
      regexGroup: (x, r, n) => this.regexGroup(x, r, n),
      isoValue: (t, k) => this.isoValue(t, k),
      textCast: (x) => this.textCast(x),
    };
  }

  /** The text of capturing group `n` of `x`, a value matching the whole of `regex` (PostgreSQL and DuckDB: regexp_replace). */
  protected regexGroup(x: string, regex: string, n: number): string {
    return `regexp_replace(${x}, ${this.stringLiteral(`^${regex}$`)}, ${this.stringLiteral(`\\${n}`)})`;
  }
}
