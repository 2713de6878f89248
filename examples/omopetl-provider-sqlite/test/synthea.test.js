/**
 * omopetl's standard Synthea -> CDM 5.4 workflow (resources/workflows/synthea-cdm54.yaml) run by omopetl's CLI on
 * SQLite, as a project that installed this provider runs it, and on the built-in DuckDB provider; every CDM and
 * vocabulary table must have the same content on both (an order-independent hash of its rows as each Connection
 * returns them).
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { duckdbProvider } from "omopetl/provider/duckdb";
import provider from "../src/index.js";
import { omopetlDir, packageDir, specDir, syntheaDir, vocabDir } from "./paths.js";

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const omopetlPackage = require.resolve("omopetl/package.json");
const cli = path.join(path.dirname(omopetlPackage), JSON.parse(readFileSync(omopetlPackage, "utf8")).bin.omopetl);
const workflow = path.join(omopetlDir, "resources/workflows/synthea-cdm54.yaml");

/** Physical schemas of the workflow's CDM and vocabulary tables (its `schemas:` defaults). */
const COMPARED_SCHEMAS = ["cdm", "vocab"];

/** Rows per CDM table on the shared data (omopetl's README, "What the Synthea workflow produces"). */
const EXPECTED_ROWS = { person: 27, observation_period: 27, visit_occurrence: 598, visit_detail: 604, condition_occurrence: 187, drug_exposure: 692, measurement: 545, observation: 818, condition_era: 177, drug_era: 6 };

/** Order-independent content hash of a table, as omopetl's own cross-engine tests compute it. */
async function tableHash(conn, qualified) {
  const rows = await conn.query(`SELECT * FROM ${qualified}`);
  const lines = rows.map((r) => JSON.stringify(Object.keys(r).sort().map((k) => [k, r[k]]))).sort();
  return { rows: rows.length, hash: createHash("sha256").update(lines.join("\n")).digest("hex") };
}

async function hashes(conn, tables) {
  const out = {};
  for (const [schema, name] of tables) out[`${schema}.${name}`] = await tableHash(conn, `"${schema}"."${name}"`);
  return out;
}

describe("the Synthea workflow on SQLite", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "omopetl-sqlite-synthea-"));
  const sqlitePath = path.join(dir, "omop.sqlite");
  const duckdbPath = path.join(dir, "omop.duckdb");
  let sqlite;
  let duckdb;
  let tables;
  let output;

  const omopetl = (target) =>
    run(process.execPath, [cli, "run", workflow, "--target", target, "--config", path.join(dir, "omopetl.config.yaml"), "--spec-dir", specDir, "-p", `source_dir=${syntheaDir}`, "-p", `vocab_dir=${vocabDir}`], {
      cwd: dir,
      maxBuffer: 64 * 1024 * 1024,
    });

  beforeAll(async () => {
    // The project's configuration names this package by path, as a project that installed it names it by name.
    writeFileSync(
      path.join(dir, "omopetl.config.yaml"),
      [
        `providers: [${JSON.stringify(path.join(packageDir, "src/index.js"))}]`,
        "targets:",
        `  sq: { provider: sqlite, path: ${JSON.stringify(sqlitePath)} }`,
        `  dk: { provider: duckdb, path: ${JSON.stringify(duckdbPath)} }`,
      ].join("\n"),
    );
    const r = await omopetl("sq");
    output = r.stdout + r.stderr;
    await omopetl("dk");
    sqlite = await provider.connect({ provider: "sqlite", path: sqlitePath });
    duckdb = await duckdbProvider.connect({ provider: "duckdb", path: duckdbPath });
    const list = await sqlite.query(
      `SELECT schema, name FROM pragma_table_list WHERE schema IN (${COMPARED_SCHEMAS.map((s) => `'${s}'`).join(", ")}) AND type = 'table' AND name NOT LIKE 'sqlite!_%' ESCAPE '!' ORDER BY schema, name`,
    );
    tables = list.map((r) => [r.schema, r.name]);
  }, 600_000);

  afterAll(async () => {
    await sqlite?.close();
    await duckdb?.close();
  });

  it("runs every step", () => {
    expect(output).toMatch(/\d+ ok · [\d,]+ rows/);
    expect(output).not.toMatch(/failed|skipped/);
  });

  it("writes the rows omopetl's README promises", async () => {
    const counts = {};
    for (const t of Object.keys(EXPECTED_ROWS)) counts[t] = (await sqlite.query(`SELECT count(*) AS n FROM "cdm"."${t}"`))[0].n;
    expect(counts).toEqual(EXPECTED_ROWS);
  });

  it("gives every CDM and vocabulary table the content DuckDB gives it", async () => {
    expect(tables.length).toBeGreaterThan(30);
    const onSqlite = await hashes(sqlite, tables);
    const onDuckdb = await hashes(duckdb, tables);
    const differ = Object.keys(onSqlite).filter((t) => onSqlite[t].hash !== onDuckdb[t].hash);
    expect(differ.map((t) => `${t}: ${onSqlite[t].rows} rows on SQLite, ${onDuckdb[t].rows} on DuckDB`)).toEqual([]);
  });
});
