import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Connection } from "../../src/providers/provider-api.js";
import { duckdbProvider } from "../../src/providers/duckdb/index.js";
import { postgresProvider } from "../../src/providers/postgres/index.js";
import { runCli } from "../helpers/cli.js";
import { specDir } from "../helpers/paths.js";
import { PG_URL } from "../helpers/postgres-server.js";

/**
 * Parameters in `kind: sql` are values (issue 14, problem 3): the injection of the issue, pasted as --param into a
 * sql step, must create nothing and land verbatim as a string on DuckDB and PostgreSQL; the quoted form of the
 * issue is refused at compile time; a raw splice works only for a parameter bounded by a pattern.
 */
const prefix = `sqlp_${process.pid}_${Date.now().toString(36)}`;
const stage = `${prefix}_stage`;
const injection = `x' AS tag; CREATE TABLE ${stage}.pwned (i INTEGER); SELECT 'y`;

let dir: string;
const engines = ["duckdb", "pg"] as const;

function connect(engine: (typeof engines)[number]): Promise<Connection> {
  return engine === "duckdb"
    ? duckdbProvider.connect!({ provider: "duckdb", path: path.join(dir, "omop.duckdb") })
    : postgresProvider.connect!({ provider: "postgres", url: PG_URL, retries: 0 });
}

async function tablesIn(engine: (typeof engines)[number]): Promise<string[]> {
  const conn = await connect(engine);
  try {
    const rows = await conn.query<{ t: string }>(`SELECT table_name AS t FROM information_schema.tables WHERE table_schema = '${stage}' ORDER BY 1`);
    return rows.map((r) => r.t);
  } finally {
    await conn.close();
  }
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "omopetl-sqlp-"));
  mkdirSync(path.join(dir, "dml"));
  const workflow = (dml: string) =>
    [
      "name: sqlp",
      'cdm_version: "5.4"',
      "params:",
      "  tag: { type: string, default: plain }",
      "  n: { type: integer, default: 3 }",
      '  suffix: { type: string, default: a, pattern: "[a-z]+" }',
      "steps:",
      `  - dml: dml/${dml}.yaml`,
      "",
    ].join("\n");
  writeFileSync(path.join(dir, "values.yaml"), workflow("values"));
  writeFileSync(path.join(dir, "quoted.yaml"), workflow("quoted"));
  writeFileSync(path.join(dir, "raw.yaml"), workflow("raw"));
  writeFileSync(
    path.join(dir, "dml/values.yaml"),
    [
      "kind: sql",
      "writes: [{ table: staging.tagged, columns: { tag: varchar, n: integer } }]",
      "sql:",
      "  - DROP TABLE IF EXISTS ${schemas.staging}.tagged",
      "  - CREATE TABLE ${schemas.staging}.tagged AS SELECT ${params.tag} AS tag, ${params.n} AS n",
      "",
    ].join("\n"),
  );
  writeFileSync(
    path.join(dir, "dml/quoted.yaml"),
    "kind: sql\nwrites: [staging.quoted]\nsql: CREATE TABLE ${schemas.staging}.quoted AS SELECT '${params.tag}' AS tag\n",
  );
  writeFileSync(
    path.join(dir, "dml/raw.yaml"),
    "kind: sql\nwrites: [staging.t_a]\nsql:\n  - DROP TABLE IF EXISTS ${schemas.staging}.t_${raw:params.suffix}\n  - CREATE TABLE ${schemas.staging}.t_${raw:params.suffix} AS SELECT 1 AS one\n",
  );
  const schemas = { source: `${prefix}_src`, staging: stage, cdm: `${prefix}_cdm`, vocab: `${prefix}_cdm` };
  const targets = {
    duckdb: { provider: "duckdb", path: "./omop.duckdb", schemas },
    pg: { provider: "postgres", url: PG_URL, retries: 0, schemas },
  };
  writeFileSync(path.join(dir, "omopetl.config.yaml"), `spec: { dir: ${JSON.stringify(specDir)} }\ntargets: ${JSON.stringify(targets)}\n`);
});

afterAll(async () => {
  const conn = await connect("pg");
  try {
    for (const s of ["src", "stage", "cdm"]) await conn.execute(`DROP SCHEMA IF EXISTS "${prefix}_${s}" CASCADE`);
  } finally {
    await conn.close();
  }
});

const cli = (args: string[]) => runCli(args, { cwd: dir });

describe("parameters in kind: sql are values", () => {
  for (const engine of engines) {
    it(`${engine}: the issue's injection creates nothing and is stored verbatim as a string`, async () => {
      const r = cli(["run", "values.yaml", "--target", engine, "-p", `tag=${injection}`, "-p", "n=42"]);
      expect(r.code, r.stderr).toBe(0);
      expect(await tablesIn(engine)).not.toContain("pwned");
      const conn = await connect(engine);
      try {
        expect(await conn.query(`SELECT tag, n FROM ${stage}.tagged`)).toEqual([{ tag: injection, n: 42 }]);
      } finally {
        await conn.close();
      }
    });

    it(`${engine}: the quoted form of the issue is refused before anything runs`, async () => {
      const r = cli(["run", "quoted.yaml", "--target", engine, "-p", `tag=${injection}`]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/dml\/quoted\.yaml:3:56 error PARAM_IN_QUOTES: \$\{params\.tag\} stands inside a quoted string/);
      expect(r.stderr).toMatch(/Remove the quotes around it/);
      expect(r.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
      const tables = await tablesIn(engine);
      expect(tables).not.toContain("pwned");
      expect(tables).not.toContain("quoted");
    });

    it(`${engine}: a raw splice works for a parameter bounded by a pattern, and refuses a value outside it`, async () => {
      const ok = cli(["run", "raw.yaml", "--target", engine, "-p", "suffix=a"]);
      expect(ok.code, ok.stderr).toBe(0);
      expect(await tablesIn(engine)).toContain("t_a");
      const bad = cli(["run", "raw.yaml", "--target", engine, "-p", `suffix=a (i INTEGER); CREATE TABLE ${stage}.pwned`]);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/error PARAM_VALUE: parameter "suffix" got .* which does not match the pattern "\[a-z\]\+"/);
      expect(await tablesIn(engine)).not.toContain("pwned");
    });
  }

  it("validate warns about a raw splice", () => {
    const r = cli(["validate", "raw.yaml"]);
    expect(r.code).toBe(0);
    expect(r.stderr + r.stdout).toMatch(/dml\/raw\.yaml:4:\d+ warning RAW_PARAM_SPLICE/);
  });
});
