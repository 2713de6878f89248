/**
 * omopetl's `kind: era` (the fixture test/fixtures/compile/eras of the omopetl repository: condition eras with a
 * filter and a 40-day window, drug eras with sub-exposures and gap days, dose eras) run by omopetl's CLI on SQLite
 * and on the built-in DuckDB provider: both write the eras worked out by hand in omopetl's test/providers/eras.test.ts,
 * with the same ids, and a second run on SQLite changes nothing. SQLite inherits the rendering (common table
 * expressions and window frames) from omopetl's base generator.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contents, fixtureTargets } from "./fixture-targets.js";

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

describe("kind: era on SQLite", () => {
  const targets = fixtureTargets("eras", FILES);
  let sqlite;
  let duckdb;
  let first;

  beforeAll(async () => {
    await targets.omopetl("sq");
    await targets.omopetl("dk");
    sqlite = await targets.connect("sq");
    duckdb = await targets.connect("dk");
    first = await contents(sqlite, QUERIES);
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
    expect(await contents(duckdb, QUERIES)).toEqual(first);
  });

  it("a second run on SQLite leaves the same tables", async () => {
    await sqlite.close();
    await targets.omopetl("sq");
    sqlite = await targets.connect("sq");
    expect(await contents(sqlite, QUERIES)).toEqual(first);
  }, 120_000);
});
