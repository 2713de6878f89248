// The merge step side by side (npm run bench -- merge): one build, two renderings of the same step, runs interleaved.
// "twice": the MERGE reads the step's select and the prune (base/merge-prune.ts) runs it a second time for its keys;
// "once": the select's rows are materialised in a temporary table that the MERGE and the prune both read
// (BaseSqlGenerator.mergeSourceMaterialized). A synthetic source of N rows merged into a staging table, with a trivial
// select (the ledger's share of the time at its largest) and a costly one (a join and a window over every row), three
// scenarios: fresh (recording N keys), unchanged re-run, re-run after 1% of the source rows were deleted.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import * as b from "../dist/providers/conformance/plan-builders.js";
import { duckdbProvider } from "../dist/providers/duckdb/index.js";
import { postgresProvider } from "../dist/providers/postgres/index.js";
import { executeRenderedStep } from "../dist/providers/provider-api.js";

const SCHEMAS = { source: "mbench_source", staging: "mbench_staging" };
const SRC = b.tableDef("source", "rows", [b.column("id", b.varchar()), b.column("a", b.INT), b.column("b", b.varchar())]);
const DIM = b.tableDef("source", "dim", [b.column("a", b.INT), b.column("label", b.varchar())]);
const TARGET = b.tableDef("staging", "merged", [b.column("id", b.varchar(), true), b.column("x", b.INT), b.column("y", b.varchar())], { primaryKey: ["id"] });
const ctx = { ...b.context([SRC, DIM, TARGET], SCHEMAS), mergeWriters: { "staging.merged": ["merge_bench"] } };

/** The two selects: trivial, and a join plus a window over every row (what a select costing more than its I/O looks like). */
const SELECTS = {
  trivial: b.select({ table: b.ref("source", "rows"), alias: "s" }, {
    id: b.col("s", "id"),
    x: b.bin("+", b.col("s", "a", "integer"), b.lit(1), "integer"),
    y: b.fn("upper", [b.col("s", "b")], "string"),
  }),
  "join+window": b.select(
    { table: b.ref("source", "rows"), alias: "s" },
    {
      id: b.col("s", "id"),
      x: b.window("row_number", [], [b.col("s", "a", "integer")], [{ expr: b.col("s", "b"), desc: false }], "integer"),
      y: b.bin("||", b.col("d", "label"), b.col("s", "b"), "string"),
    },
    { joins: [{ type: "inner", table: b.ref("source", "dim"), alias: "d", on: b.eq(b.col("s", "a", "integer"), b.col("d", "a", "integer")), role: "user" }] },
  ),
};

/** Engine SQL of the bench's own set-up (not omopetl's: the bench fills its source tables as any user would). */
const SETUP = {
  duckdb: (n) => [
    `CREATE SCHEMA IF NOT EXISTS ${SCHEMAS.source}`,
    `CREATE OR REPLACE TABLE ${SCHEMAS.source}.rows AS SELECT 'k' || i AS id, CAST(i % 1000 AS INTEGER) AS a, md5(CAST(i AS VARCHAR)) AS b FROM range(${n}) t(i)`,
    `CREATE OR REPLACE TABLE ${SCHEMAS.source}.dim AS SELECT CAST(i AS INTEGER) AS a, 'label ' || i AS label FROM range(1000) t(i)`,
  ],
  postgres: (n) => [
    `CREATE SCHEMA IF NOT EXISTS ${SCHEMAS.source}`,
    `DROP TABLE IF EXISTS ${SCHEMAS.source}.rows`,
    `CREATE TABLE ${SCHEMAS.source}.rows AS SELECT 'k' || i AS id, i % 1000 AS a, md5(i::text) AS b FROM generate_series(0, ${n - 1}) i`,
    `ANALYZE ${SCHEMAS.source}.rows`,
    `DROP TABLE IF EXISTS ${SCHEMAS.source}.dim`,
    `CREATE TABLE ${SCHEMAS.source}.dim AS SELECT i AS a, 'label ' || i AS label FROM generate_series(0, 999) i`,
  ],
};
const DELETE_1PCT = `DELETE FROM ${SCHEMAS.source}.rows WHERE a % 100 = 7`;

/** The provider's generator with mergeSourceMaterialized forced (the same object otherwise). */
function variant(generator, materialized) {
  return Object.create(generator, { mergeSourceMaterialized: { get: () => materialized } });
}

/**
 * Best-of-`reps` seconds per (select, scenario, variant) on one engine, and a checksum of the target after each
 * scenario (both variants must leave the same rows).
 */
async function benchEngine(engine, provider, target, { rows, reps }) {
  const conn = await provider.connect(target);
  const out = [];
  try {
    for (const [selectName, sel] of Object.entries(SELECTS)) {
      const step = b.transformStep("merge_bench", b.ref("staging", "merged"), "merge", TARGET.columns, [sel], { key: ["id"] });
      const times = {};
      const sums = {};
      for (let rep = 0; rep < reps; rep++) {
        for (const [name, materialized] of rep % 2 === 0 ? [["twice", false], ["once", true]] : [["once", true], ["twice", false]]) {
          const g = variant(provider.generator, materialized);
          await conn.execute(`DROP SCHEMA IF EXISTS ${SCHEMAS.staging} CASCADE`);
          for (const sql of SETUP[engine](rows)) await conn.execute(sql);
          const run = async (scenario) => {
            const rendered = g.renderStep(step, ctx);
            const t0 = performance.now();
            await executeRenderedStep(conn, step.name, rendered, provider.capabilities.transactions);
            const s = (performance.now() - t0) / 1000;
            const key = `${scenario}/${name}`;
            times[key] = Math.min(times[key] ?? Infinity, s);
            const [c] = await conn.query(`SELECT count(*) AS n, sum(length(y) + x) AS s FROM ${SCHEMAS.staging}.merged`);
            const sum = `${c.n}:${c.s}`;
            if (sums[scenario] !== undefined && sums[scenario] !== sum) throw new Error(`${engine} ${selectName} ${scenario}: ${name} left ${sum}, the other ${sums[scenario]}`);
            sums[scenario] = sum;
          };
          await run("fresh");
          await run("unchanged re-run");
          await conn.execute(DELETE_1PCT);
          await run("1% deleted");
        }
      }
      for (const scenario of ["fresh", "unchanged re-run", "1% deleted"]) {
        const twice = times[`${scenario}/twice`];
        const once = times[`${scenario}/once`];
        out.push({ engine, select: selectName, scenario, twiceS: Number(twice.toFixed(2)), onceS: Number(once.toFixed(2)), ratio: Number((once / twice).toFixed(2)), rows: sums[scenario] });
      }
    }
    await conn.execute(`DROP SCHEMA IF EXISTS ${SCHEMAS.staging} CASCADE`);
    await conn.execute(`DROP SCHEMA IF EXISTS ${SCHEMAS.source} CASCADE`);
  } finally {
    await conn.close();
  }
  return out;
}

/** Runs the merge benchmark on DuckDB and (with `pgUrl`) PostgreSQL; prints a table and returns its rows. */
export async function benchMerge({ rows = 1_000_000, reps = 3, pgReps = 2, pgUrl, memoryLimit = "768MB" } = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "omopetl-merge-bench-"));
  const results = [];
  try {
    results.push(...(await benchEngine("duckdb", duckdbProvider, { provider: "duckdb", path: path.join(dir, "bench.duckdb"), memoryLimit }, { rows, reps })));
    if (pgUrl) results.push(...(await benchEngine("postgres", postgresProvider, { provider: "postgres", url: pgUrl }, { rows, reps: pgReps })));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`\nMerge step, ${rows} source rows: select run twice (MERGE + prune) vs once (materialised); best of ${reps} (PostgreSQL ${pgReps}), seconds`);
  console.log("| engine | select | scenario | twice | once | once/twice |");
  console.log("| --- | --- | --- | ---: | ---: | ---: |");
  for (const r of results) console.log(`| ${r.engine} | ${r.select} | ${r.scenario} | ${r.twiceS} | ${r.onceS} | ${r.ratio} |`);
  return results;
}
