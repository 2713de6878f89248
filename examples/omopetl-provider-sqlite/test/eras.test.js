/**
 * omopetl's `kind: era` (the fixture test/fixtures/compile/eras of the omopetl repository: condition eras with a
 * filter and a 40-day window, drug eras with sub-exposures and gap days, dose eras) run by omopetl's CLI on SQLite
 * and on the built-in DuckDB provider: both write the eras worked out by hand in omopetl's test/providers/eras.test.ts,
 * with the same ids, and a second run on SQLite changes nothing. SQLite inherits the rendering (common table
 * expressions and window frames) from omopetl's base generator.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { duckdbProvider } from "omopetl/provider/duckdb";
import provider from "../src/index.js";
import { omopetlDir, packageDir, specDir } from "./paths.js";

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const omopetlPackage = require.resolve("omopetl/package.json");
const cli = path.join(path.dirname(omopetlPackage), JSON.parse(readFileSync(omopetlPackage, "utf8")).bin.omopetl);
const workflow = path.join(omopetlDir, "test/fixtures/compile/eras/workflow.yaml");

const FILES = {
  "conditions.csv": `id,patient,code,onset,resolved,status
1,1,100,2020-01-01,2020-01-10,ok
2,1,100,2020-01-05,2020-01-07,ok
3,1,100,2020-02-09,,ok
4,1,100,2020-03-12,2020-03-15,ok
5,1,0,2020-01-01,2020-01-02,ok
6,2,100,2021-05-01,2021-05-03,ok
7,2,200,2021-05-01,,ok
8,2,200,2021-05-02,2021-09-01,error
`,
  "drugs.csv": `id,patient,code,first_day,last_day,supply,dose,unit
1,1,1200,2020-01-01,2020-01-10,9,10,8576
2,1,1100,2020-01-08,2020-01-20,12,10,8576
3,1,1200,2020-01-20,2020-01-25,5,20,8576
4,1,1200,2020-02-10,,5,10,8576
5,1,1200,2020-04-01,,0,,8576
6,1,1200,2020-01-02,2020-01-05,-3,10,8576
7,1,0,2020-01-01,2020-01-30,29,10,8576
`,
  "concept.csv": `concept_id,concept_name,domain_id,vocabulary_id,concept_class_id,standard_concept,concept_code,valid_start_date,valid_end_date,invalid_reason
1000,ingredient A,Drug,RxNorm,Ingredient,S,A,1970-01-01,2099-12-31,
2000,ingredient B,Drug,RxNorm,Ingredient,S,B,1970-01-01,2099-12-31,
1100,A and B tablet,Drug,RxNorm,Clinical Drug,S,AB,1970-01-01,2099-12-31,
1200,A tablet,Drug,RxNorm,Clinical Drug,S,A1,1970-01-01,2099-12-31,
`,
  "concept_ancestor.csv": `ancestor_concept_id,descendant_concept_id,min_levels_of_separation,max_levels_of_separation
1000,1000,0,0
2000,2000,0,0
1100,1100,0,0
1200,1200,0,0
1000,1100,1,1
2000,1100,1,1
1000,1200,1,1
`,
};

/** The era tables, ordered, with dates as text and numbers as numbers so both engines' values compare. */
const QUERIES = {
  condition_era:
    "SELECT condition_era_id, person_id, condition_concept_id, CAST(condition_era_start_date AS VARCHAR) AS s, CAST(condition_era_end_date AS VARCHAR) AS e, condition_occurrence_count AS n FROM cdm.condition_era ORDER BY condition_era_id",
  drug_era:
    "SELECT drug_era_id, person_id, drug_concept_id, CAST(drug_era_start_date AS VARCHAR) AS s, CAST(drug_era_end_date AS VARCHAR) AS e, drug_exposure_count AS n, gap_days FROM cdm.drug_era ORDER BY drug_era_id",
  dose_era:
    "SELECT dose_era_id, person_id, drug_concept_id, unit_concept_id, dose_value, CAST(dose_era_start_date AS VARCHAR) AS s, CAST(dose_era_end_date AS VARCHAR) AS e FROM cdm.dose_era ORDER BY dose_era_id",
};

async function contents(conn) {
  const out = {};
  for (const [t, sql] of Object.entries(QUERIES)) {
    out[t] = (await conn.query(sql)).map((r) => Object.values(r).map((v) => (typeof v === "bigint" ? Number(v) : v)));
  }
  return out;
}

describe("kind: era on SQLite", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "omopetl-sqlite-eras-"));
  const sqlitePath = path.join(dir, "eras.sqlite");
  const duckdbPath = path.join(dir, "eras.duckdb");
  let sqlite;
  let duckdb;
  let first;

  const omopetl = (target) =>
    run(process.execPath, [cli, "run", workflow, "--target", target, "--config", path.join(dir, "omopetl.config.yaml"), "--spec-dir", specDir, "-p", `source_dir=${dir}`], { cwd: dir });

  beforeAll(async () => {
    for (const [name, text] of Object.entries(FILES)) writeFileSync(path.join(dir, name), text);
    writeFileSync(
      path.join(dir, "omopetl.config.yaml"),
      [
        `providers: [${JSON.stringify(path.join(packageDir, "src/index.js"))}]`,
        "targets:",
        `  sq: { provider: sqlite, path: ${JSON.stringify(sqlitePath)} }`,
        `  dk: { provider: duckdb, path: ${JSON.stringify(duckdbPath)} }`,
      ].join("\n"),
    );
    await omopetl("sq");
    await omopetl("dk");
    sqlite = await provider.connect({ provider: "sqlite", path: sqlitePath });
    duckdb = await duckdbProvider.connect({ provider: "duckdb", path: duckdbPath });
    first = await contents(sqlite);
  }, 120_000);

  afterAll(async () => {
    await sqlite?.close();
    await duckdb?.close();
  });

  it("writes the eras worked out by hand", () => {
    expect(first.condition_era).toEqual([
      [1, 1, 100, "2020-01-01", "2020-03-15", 4],
      [2, 2, 100, "2021-05-01", "2021-05-03", 1],
      [3, 2, 200, "2021-05-01", "2021-05-02", 1],
    ]);
    expect(first.drug_era).toEqual([
      [1, 1, 1000, "2020-01-01", "2020-02-15", 4, 16],
      [2, 1, 1000, "2020-04-01", "2020-04-02", 1, 0],
      [3, 1, 2000, "2020-01-08", "2020-01-20", 1, 0],
    ]);
    expect(first.dose_era).toEqual([
      [1, 1, 1000, 8576, 10, "2020-01-01", "2020-02-15"],
      [2, 1, 1000, 8576, 20, "2020-01-20", "2020-01-25"],
      [3, 1, 2000, 8576, 10, "2020-01-08", "2020-01-20"],
    ]);
  });

  it("writes what DuckDB writes", async () => {
    expect(await contents(duckdb)).toEqual(first);
  });

  it("a second run on SQLite leaves the same tables", async () => {
    await sqlite.close();
    await omopetl("sq");
    sqlite = await provider.connect({ provider: "sqlite", path: sqlitePath });
    expect(await contents(sqlite)).toEqual(first);
  }, 120_000);
});
