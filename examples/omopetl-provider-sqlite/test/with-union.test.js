/**
 * omopetl's union_all sub-selects and lets in a join's ON (the fixture test/fixtures/compile/with-union of the omopetl
 * repository, without its lookup step, which needs a vocabulary) run by omopetl's CLI on SQLite and on the built-in
 * DuckDB provider: the union's rows (NULL where a branch leaves a column out) joined to an inline map on a let are
 * the same on both, and a second run on SQLite changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixtureRun } from "./fixture-run.js";

const ENCOUNTERS = `id,patient,start,cost,class
e1,p1,2020-01-10,100.5,outpatient
e2,p1,2020-01-05,50,inpatient
e3,p2,2020-02-29,,emergency
`;

const QUERY = 'SELECT id, kind, CAST("at" AS VARCHAR) AS "at", cost, visit_class, concept_id FROM staging.encounter_events ORDER BY id, kind';

async function contents(conn) {
  return (await conn.query(QUERY)).map((r) => Object.values(r).map((v) => (typeof v === "bigint" ? Number(v) : v)));
}

describe("union_all sub-selects on SQLite", () => {
  const fixture = fixtureRun("with-union", { "encounters.csv": ENCOUNTERS }, ["--exclude", "encounter_codes"]);
  let sqlite;
  let duckdb;
  let first;

  beforeAll(async () => {
    await fixture.run("sq");
    await fixture.run("dk");
    sqlite = await fixture.connect("sq");
    duckdb = await fixture.connect("dk");
    first = await contents(sqlite);
  }, 120_000);

  afterAll(async () => {
    await sqlite?.close();
    await duckdb?.close();
  });

  it("writes every branch's rows, NULL where a branch leaves a column out", () => {
    expect(first).toEqual([
      ["e1", "start", "2020-01-10", 100.5, "outpatient", 9202],
      ["e2", "followup", "2020-01-06", null, "outpatient", 9202],
      ["e2", "start", "2020-01-05", 50, "inpatient", 9201],
      ["e3", "start", "2020-02-29", null, "emergency", 0],
    ]);
  });

  it("writes what DuckDB writes", async () => {
    expect(await contents(duckdb)).toEqual(first);
  });

  it("a second run changes nothing", async () => {
    await sqlite.close();
    await fixture.run("sq");
    sqlite = await fixture.connect("sq");
    expect(await contents(sqlite)).toEqual(first);
  }, 60_000);
});
