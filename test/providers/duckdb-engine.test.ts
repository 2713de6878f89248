import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defineEngineSuite } from "./helpers/engine-suite.js";
import * as b from "./helpers/plan-builders.js";
import type { Engine } from "./helpers/engines.js";
import { openEngine, readableTempDir, removeDir, runStep } from "./helpers/engines.js";

defineEngineSuite("duckdb");

describe("duckdb only", () => {
  let engine: Engine;
  let dir: string;
  beforeAll(async () => {
    engine = await openEngine("duckdb", "duck");
    dir = await readableTempDir();
  });
  afterAll(async () => {
    await engine?.dispose();
    if (dir) await removeDir(dir);
  });

  it("loads Parquet files by column name, casting to the target types; absent columns are NULL", async () => {
    await engine.conn.execute(
      `COPY (SELECT 'p1' AS ID, 42 AS n, DATE '2020-01-02' AS d, 'x' AS extra) TO '${dir}/a.parquet' (FORMAT parquet)`,
    );
    await engine.conn.execute(`COPY (SELECT 'p2' AS id, '7' AS n) TO '${dir}/b.parquet' (FORMAT parquet)`);
    const cols = [b.column("id", b.varchar()), b.column("n", b.BIGINT), b.column("d", b.DATE), b.column("missing", b.FLOAT)];
    const ctx = b.context([], engine.schemas);
    const step = b.loadStep("pq", b.ref("source", "pq"), [`${dir}/*.parquet`], cols, { ...b.CSV, type: "parquet" });
    expect(await runStep(engine, step, ctx)).toBe(2);
    expect(await engine.conn.query(`SELECT id, n, CAST(d AS VARCHAR) AS d, missing FROM "${engine.schemas["source"]}".pq ORDER BY id`)).toEqual([
      { id: "p1", n: "42", d: "2020-01-02", missing: null },
      { id: "p2", n: "7", d: null, missing: null },
    ]);
  });

  it("refuses a write that would give a CDM table two rows with one primary key, leaving the table as it was", async () => {
    const def = b.tableDef("cdm", "thing", [b.column("thing_id", b.INT, true), b.column("v", b.varchar())], { cdm: true, primaryKey: ["thing_id"] });
    const src = b.tableDef("source", "things", [b.column("id", b.INT), b.column("v", b.varchar())]);
    const ctx = b.context([def, src], engine.schemas);
    const s = engine.schemas;
    await runStep(engine, b.step("ddl", { kind: "ddl", part: "tables", tables: [b.ref("cdm", "thing")] }), ctx);
    await engine.conn.execute(`CREATE TABLE IF NOT EXISTS "${s["source"]}".things (id INTEGER, v VARCHAR)`);
    await engine.conn.execute(`INSERT INTO "${s["source"]}".things VALUES (1, 'a'), (2, 'b')`);
    const write = b.transformStep("thing", b.ref("cdm", "thing"), "replace", def.columns, [
      b.select({ table: b.ref("source", "things"), alias: "t" }, { thing_id: b.col("t", "id", "integer"), v: b.col("t", "v") }),
    ]);
    expect(await runStep(engine, write, ctx)).toBe(2);
    const before = await engine.conn.query(`SELECT * FROM "${s["cdm"]}".thing ORDER BY thing_id`);
    await engine.conn.execute(`INSERT INTO "${s["source"]}".things VALUES (2, 'c')`);
    await expect(runStep(engine, write, ctx)).rejects.toThrow(/duplicate primary key in .*thing: thing_id = 2 occurs 2 times; the step's rows were not written/);
    expect(await engine.conn.query(`SELECT * FROM "${s["cdm"]}".thing ORDER BY thing_id`)).toEqual(before);
  });
});
