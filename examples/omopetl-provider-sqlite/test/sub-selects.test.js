/**
 * omopetl's `with:` sub-selects (the fixture test/fixtures/compile/sub-selects of the omopetl repository) run by
 * omopetl's CLI on SQLite and on the built-in DuckDB provider: the first row per key, a window over a window then an
 * aggregate over it, and a sub-select read by two union selects write the same rows on both, and a second run on
 * SQLite changes nothing. SQLite inherits the rendering (WITH ... AS (...) before the selects) from omopetl's base
 * generator.
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
const workflow = path.join(omopetlDir, "test/fixtures/compile/sub-selects/workflow.yaml");

const ENCOUNTERS = `id,patient,start,cost,class
e1,p1,2020-01-10,100.5,outpatient
e2,p1,2020-01-05,50,inpatient
e3,p1,2020-01-05,70,inpatient
e4,p1,2020-03-01,20,outpatient
e5,p2,2021-06-01,10,outpatient
e6,p2,2021-06-01,30,outpatient
e7,p2,2021-06-20,25,inpatient
e8,p3,2019-12-31,5,outpatient
`;

/** The written tables, ordered, with numbers and dates as text so both engines' values compare. */
const QUERIES = {
  first_encounter: "SELECT encounter_id, patient, CAST(start AS VARCHAR) AS start, row_id FROM staging.first_encounter ORDER BY encounter_id",
  episodes: "SELECT patient, episode, CAST(first_day AS VARCHAR) AS first_day, CAST(last_day AS VARCHAR) AS last_day, encounters FROM staging.episodes ORDER BY patient, episode",
  patient_cost: "SELECT patient, item, amount, total FROM staging.patient_cost ORDER BY patient, item",
};

async function contents(conn) {
  const out = {};
  for (const [t, sql] of Object.entries(QUERIES)) out[t] = (await conn.query(sql)).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === "bigint" ? Number(v) : v])));
  return out;
}

describe("with: sub-selects on SQLite", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "omopetl-sqlite-subselects-"));
  const sqlitePath = path.join(dir, "sub.sqlite");
  const duckdbPath = path.join(dir, "sub.duckdb");
  let sqlite;
  let duckdb;
  let first;

  const omopetl = (target) =>
    run(process.execPath, [cli, "run", workflow, "--target", target, "--config", path.join(dir, "omopetl.config.yaml"), "--spec-dir", specDir, "-p", `source_dir=${dir}`], { cwd: dir });

  beforeAll(async () => {
    writeFileSync(path.join(dir, "encounters.csv"), ENCOUNTERS);
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

  it("writes the expected rows", () => {
    expect(first.first_encounter).toEqual([
      { encounter_id: "e2", patient: "p1", start: "2020-01-05", row_id: 1 },
      { encounter_id: "e5", patient: "p2", start: "2021-06-01", row_id: 2 },
      { encounter_id: "e8", patient: "p3", start: "2019-12-31", row_id: 3 },
    ]);
    expect(first.episodes.map((r) => [r.patient, Number(r.episode), r.first_day, r.last_day, Number(r.encounters)])).toEqual([
      ["p1", 1, "2020-01-05", "2020-01-10", 3],
      ["p1", 2, "2020-03-01", "2020-03-01", 1],
      ["p2", 1, "2021-06-01", "2021-06-20", 3],
      ["p3", 1, "2019-12-31", "2019-12-31", 1],
    ]);
    expect(first.patient_cost).toHaveLength(11);
    expect(first.patient_cost.filter((r) => r.item === "total").map((r) => [r.patient, r.amount])).toEqual([["p1", 240.5], ["p2", 65], ["p3", 5]]);
  });

  it("writes what DuckDB writes", async () => {
    expect(await contents(duckdb)).toEqual(first);
  });

  it("a second run changes nothing", async () => {
    await sqlite.close();
    await omopetl("sq");
    sqlite = await provider.connect({ provider: "sqlite", path: sqlitePath });
    expect(await contents(sqlite)).toEqual(first);
  }, 60_000);
});
