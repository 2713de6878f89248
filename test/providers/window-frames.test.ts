/**
 * Window frames mean the same rows on every engine: expressions are written as users write them, checked by the
 * compiler's expression analysis, rendered by each provider and evaluated on DuckDB and on the real PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OmopetlError } from "../../src/core/diagnostics/diagnostic.js";
import type { Expr, ValueType } from "../../src/core/expr/ast.js";
import { analyzeExpression, type ExprScope } from "../../src/core/expr/index.js";
import type { BaseSqlGenerator } from "../../src/providers/base/base-generator.js";
import { DuckDbGenerator } from "../../src/providers/duckdb/index.js";
import { PostgresGenerator } from "../../src/providers/postgres/index.js";
import * as b from "./helpers/plan-builders.js";
import type { Engine } from "./helpers/engines.js";
import { openEngine } from "./helpers/engines.js";

/** Rows (x, g, y, d), one partition column g, y with a NULL, dates with gaps. */
const ROWS = `(VALUES
  (1, 'a', 10, DATE '2020-01-01'),
  (2, 'a', NULL, DATE '2020-01-02'),
  (3, 'b', 10, DATE '2020-01-05'),
  (4, 'b', 20, DATE '2020-01-06'),
  (5, 'b', 20, DATE '2020-01-08'),
  (6, 'b', 5, DATE '2020-01-09')
) AS v(x, g, y, d)`;

const scope: ExprScope = {
  tables: [{ alias: "v", columns: new Map<string, ValueType>([["x", "integer"], ["g", "string"], ["y", "integer"], ["d", "date"]]) }],
};

/** The typed expression of `text`, as the compiler produces it for an output column. */
function compileExpr(text: string): Expr {
  const r = analyzeExpression(text, scope, { allowWindows: true, allowAggregates: true });
  if (!r.expr) throw new Error(`${text}: ${r.issues.map((i) => i.message).join("; ")}`);
  return r.expr;
}

/** [label, expression, expected values in x order] — worked out by hand from ROWS. */
const CASES: [string, string, (number | null)[]][] = [
  ["moving sum of the last two rows", "sum(v.y) OVER (PARTITION BY v.g ORDER BY v.x ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)", [10, 10, 10, 30, 40, 25]],
  ["running max (short form)", "max(v.y) OVER (ORDER BY v.x ROWS UNBOUNDED PRECEDING)", [10, 10, 10, 20, 20, 20]],
  ["last_value over the current and next row", "last_value(v.x) OVER (PARTITION BY v.g ORDER BY v.x ROWS BETWEEN CURRENT ROW AND 1 FOLLOWING)", [2, 2, 4, 5, 6, 6]],
  ["last_value with an explicit frame ending at the current row", "last_value(v.x) OVER (ORDER BY v.x ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)", [1, 2, 3, 4, 5, 6]],
  ["last_value without a frame sees the whole partition", "last_value(v.x) OVER (PARTITION BY v.g ORDER BY v.x)", [2, 2, 6, 6, 6, 6]],
  ["first_value over a sliding frame", "first_value(v.x) OVER (ORDER BY v.x ROWS 2 PRECEDING)", [1, 1, 1, 2, 3, 4]],
  ["a frame wholly after the row", "sum(v.x) OVER (ORDER BY v.x ROWS BETWEEN 1 FOLLOWING AND 2 FOLLOWING)", [5, 7, 9, 11, 6, null]],
  ["a frame wholly before the row", "sum(v.x) OVER (ORDER BY v.x ROWS BETWEEN 3 PRECEDING AND 2 PRECEDING)", [null, null, 1, 3, 5, 7]],
  ["count over the whole partition", "count(*) OVER (PARTITION BY v.g ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)", [2, 2, 4, 4, 4, 4]],
  ["RANGE over numbers (NULL keys are peers of each other)", "sum(v.x) OVER (ORDER BY v.y RANGE BETWEEN 5 PRECEDING AND 5 FOLLOWING)", [10, 2, 10, 9, 9, 10]],
  ["RANGE over dates counts days", "count(*) OVER (ORDER BY v.d RANGE BETWEEN 3 PRECEDING AND CURRENT ROW)", [1, 2, 2, 2, 3, 3]],
  ["RANGE over dates, descending", "sum(v.x) OVER (ORDER BY v.d DESC RANGE BETWEEN 1 PRECEDING AND CURRENT ROW)", [3, 2, 7, 4, 11, 6]],
  ["RANGE over datetimes counts days", "count(*) OVER (ORDER BY CAST(v.d AS datetime) RANGE 1 PRECEDING)", [1, 2, 1, 2, 1, 2]],
  ["RANGE to the current row's peers", "sum(v.x) OVER (ORDER BY v.y RANGE BETWEEN CURRENT ROW AND CURRENT ROW)", [4, 2, 4, 9, 9, 6]],
];

const AVG = "avg(v.y) OVER (ORDER BY v.x ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING)";
const AVG_EXPECTED = [10, 10, 15, 50 / 3, 15, 12.5];

describe("window frames render identically on every engine", () => {
  const duck = new DuckDbGenerator();
  const pg = new PostgresGenerator();
  it.each(CASES)("%s", (_label, text) => {
    const e = compileExpr(text);
    expect(duck.expr(e)).toBe(pg.expr(e));
  });

  it("in the BETWEEN form, RANGE offsets over dates as day intervals", () => {
    expect(pg.expr(compileExpr("max(v.y) OVER (ORDER BY v.x ROWS UNBOUNDED PRECEDING)"))).toBe(
      "max(v.y) OVER (ORDER BY v.x NULLS LAST ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)",
    );
    expect(pg.expr(compileExpr("count(*) OVER (ORDER BY v.d RANGE BETWEEN 3 PRECEDING AND 2 FOLLOWING)"))).toBe(
      "count(*) OVER (ORDER BY v.d NULLS LAST RANGE BETWEEN INTERVAL '3 days' PRECEDING AND INTERVAL '2 days' FOLLOWING)",
    );
    // an explicit frame replaces first_value/last_value's whole-partition default
    expect(pg.expr(compileExpr("last_value(v.x) OVER (ORDER BY v.x ROWS 1 PRECEDING)"))).toBe(
      "last_value(v.x) OVER (ORDER BY v.x NULLS LAST ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)",
    );
  });

  it("rejects hand-built plans whose frames no engine would read the same way", () => {
    const code = (e: Expr): string | undefined => {
      try {
        pg.expr(e);
      } catch (err) {
        return err instanceof OmopetlError ? err.diagnostic.code : String(err);
      }
      return undefined;
    };
    const x = b.col("v", "x", "integer");
    const g = b.col("v", "g", "string");
    const asc = (e: Expr) => ({ expr: e, desc: false });
    const rows = { unit: "rows" as const, start: { kind: "preceding" as const, offset: 1 }, end: { kind: "current_row" as const } };
    expect(code({ ...b.window("row_number", [], [], [asc(x)], "bigint"), frame: rows } as Expr)).toBe("INVALID_PLAN");
    expect(code({ ...b.window("sum", [x], [], [asc(x)], "bigint"), frame: { ...rows, start: { kind: "preceding", offset: -1 } } } as Expr)).toBe("INVALID_PLAN");
    expect(code({ ...b.window("sum", [x], [], [asc(g)], "bigint"), frame: { ...rows, unit: "range" } } as Expr)).toBe("INVALID_PLAN");
    expect(code({ ...b.window("sum", [x], [], [asc(x), asc(g)], "bigint"), frame: { ...rows, unit: "range" } } as Expr)).toBe("INVALID_PLAN");
    expect(code({ ...b.window("sum", [x], [], [asc(x)], "bigint"), frame: { ...rows, unit: "range" } } as Expr)).toBeUndefined();
  });
});

describe("window frames give the same rows on DuckDB and PostgreSQL", () => {
  const engines: Engine[] = [];
  beforeAll(async () => {
    engines.push(await openEngine("duckdb", "frames"), await openEngine("postgres", "frames"));
  });
  afterAll(async () => {
    for (const e of engines) await e.dispose();
  });

  async function evaluate(engine: Engine, text: string): Promise<(number | null)[]> {
    const sql = (engine.provider.generator as BaseSqlGenerator).expr(compileExpr(text));
    const rows = await engine.conn.query(`SELECT v.x, ${sql} AS w FROM ${ROWS} ORDER BY v.x`);
    return rows.map((r) => (r["w"] === null ? null : Number(r["w"])));
  }

  it.each(CASES)("%s", async (_label, text, expected) => {
    const [duck, pg] = [await evaluate(engines[0]!, text), await evaluate(engines[1]!, text)];
    expect(duck).toEqual(expected);
    expect(pg).toEqual(duck);
  });

  it("moving average (float results)", async () => {
    for (const engine of engines) {
      const got = await evaluate(engine, AVG);
      got.forEach((v, i) => expect(v, `${engine.name} row ${i + 1}`).toBeCloseTo(AVG_EXPECTED[i]!, 9));
    }
  });
});
