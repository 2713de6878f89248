/**
 * A merge step's rows materialised once (BaseSqlGenerator.mergeSourceMaterialized, a dialect's choice) give what the
 * default rendering gives, which runs the step's select twice (the MERGE, then the prune's keys): the same target,
 * the same merge ledger, the same counts (rows merged, rows deleted because their source is gone), on a fresh run,
 * an unchanged re-run and a re-run after the source changed — on DuckDB and PostgreSQL alike. The key has two
 * columns, so the ledger's length-prefixed key text is exercised on both paths.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DuckDbGenerator } from "../../src/providers/duckdb/index.js";
import { PostgresGenerator } from "../../src/providers/postgres/index.js";
import { executeRenderedStep, type SqlGenerator } from "../../src/providers/provider-api.js";
import * as b from "./helpers/plan-builders.js";
import { dump, openEngine, readableTempDir, removeDir, writeReadable, type Engine, type EngineName } from "./helpers/engines.js";

class MaterializedDuckDb extends DuckDbGenerator {
  protected override get mergeSourceMaterialized(): boolean {
    return true;
  }
}
class MaterializedPostgres extends PostgresGenerator {
  protected override get mergeSourceMaterialized(): boolean {
    return true;
  }
}

const SOURCE = b.tableDef("source", "items", [b.column("id", b.varchar()), b.column("grp", b.INT), b.column("v", b.INT)]);
const TARGET = b.tableDef("staging", "merged", [b.column("id", b.varchar(), true), b.column("grp", b.INT, true), b.column("v2", b.INT)], {
  primaryKey: ["id", "grp"],
});
const STEP = b.transformStep(
  "merge_items",
  b.ref("staging", "merged"),
  "merge",
  TARGET.columns,
  [
    b.select(
      { table: b.ref("source", "items"), alias: "i" },
      { id: b.col("i", "id"), grp: b.col("i", "grp", "integer"), v2: b.bin("*", b.col("i", "v", "integer"), b.lit(2), "integer") },
    ),
  ],
  { key: ["id", "grp"] },
);
const BEFORE = "id,grp,v\na,1,10\nb,1,20\nb,2,30\nc|d,3,40\n";
/** b/2 deleted, a's value changed, e added. */
const AFTER = "id,grp,v\na,1,11\nb,1,20\nc|d,3,40\ne,5,50\n";

/** What one scenario left: the step's counts and the tables' contents. */
interface Outcome {
  merged: number | undefined;
  sourceGone: number | undefined;
  target: string;
  ledger: string;
}

describe.each(["duckdb", "postgres"] as EngineName[])("%s: a merge step's rows materialised once equal the default rendering", (name) => {
  const engines: Engine[] = [];
  let dir: string;
  beforeAll(async () => {
    dir = await readableTempDir();
  });
  afterAll(async () => {
    for (const e of engines) await e.dispose();
    if (dir) await removeDir(dir);
  });

  /** Fresh run, unchanged re-run, re-run after the source changed, with `generator` on a new set of schemas. */
  async function scenarios(generator: SqlGenerator, label: string): Promise<Outcome[]> {
    const engine = await openEngine(name, label);
    engines.push(engine);
    const ctx = { ...b.context([SOURCE, TARGET], engine.schemas), mergeWriters: { "staging.merged": [STEP.name] } };
    const run = async (csv: string): Promise<Outcome> => {
      const file = await writeReadable(dir, `${label}.csv`, csv);
      const load = b.loadStep("load_items", b.ref("source", "items"), [file], SOURCE.columns);
      await executeRenderedStep(engine.conn, load.name, generator.renderStep(load, ctx));
      const rendered = generator.renderStep(STEP, ctx);
      const { rowCounts, rowCount } = await executeRenderedStep(engine.conn, STEP.name, rendered);
      return {
        merged: rowCount,
        sourceGone: rendered.staleRowsStatement === undefined ? undefined : rowCounts[rendered.staleRowsStatement],
        target: await dump(engine.conn, `"${engine.schemas["staging"]}"."merged"`),
        ledger: await dump(engine.conn, `"${engine.schemas["staging"]}"."omopetl_merge_keys"`),
      };
    };
    return [await run(BEFORE), await run(BEFORE), await run(AFTER)];
  }

  it("fresh, unchanged re-run and changed source: same rows, ledger and counts", async () => {
    const [plain, materialized] = name === "duckdb" ? [new DuckDbGenerator(), new MaterializedDuckDb()] : [new PostgresGenerator(), new MaterializedPostgres()];
    // the two renderings differ: only the materialised one fills a temporary table with the rows and their keys
    const ctx = b.context([SOURCE, TARGET], { source: "s", staging: "st" });
    expect(plain.renderStep(STEP, ctx).statements.join("\n")).not.toContain("omopetl_merge_source");
    const m = materialized.renderStep(STEP, ctx).statements.join("\n");
    expect(m).toContain("omopetl_merge_source");
    expect(m).not.toContain("omopetl_merge_now");

    const expected = await scenarios(plain, "mplain");
    const got = await scenarios(materialized, "mmat");
    expect(expected.map((o) => [o.merged, o.sourceGone])).toEqual([
      [4, 0],
      [0, 0],
      [2, 1],
    ]);
    expect(got).toEqual(expected);
    expect(expected[2]!.target).not.toBe(expected[0]!.target);
  });
});
