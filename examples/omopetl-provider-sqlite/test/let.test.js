/**
 * omopetl's `let:` named expressions (the fixture test/fixtures/compile/let of the omopetl repository) run by
 * omopetl's CLI on SQLite and on the built-in DuckDB provider: lets in where, group_by, columns and qualify, output
 * columns used by name, and a window value as an id key through a sub-select write the same rows on both, and a
 * second run on SQLite changes nothing. Lets are expanded by the compiler: SQLite renders plain expressions.
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
const workflow = path.join(omopetlDir, "test/fixtures/compile/let/workflow.yaml");

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
  cost_bands: "SELECT patient, band, encounters, total, mean FROM staging.cost_bands ORDER BY patient, band",
  visit_numbers: "SELECT encounter_id, patient, visit_no, gap_days, CASE WHEN is_last THEN 1 ELSE 0 END AS is_last, visit_id FROM staging.visit_numbers ORDER BY encounter_id",
};

async function contents(conn) {
  const out = {};
  for (const [t, sql] of Object.entries(QUERIES)) out[t] = (await conn.query(sql)).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === "bigint" ? Number(v) : v])));
  return out;
}

describe("let: named expressions on SQLite", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "omopetl-sqlite-let-"));
  const sqlitePath = path.join(dir, "let.sqlite");
  const duckdbPath = path.join(dir, "let.duckdb");
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
    const num = (rows) => rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v])));
    expect(num(first.cost_bands)).toEqual([
      { patient: "p1", band: "high", encounters: 3, total: 220.5, mean: 73.5 },
      { patient: "p1", band: "low", encounters: 1, total: 20, mean: 20 },
      { patient: "p2", band: "low", encounters: 3, total: 65, mean: 21.67 },
    ]);
    expect(num(first.visit_numbers).map((r) => [r.encounter_id, r.visit_no, r.gap_days, r.is_last, r.visit_id])).toEqual([
      ["e2", 1, 0, 0, 1],
      ["e4", 4, 51, 1, 4],
      ["e5", 1, 0, 0, 5],
      ["e7", 3, 19, 1, 7],
      ["e8", 1, 0, 1, 8],
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
