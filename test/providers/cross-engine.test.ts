/**
 * The same plan must mean the same thing on every engine: each catalogue function is evaluated on DuckDB and on
 * Postgres against the documented semantics (core/expr/functions.ts), and surrogate ids come out identical.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Expr, OrderItem } from "../../src/core/expr/ast.js";
import type { BaseSqlGenerator } from "../../src/providers/base/base-generator.js";
import * as b from "./helpers/plan-builders.js";
import type { Engine } from "./helpers/engines.js";
import { openEngine, runStep } from "./helpers/engines.js";

const { lit, fn, bin, cast, col } = b;
const d = (s: string): Expr => lit(s, "date");
const ts = (s: string): Expr => lit(s, "datetime");
const f = (n: number): Expr => lit(n, "float");
const nul = (type: Expr["type"] = "null"): Expr => ({ k: "lit", value: null, type });

/** [label, expression, expected value] — expected as the catalogue defines it. */
const SCALARS: [string, Expr, string | number | boolean | null][] = [
  ["lower", fn("lower", [lit("AbC ÄÖ")], "string"), "abc äö"],
  ["upper", fn("upper", [lit("abc")], "string"), "ABC"],
  ["trim", fn("trim", [lit("  a b  ")], "string"), "a b"],
  ["ltrim", fn("ltrim", [lit("  a  ")], "string"), "a  "],
  ["rtrim", fn("rtrim", [lit("  a  ")], "string"), "  a"],
  ["length counts characters", fn("length", [lit("pä4 ✓")], "integer"), 5],
  ["substr with length", fn("substr", [lit("hello"), lit(2), lit(3)], "string"), "ell"],
  ["substr to the end", fn("substr", [lit("hello"), lit(3)], "string"), "llo"],
  ["replace", fn("replace", [lit("a.b.c"), lit("."), lit("-")], "string"), "a-b-c"],
  ["concat skips NULL", fn("concat", [lit("a"), nul("string"), lit("b")], "string"), "ab"],
  ["concat_ws skips NULL", fn("concat_ws", [lit("-"), lit("a"), nul("string"), lit("b")], "string"), "a-b"],
  ["left", fn("left", [lit("hello"), lit(2)], "string"), "he"],
  ["right", fn("right", [lit("hello"), lit(2)], "string"), "lo"],
  ["lpad", fn("lpad", [lit("7"), lit(3), lit("0")], "string"), "007"],
  ["lpad truncates", fn("lpad", [lit("hello"), lit(3)], "string"), "hel"],
  ["rpad default fill", fn("rpad", [lit("a"), lit(3)], "string"), "a  "],
  ["strpos", fn("strpos", [lit("hello"), lit("l")], "integer"), 3],
  ["strpos absent", fn("strpos", [lit("hello"), lit("z")], "integer"), 0],
  ["split_part", fn("split_part", [lit("a,b,c"), lit(","), lit(2)], "string"), "b"],
  ["split_part past the end", fn("split_part", [lit("a,b"), lit(","), lit(5)], "string"), ""],
  ["md5", fn("md5", [lit("abc")], "string"), "900150983cd24fb0d6963f7d28e17f72"],
  ["abs", fn("abs", [lit(-3)], "integer"), 3],
  ["round half away from zero", fn("round", [f(2.5)], "float"), 3],
  ["round negative half", fn("round", [f(-2.5)], "float"), -3],
  ["round to decimals", fn("round", [f(2.345), lit(2)], "float"), 2.35],
  ["floor", fn("floor", [f(-2.5)], "float"), -3],
  ["ceil", fn("ceil", [f(2.1)], "float"), 3],
  ["greatest ignores NULL", fn("greatest", [lit(1), nul("integer"), lit(3)], "integer"), 3],
  ["least ignores NULL", fn("least", [lit(2), nul("integer"), lit(1)], "integer"), 1],
  ["mod keeps the sign of a", fn("mod", [lit(-7), lit(3)], "integer"), -1],
  ["power", fn("power", [lit(2), lit(10)], "float"), 1024],
  ["sqrt", fn("sqrt", [lit(16)], "float"), 4],
  ["coalesce", fn("coalesce", [nul("string"), lit("x")], "string"), "x"],
  ["nullif", fn("nullif", [lit(1), lit(1)], "integer"), null],
  ["integer division truncates", bin("/", lit(-7), lit(2), "integer"), -3],
  ["float division", bin("/", lit(7), lit(2), "float"), 3.5],
  ["modulo", bin("%", lit(7), lit(3), "integer"), 1],
  ["concat operator", bin("||", lit("a"), lit("b")), "ab"],
  ["date_add month clamps", fn("date_add", [d("2020-01-31"), lit(1), lit("month")], "date"), "2020-02-29"],
  ["date_add negative year", fn("date_add", [d("2020-02-29"), lit(-1), lit("year")], "date"), "2019-02-28"],
  ["date_add days", fn("date_add", [d("2020-01-31"), lit(10), lit("day")], "date"), "2020-02-10"],
  ["date_add to a datetime", fn("date_add", [ts("2020-01-31 10:00:00"), lit(1), lit("month")], "datetime"), "2020-02-29 10:00:00"],
  ["date_add days to a datetime", fn("date_add", [ts("2020-01-31 10:00:00"), lit(-31), lit("day")], "datetime"), "2019-12-31 10:00:00"],
  ["date_diff days", fn("date_diff", [lit("day"), d("2020-01-01"), d("2020-03-01")], "integer"), 60],
  ["date_diff days ignores time", fn("date_diff", [lit("day"), ts("2020-01-01 23:00:00"), ts("2020-01-02 01:00:00")], "integer"), 1],
  ["date_diff days negative", fn("date_diff", [lit("day"), d("2020-03-01"), d("2020-01-01")], "integer"), -60],
  ["date_diff month not complete", fn("date_diff", [lit("month"), d("2020-01-31"), d("2020-02-29")], "integer"), 0],
  ["date_diff month complete", fn("date_diff", [lit("month"), d("2020-01-31"), d("2020-03-01")], "integer"), 1],
  ["date_diff month backwards", fn("date_diff", [lit("month"), d("2020-03-15"), d("2020-01-20")], "integer"), -1],
  ["date_diff month same month", fn("date_diff", [lit("month"), d("2020-01-15"), d("2020-01-31")], "integer"), 0],
  ["date_diff month by time of day", fn("date_diff", [lit("month"), ts("2020-01-15 10:00:00"), ts("2020-02-15 09:59:59")], "integer"), 0],
  ["date_diff month at the same instant", fn("date_diff", [lit("month"), ts("2020-01-15 10:00:00"), ts("2020-02-15 10:00:00")], "integer"), 1],
  ["date_diff month date and datetime", fn("date_diff", [lit("month"), d("2020-01-15"), ts("2020-02-15 00:00:00")], "integer"), 1],
  ["date_diff year before the birthday", fn("date_diff", [lit("year"), d("2000-02-29"), d("2001-02-28")], "integer"), 0],
  ["date_diff year leap to leap", fn("date_diff", [lit("year"), d("2000-02-29"), d("2004-02-29")], "integer"), 4],
  ["date_diff year backwards", fn("date_diff", [lit("year"), d("2010-06-01"), d("2000-06-02")], "integer"), -9],
  ["date_part year", fn("date_part", [lit("year"), d("2020-05-06")], "integer"), 2020],
  ["date_part second truncates", fn("date_part", [lit("second"), ts("2020-01-01 10:00:05.7")], "integer"), 5],
  ["date_part hour of a date", fn("date_part", [lit("hour"), d("2020-01-01")], "integer"), 0],
  ["date_trunc month keeps a date", fn("date_trunc", [lit("month"), d("2020-05-06")], "date"), "2020-05-01"],
  ["date_trunc hour", fn("date_trunc", [lit("hour"), ts("2020-05-06 10:30:00")], "datetime"), "2020-05-06 10:00:00"],
  ["make_date", fn("make_date", [lit(2020), lit(2), lit(29)], "date"), "2020-02-29"],
  ["to_date yyyymmdd", fn("to_date", [lit("20200131"), lit("%Y%m%d")], "date"), "2020-01-31"],
  ["to_date with separators", fn("to_date", [lit("31/01/2020"), lit("%d/%m/%Y")], "date"), "2020-01-31"],
  ["to_timestamp in a DST gap", fn("to_timestamp", [lit("20200308 023000"), lit("%Y%m%d %H%M%S")], "datetime"), "2020-03-08 02:30:00"],
  ["like escapes with backslash", { k: "like", arg: lit("a_c"), pattern: lit("a\\_c"), negated: false, type: "boolean" }, true],
  ["like escaped underscore is literal", { k: "like", arg: lit("abc"), pattern: lit("a\\_c"), negated: false, type: "boolean" }, false],
  ["not like", { k: "like", arg: lit("abc"), pattern: lit("x%"), negated: true, type: "boolean" }, true],
  ["cast to varchar(n) truncates", cast(lit("abcdef"), b.varchar(2)), "ab"],
  ["cast date to text", cast(d("2020-01-02"), b.varchar()), "2020-01-02"],
  ["cast text to integer", cast(lit("42"), b.INT), 42],
  ["in", { k: "in", arg: lit(2), list: [lit(1), lit(2)], negated: false, type: "boolean" }, true],
  ["not between", { k: "between", arg: lit(5), low: lit(1), high: lit(3), negated: true, type: "boolean" }, true],
  ["is not null", b.isNull(lit("x"), true), true],
  ["not", { k: "not", arg: bin("=", lit(1), lit(2)), type: "boolean" }, true],
  ["negation of a negative", { k: "neg", arg: lit(-5), type: "integer" }, 5],
  ["subtracting a negative", bin("-", lit(1), lit(-5), "integer"), 6],
  ["precedence", bin("*", bin("+", lit(1), lit(2), "integer"), lit(3), "integer"), 9],
  ["right-nested subtraction", bin("-", lit(10), bin("-", lit(5), lit(2), "integer"), "integer"), 7],
  ["case with operand", b.caseWhen([{ when: lit("M"), then: lit(1) }], lit(0), "integer", lit("M")), 1],
  ["quotes in strings", bin("||", lit("it's"), lit(' "q" \\')), `it's "q" \\`],
  ["unicode", lit("ünï©ødé 𝄞"), "ünï©ødé 𝄞"],
];

const V = "v";
const x = col(V, "x", "integer");
const g = col(V, "g", "string");
const y = col(V, "y", "integer");
const asc = (e: Expr, nulls?: "first" | "last"): OrderItem => (nulls ? { expr: e, desc: false, nulls } : { expr: e, desc: false });
const desc = (e: Expr): OrderItem => ({ expr: e, desc: true });
/** Rows (x, g, y): (1,a,10) (2,a,NULL) (3,b,10) (4,b,20) (5,b,20). */
const ROWS = "(VALUES (1, 'a', 10), (2, 'a', NULL), (3, 'b', 10), (4, 'b', 20), (5, 'b', 20)) AS v(x, g, y)";

/** [label, expression over the rows, expected values in x order] */
const WINDOWS: [string, Expr, (number | null)[]][] = [
  ["row_number", b.window("row_number", [], [g], [desc(x)], "bigint"), [2, 1, 3, 2, 1]],
  ["rank with ties", b.window("rank", [], [], [asc(y)], "bigint"), [1, 5, 1, 3, 3]],
  ["dense_rank with ties", b.window("dense_rank", [], [], [asc(y)], "bigint"), [1, 3, 1, 2, 2]],
  ["NULLs last ascending by default", b.window("row_number", [], [], [asc(y), asc(x)], "bigint"), [1, 5, 2, 3, 4]],
  ["NULLs first when asked", b.window("row_number", [], [], [asc(y, "first"), asc(x)], "bigint"), [2, 1, 3, 4, 5]],
  ["NULLs first descending by default", b.window("row_number", [], [], [desc(y), asc(x)], "bigint"), [4, 1, 5, 2, 3]],
  ["lag", b.window("lag", [x], [], [asc(x)], "integer"), [null, 1, 2, 3, 4]],
  ["lead by 2", b.window("lead", [x, lit(2)], [], [asc(x)], "integer"), [3, 4, 5, null, null]],
  ["first_value", b.window("first_value", [x], [g], [desc(x)], "integer"), [2, 2, 5, 5, 5]],
  ["last_value sees the whole partition", b.window("last_value", [x], [g], [asc(x)], "integer"), [2, 2, 5, 5, 5]],
  ["sum over partition", b.window("sum", [x], [g], [], "bigint"), [3, 3, 12, 12, 12]],
];

const AGGREGATES: [string, Expr, number][] = [
  ["count(*)", fn("count", [], "bigint"), 5],
  ["count ignores NULL", fn("count", [y], "bigint"), 4],
  ["count distinct", fn("count", [y], "bigint", true), 2],
  ["sum", fn("sum", [x], "bigint"), 15],
  ["sum distinct", fn("sum", [y], "bigint", true), 30],
  ["min", fn("min", [y], "integer"), 10],
  ["max", fn("max", [x], "integer"), 5],
  ["avg", fn("avg", [y], "float"), 15],
];

/** Engine values normalised for comparison: numbers (and numeric strings) as numbers, the rest as is. */
function norm(v: unknown, expected: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof expected === "number") return Number(v);
  return v;
}

describe.each(["duckdb", "postgres"] as const)("%s evaluates the function catalogue as documented", (name) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await openEngine(name, "fn");
  });
  afterAll(async () => {
    await engine?.dispose();
  });
  const gen = (): BaseSqlGenerator => engine.provider.generator as BaseSqlGenerator;

  it.each(SCALARS)("%s", async (_label, e, expected) => {
    const rows = await engine.conn.query(`SELECT ${gen().expr(e)} AS v`);
    const v = norm(rows[0]!["v"], expected);
    if (typeof expected === "number") expect(v).toBeCloseTo(expected, 9);
    else expect(v).toEqual(expected);
  });

  it.each(WINDOWS)("window %s", async (_label, e, expected) => {
    const rows = await engine.conn.query(`SELECT x, ${gen().expr(e)} AS w FROM ${ROWS} ORDER BY x`);
    expect(rows.map((r) => (r["w"] === null ? null : Number(r["w"])))).toEqual(expected);
  });

  it.each(AGGREGATES)("aggregate %s", async (_label, e, expected) => {
    const rows = await engine.conn.query(`SELECT ${gen().expr(e)} AS a FROM ${ROWS}`);
    expect(Number(rows[0]!["a"])).toBeCloseTo(expected, 9);
  });
});

describe("surrogate ids", () => {
  const keys = ["a", "B", "b", "Z", "_", "é", "e", "10", "9", " a", "a ", "😀", "ä", "z", "ß", "A-1", "a-1", "'q'", '"dq"'];
  const engines: Engine[] = [];
  beforeAll(async () => {
    engines.push(await openEngine("duckdb", "ids"), await openEngine("postgres", "ids"));
  });
  afterAll(async () => {
    for (const e of engines) await e.dispose();
  });

  it("are assigned identically on every engine, in UTF-8 byte order of the keys", async () => {
    const src = b.tableDef("source", "keys", [b.column("k", b.varchar())]);
    const target = b.tableDef("staging", "keyed", [b.column("id", b.INT, true), b.column("k", b.varchar())]);
    const maps: unknown[] = [];
    for (const engine of engines) {
      const ctx = b.context([src, target], engine.schemas);
      const gen = engine.provider.generator as BaseSqlGenerator;
      const values = keys.map((k) => `(${gen.stringLiteral(k)})`).join(", ");
      const setup = b.step("keys", {
        kind: "sql",
        statements: {
          default: ["CREATE SCHEMA IF NOT EXISTS ${schemas.source}", "CREATE TABLE ${schemas.source}.keys (k VARCHAR)", `INSERT INTO \${schemas.source}.keys VALUES ${values}, (NULL)`],
        },
        transactional: true,
      });
      await runStep(engine, setup, ctx);
      const id = b.idFor("id", "keyed", col("s", "k"));
      const sel = b.select({ table: b.ref("source", "keys"), alias: "s" }, { id: id.value, k: col("s", "k") }, { joins: [id.join], ids: [id.id], where: b.isNull(col("s", "k"), true) });
      await runStep(engine, b.transformStep("keyed", b.ref("staging", "keyed"), "merge", target.columns, [sel], { key: ["id"] }), ctx);
      maps.push(await engine.conn.query(`SELECT id, k FROM "${engine.schemas["staging"]}".keyed ORDER BY id`));
    }
    const expected = [...keys].sort((p, q) => Buffer.compare(Buffer.from(p), Buffer.from(q))).map((k, i) => ({ id: i + 1, k }));
    expect(maps[0]).toEqual(expected);
    expect(maps[1]).toEqual(expected);
  });
});
