/**
 * omopetl's union_all sub-selects and lets in a join's ON (the fixture test/fixtures/compile/with-union of the omopetl
 * repository, without its lookup step, which needs a vocabulary) run by omopetl's CLI on SQLite and on the built-in
 * DuckDB provider: the union's rows (NULL where a branch leaves a column out) joined to an inline map on a let are
 * the same on both, and a second run on SQLite changes nothing.
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
const workflow = path.join(omopetlDir, "test/fixtures/compile/with-union/workflow.yaml");

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
  const dir = mkdtempSync(path.join(os.tmpdir(), "omopetl-sqlite-with-union-"));
  const sqlitePath = path.join(dir, "wu.sqlite");
  const duckdbPath = path.join(dir, "wu.duckdb");
  let sqlite;
  let duckdb;
  let first;

  const omopetl = (target) =>
    run(
      process.execPath,
      [cli, "run", workflow, "--exclude", "encounter_codes", "--target", target, "--config", path.join(dir, "omopetl.config.yaml"), "--spec-dir", specDir, "-p", `source_dir=${dir}`],
      { cwd: dir },
    );

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
    await omopetl("sq");
    sqlite = await provider.connect({ provider: "sqlite", path: sqlitePath });
    expect(await contents(sqlite)).toEqual(first);
  }, 60_000);
});
