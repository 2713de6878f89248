/**
 * omopetl's `kind: observation_period` (the fixture test/fixtures/compile/observation-periods of the omopetl
 * repository: visits found by the patient's source value, lab results by person_id with a filter, periods split by a
 * 30-day gap) run by omopetl's CLI on SQLite and on the built-in DuckDB provider: both write the periods worked out
 * by hand in omopetl's test/providers/observation-periods.test.ts, with the same ids, and a second run on SQLite
 * changes nothing. The union of the tables of dated rows is a union_all sub-select, which SQLite renders from
 * omopetl's base generator like the other engines.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contents, fixtureTargets } from "./fixture-targets.js";

const FILES = {
  "person.csv": `person_id,gender_concept_id,year_of_birth,race_concept_id,ethnicity_concept_id,person_source_value
1,8507,1970,0,0,p1
2,8532,1980,0,0,p2
3,8532,1990,0,0,p3
`,
  "visits.csv": `id,patient,start,stop
1,p1,2020-01-01 08:00:00,2020-01-03 10:00:00
2,p1,2020-01-20 09:00:00,
3,p1,2020-03-15 00:00:00,2020-03-16 12:00:00
4,p2,2021-01-01 10:00:00,2021-01-01 11:00:00
5,p9,2020-01-01 10:00:00,2020-12-31 11:00:00
`,
  "labs.csv": `id,person,taken,valid
1,1,2020-02-10,true
2,1,2020-06-01,false
3,2,2021-03-01,true
`,
};

const QUERIES = {
  observation_period:
    "SELECT observation_period_id, person_id, CAST(observation_period_start_date AS VARCHAR) AS s, CAST(observation_period_end_date AS VARCHAR) AS e, period_type_concept_id FROM cdm.observation_period ORDER BY observation_period_id",
};

describe("kind: observation_period on SQLite", () => {
  const targets = fixtureTargets("observation-periods", FILES);
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

  it("writes the periods worked out by hand", () => {
    expect(first.observation_period).toEqual([
      [1, 1, "2020-01-01", "2020-02-10", 32817],
      [2, 1, "2020-03-15", "2020-03-16", 32817],
      [3, 2, "2021-01-01", "2021-01-01", 32817],
      [4, 2, "2021-03-01", "2021-03-01", 32817],
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
