/**
 * omopetl's `values:` inline tables and selects without from (the fixture test/fixtures/compile/values of the
 * omopetl repository) run by omopetl's CLI on SQLite and on the built-in DuckDB provider: an inline code map joined,
 * a one-row select in a union, a sub-select reading an inline table and a join on range(1, 3) write the same rows on
 * both, and a second run
 * on SQLite changes nothing. The VALUES are declared in WITH clauses, which name their columns on SQLite too.
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
const workflow = path.join(omopetlDir, "test/fixtures/compile/values/workflow.yaml");

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
  visit_classes: "SELECT id, concept_id, weighted_cost FROM staging.visit_classes ORDER BY id",
  class_counts: "SELECT class, concept_id, CAST(since AS VARCHAR) AS since, encounters FROM staging.class_counts ORDER BY class",
  encounter_slots: "SELECT id, slot FROM staging.encounter_slots ORDER BY id, slot",
};

async function contents(conn) {
  const out = {};
  for (const [t, sql] of Object.entries(QUERIES)) out[t] = (await conn.query(sql)).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === "bigint" ? Number(v) : v])));
  return out;
}

describe("values: inline tables on SQLite", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "omopetl-sqlite-values-"));
  const sqlitePath = path.join(dir, "values.sqlite");
  const duckdbPath = path.join(dir, "values.duckdb");
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
    const num = (rows) => rows.map((r) => Object.values(r).map((v) => (typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v)));
    expect(num(first.visit_classes)).toEqual([
      ["e1", 9202, 100.5],
      ["e2", 9201, 75],
      ["e3", 9201, 105],
      ["e4", 9202, 20],
      ["e5", 9202, 10],
      ["e6", 9202, 30],
      ["e7", 9201, 37.5],
      ["e8", 9202, 5],
      ["none", 0, 0],
    ]);
    expect(num(first.class_counts)).toEqual([
      ["emergency", 9203, null, 0],
      ["inpatient", 9201, "2000-01-01", 3],
      ["outpatient", 9202, "2000-01-01", 5],
    ]);
    // range(1, 3): three slots per inpatient encounter, one per other.
    expect(num(first.encounter_slots).map(([id, slot]) => `${id}:${slot}`)).toEqual(["e1:1", "e2:1", "e2:2", "e2:3", "e3:1", "e3:2", "e3:3", "e4:1", "e5:1", "e6:1", "e7:1", "e7:2", "e7:3", "e8:1"]);
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
