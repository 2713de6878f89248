/**
 * `spark`, a built-in provider, run by the CLI as a user runs it: a small ETL (a load read by Spark, the CDM DDL, a
 * merge assigning surrogate ids) on the real Spark Thrift server with Delta; `status` reads the run from its Delta
 * ledger; every table has the rows, ids and content of the same run on DuckDB; a second run leaves every table as
 * the first left it. Skipped where no Spark server answers, except with CI set (spark-server.ts). Kept to three steps
 * for its time (at load ~10 beside other Spark tests: 430 s; with the fixture's five steps, 695 s).
 */
import { createHash } from "node:crypto";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Connection } from "../../src/providers/provider-api.js";
import { duckdbProvider } from "../../src/providers/duckdb/index.js";
import { sparkProvider } from "../../src/providers/spark/index.js";
import { ensureBuilt, runCli, spawnCli } from "../orchestrators/helpers/cli.js";
import { orchestratorFixtures, tempDir, writeSyntheticSource } from "../orchestrators/helpers/harness.js";
import { specDir } from "../helpers/paths.js";
import { SPARK_HOST, SPARK_PORT, sparkRunsHere } from "../providers/helpers/spark-server.js";

const PREFIX = `cli_spark_${randomBytes(3).toString("hex")}`;
const SCHEMAS = { source: `${PREFIX}_source`, staging: `${PREFIX}_staging`, cdm: `${PREFIX}_cdm`, vocab: `${PREFIX}_cdm` };
const SPARK = { provider: "spark", host: SPARK_HOST, port: SPARK_PORT, schemas: SCHEMAS };
const DML = path.join(orchestratorFixtures, "etl", "dml");
/** The tables the workflow writes, by logical schema. */
const TABLES: readonly [string, string][] = [
  ["source", "patients"],
  ["staging", "omopetl_id_map"],
  ["cdm", "person"],
  ["cdm", "visit_occurrence"],
];

/** Order-independent hash of a table's rows as the connection returns them (values are alike across providers). */
async function contents(conn: Connection, quote: (schema: string, table: string) => string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [schema, table] of TABLES) {
    const rows = await conn.query(`SELECT * FROM ${quote(schema, table)}`);
    const lines = rows.map((r) => JSON.stringify(Object.keys(r).sort().map((k) => [k, r[k]]))).sort();
    out[`${schema}.${table}`] = `${rows.length} rows ${createHash("sha256").update(lines.join("\n")).digest("hex")}`;
  }
  return out;
}

const title = sparkRunsHere ? "omopetl run on a spark target" : `omopetl run on a spark target (skipped: no Spark Thrift server answers at ${SPARK_HOST}:${SPARK_PORT})`;

describe.skipIf(!sparkRunsHere)(title, () => {
  const dir = tempDir("omopetl-cli-spark-");
  const src = writeSyntheticSource(tempDir(), 12);
  // Spawned, not run synchronously: a run on Spark can outlast runCli's timeout on a loaded machine.
  const run = (target: string) => spawnCli(["run", "workflow.yaml", "--target", target, "-p", `source_dir=${src}`], { cwd: dir }).exited;
  let conn: Connection;

  beforeAll(async () => {
    await ensureBuilt();
    // The fixture ETL's person part (its slow sql step is DuckDB/PostgreSQL SQL: generate_series).
    const steps = ["load/patients.yaml", "cdm_tables.yaml", "person.yaml"];
    writeFileSync(path.join(dir, "workflow.yaml"), `name: spark_etl\ncdm_version: "5.4"\nparams:\n  source_dir: { type: path }\nsteps:\n${steps.map((s) => `  - dml: ${JSON.stringify(path.join(DML, s))}`).join("\n")}\n`);
    writeFileSync(path.join(dir, "omopetl.config.yaml"), `spec: { dir: ${JSON.stringify(specDir)} }\ntargets: ${JSON.stringify({ spark: SPARK, duck: { provider: "duckdb", path: "./omop.duckdb" } })}\n`);
    conn = await sparkProvider.connect!(SPARK);
  }, 120_000);
  afterAll(async () => {
    for (const s of new Set(Object.values(SCHEMAS))) await conn?.execute(`DROP SCHEMA IF EXISTS ${s} CASCADE`).catch(() => undefined);
    await conn?.close();
  }, 300_000);

  it("runs the workflow, status shows it, the tables equal DuckDB's, and a second run leaves them identical", async () => {
    const first = await run("spark");
    expect(first.code, first.stderr).toBe(0);
    const status = runCli(["status", "--target", "spark", "--json"], { cwd: dir });
    expect(status.code, status.stderr).toBe(0);
    expect((JSON.parse(status.stdout) as { runs: { status: string; workflow: string }[] }).runs).toMatchObject([{ status: "succeeded", workflow: "spark_etl" }]);
    // --all: every schema searched one by one (Spark has no catalog of every schema's tables); other runs of the
    // suite may have ledgers on the same server, so ours is looked for among them.
    const ours = (JSON.parse(status.stdout) as { runs: { runId: string }[] }).runs[0]!.runId;
    const all = runCli(["status", "--target", "spark", "--json", "--all"], { cwd: dir });
    expect(all.code, all.stderr).toBe(0);
    expect((JSON.parse(all.stdout) as { runs: { runId: string; status: string }[] }).runs).toContainEqual(expect.objectContaining({ runId: ours, status: "succeeded" }));
    const onSpark = await contents(conn, (s, t) => `${SCHEMAS[s as keyof typeof SCHEMAS]}.${t}`);
    expect(onSpark["cdm.person"]).toMatch(/^12 rows /);

    const duck = await run("duck");
    expect(duck.code, duck.stderr).toBe(0);
    const dc = await duckdbProvider.connect!({ provider: "duckdb", path: path.join(dir, "omop.duckdb") });
    try {
      expect(onSpark).toEqual(await contents(dc, (s, t) => `"${s}"."${t}"`));
    } finally {
      await dc.close();
    }

    const second = await run("spark");
    expect(second.code, second.stderr).toBe(0);
    expect(await contents(conn, (s, t) => `${SCHEMAS[s as keyof typeof SCHEMAS]}.${t}`)).toEqual(onSpark);
  }, 1_200_000);
});
