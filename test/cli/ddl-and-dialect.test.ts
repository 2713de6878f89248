import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { duckdbProvider } from "../../src/providers/duckdb/index.js";
import { postgresProvider } from "../../src/providers/postgres/index.js";
import { runCli } from "../helpers/cli.js";
import { fixturesDir, specDir } from "../helpers/paths.js";
import { PG_URL, uniqueTag } from "../providers/helpers/engines.js";

const spec = ["--spec-dir", specDir];

describe("omopetl ddl", () => {
  it("prints PostgreSQL DDL for every CDM 5.4 table that executes as printed (piped like psql -f)", async () => {
    const schema = `t_ddl_${uniqueTag()}`;
    const r = runCli(["ddl", "--dialect", "postgres", "--schema", schema, ...spec]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/CREATE TABLE IF NOT EXISTS .*\.person \(/);
    const conn = await postgresProvider.connect!({ provider: "postgres", url: PG_URL, retries: 0 });
    try {
      await conn.execute(r.stdout);
      const [t] = await conn.query<{ n: string }>(`SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = '${schema}'`);
      expect(Number(t!.n)).toBe(39);
      const [pk] = await conn.query<{ n: string }>(`SELECT count(*) AS n FROM pg_constraint c JOIN pg_namespace s ON s.oid = c.connamespace WHERE s.nspname = '${schema}' AND c.contype = 'p'`);
      expect(Number(pk!.n)).toBeGreaterThan(20);
      const [fk] = await conn.query<{ n: string }>(`SELECT count(*) AS n FROM pg_constraint c JOIN pg_namespace s ON s.oid = c.connamespace WHERE s.nspname = '${schema}' AND c.contype = 'f'`);
      expect(Number(fk!.n)).toBeGreaterThan(100);
      const cols = await conn.query<{ column_name: string; data_type: string; is_nullable: string }>(
        `SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = '${schema}' AND table_name = 'note_nlp' ORDER BY ordinal_position`,
      );
      expect(cols.find((c) => c.column_name === "offset")).toMatchObject({ data_type: "character varying", is_nullable: "YES" });
      // Re-running the printed DDL is harmless (idempotent).
      await conn.execute(r.stdout);
    } finally {
      await conn.execute(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await conn.close();
    }
  });

  it("prints DuckDB DDL that executes, with what DuckDB cannot run left as a comment", async () => {
    const r = runCli(["ddl", "--dialect", "duckdb", ...spec]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^-- .*FOREIGN KEY/im);
    const conn = await duckdbProvider.connect!({ provider: "duckdb", path: ":memory:" });
    try {
      await conn.execute(r.stdout);
      const [t] = await conn.query<{ n: string | number }>("SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'cdm'");
      expect(Number(t!.n)).toBe(39);
    } finally {
      await conn.close();
    }
  });
});

describe("omopetl compile --dialect", () => {
  it("embeds each step's SQL and writes one readable .sql file per step", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "omopetl-sql-"));
    const r = runCli(["compile", path.join(fixturesDir, "compile/features/workflow.yaml"), "--dialect", "postgres", "--sql-dir", dir, "-o", path.join(dir, "plan.json"), ...spec, "-p", "source_dir=/data/s", "-p", "vocab_dir=/data/v"]);
    // The features workflow loads parquet, which PostgreSQL cannot read: an UNSUPPORTED_FEATURE error, not other SQL.
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/UNSUPPORTED_FEATURE/);

    const ok = runCli(["compile", path.join(fixturesDir, "compile/basic/workflow.yaml"), "--dialect", "postgres", "--sql-dir", dir, "-o", path.join(dir, "plan.json"), ...spec]);
    expect(ok.stderr).toMatch(/wrote 6 \.sql files/);
    expect(ok.code).toBe(0);
    const files = readdirSync(dir).filter((f) => f.endsWith(".sql")).sort();
    expect(files).toEqual(["001_cdm_tables.sql", "002_encounters.sql", "003_patients.sql", "004_person.sql", "005_stage_visits.sql", "006_visit_occurrence.sql"]);
    expect(readFileSync(path.join(dir, "001_cdm_tables.sql"), "utf8")).toMatch(/CREATE TABLE/);
    expect(readFileSync(path.join(dir, "004_person.sql"), "utf8")).toMatch(/MERGE INTO/);
    const plan = JSON.parse(readFileSync(path.join(dir, "plan.json"), "utf8"));
    expect(plan.dialect).toBe("postgres");
    expect(plan.steps.every((s: { sql?: string[] }) => Array.isArray(s.sql) && s.sql.length > 0)).toBe(true);
  });
});
