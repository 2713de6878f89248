/**
 * An id key part that is an md5 digest is written "32:" || digest instead of length(digest) || ':' || digest (the
 * digest is then evaluated once per row, not twice, in the id-map join and the key enumeration). The text must be
 * the length-prefixed text every other part gets, so ids do not change: both forms are evaluated side by side on
 * DuckDB and PostgreSQL, NULL digests included.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Expr } from "../../src/core/expr/ast.js";
import { sourceKeyText } from "../../src/core/compile/expr-builders.js";
import type { BaseSqlGenerator } from "../../src/providers/base/base-generator.js";
import * as b from "./helpers/plan-builders.js";
import type { Engine } from "./helpers/engines.js";
import { openEngine } from "./helpers/engines.js";

describe("the key text of an md5 part", () => {
  const engines: Engine[] = [];
  beforeAll(async () => {
    engines.push(await openEngine("duckdb", "keymd5"), await openEngine("postgres", "keymd5"));
  });
  afterAll(async () => {
    for (const e of engines) await e.dispose();
  });

  const x = b.col("v", "x");
  const digest: Expr = b.fn("md5", [x], "string");
  /** The generic length-prefixed text of one part, as every non-digest part gets it. */
  const generic: Expr = b.fn("coalesce", [b.bin("||", b.bin("||", b.cast(b.fn("length", [digest], "integer"), b.varchar()), b.lit(":")), digest), b.lit("~")], "string");

  it("writes the digest once, with its length as a literal", () => {
    const g = engines[0]!.provider.generator as BaseSqlGenerator;
    const sql = g.expr(sourceKeyText([digest]));
    expect(sql.match(/md5\(/g)).toHaveLength(1);
    expect(sql).toContain("'32:'");
    // Other parts keep the computed length; a two-part key joins both.
    expect(g.expr(sourceKeyText([x]))).toContain("length(");
    expect(g.expr(sourceKeyText([x, digest])).match(/md5\(/g)).toHaveLength(1);
  });

  it("gives the same text as the generic form on every engine, NULL digests included", async () => {
    const values = ["abc", "é", "", "a|b", null];
    const results: unknown[] = [];
    for (const engine of engines) {
      const g = engine.provider.generator as BaseSqlGenerator;
      const rows = values.map((v) => `SELECT ${v === null ? "CAST(NULL AS VARCHAR)" : g.stringLiteral(v)} AS x`).join(" UNION ALL ");
      const got = (await engine.conn.query(
        `SELECT ${g.expr(sourceKeyText([digest]))} AS fast, ${g.expr(generic)} AS slow, ${g.expr(sourceKeyText([x, digest]))} AS pair FROM (${rows}) AS v ORDER BY 1`,
      )) as { fast: string; slow: string; pair: string }[];
      for (const r of got) expect(r.fast).toBe(r.slow);
      expect(got.map((r) => r.fast)).toContain("~");
      expect(got.map((r) => r.fast)).toContain("32:900150983cd24fb0d6963f7d28e17f72");
      results.push(got);
    }
    expect(results[1]).toEqual(results[0]);
  });
});
