import { chmodSync, cpSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { fixturesDir } from "../helpers/paths.js";
import { dropPgSchemas, ENGINES, engineSchemas, queryEngine, writeTwoEngineConfig, type EngineName } from "../helpers/two-engines.js";

/**
 * A re-run equals a fresh run after a load's declaration changed (issue 13, problem 7): the table of a non-CDM load
 * was created with CREATE TABLE IF NOT EXISTS, so after `amt: varchar` became `code: varchar` and `id: varchar`
 * became `id: integer`, the re-run kept the old shape (and failed or kept VARCHAR ids). Now a load recreates its
 * non-CDM target at every run. On each engine, a database that ran the old declaration and a fresh one run the new
 * declaration; their columns (names, types) and rows are compared. Fixture: test/fixtures/loads/redeclared.
 */
const stamp = `${process.pid}_${Date.now().toString(36)}`;
const dirs: { old: string; fresh: string } = { old: "", fresh: "" };
const prefixOf = (which: "old" | "fresh") => `lred_${which}_${stamp}`;

function setUp(which: "old" | "fresh"): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `omopetl-lred-${which}-`));
  cpSync(path.join(fixturesDir, "loads/redeclared"), dir, { recursive: true });
  chmodSync(dir, 0o755); // the PostgreSQL server reads the files itself
  chmodSync(path.join(dir, "data"), 0o755);
  writeTwoEngineConfig(dir, prefixOf(which));
  return dir;
}

const OLD_DECLARATION = "kind: load\ntarget: source.claims\nfiles: ../data/claims.csv\ncolumns: { id: varchar, amt: varchar }\n";
const NEW_DECLARATION = "kind: load\ntarget: source.claims\nfiles: ../data/claims.csv\ncolumns: { id: integer, code: varchar }\n";

async function shape(which: "old" | "fresh", engine: EngineName): Promise<unknown> {
  const dir = dirs[which];
  const schema = engineSchemas(prefixOf(which), engine).source;
  const columns = await queryEngine(
    dir,
    engine,
    `SELECT column_name AS name, lower(data_type) AS type FROM information_schema.columns WHERE table_schema = '${schema}' AND table_name = 'claims' ORDER BY ordinal_position`,
  );
  const rows = await queryEngine(dir, engine, `SELECT CAST(id + 0 AS VARCHAR) AS id, code FROM ${schema}.claims ORDER BY id`);
  return { columns, rows };
}

beforeAll(() => {
  dirs.old = setUp("old");
  dirs.fresh = setUp("fresh");
  writeFileSync(path.join(dirs.fresh, "dml/claims.yaml"), NEW_DECLARATION);
});

afterAll(async () => {
  await dropPgSchemas(dirs.old, prefixOf("old"));
  await dropPgSchemas(dirs.fresh, prefixOf("fresh"));
});

describe("a load whose declaration changed recreates its table", () => {
  for (const engine of ENGINES) {
    it(`${engine}: re-run on the database of the old declaration equals a fresh run`, async () => {
      writeFileSync(path.join(dirs.old, "dml/claims.yaml"), OLD_DECLARATION);
      const first = runCli(["run", "workflow.yaml", "--target", engine], { cwd: dirs.old });
      expect(first.code, first.stderr).toBe(0);
      writeFileSync(path.join(dirs.old, "dml/claims.yaml"), NEW_DECLARATION);
      const rerun = runCli(["run", "workflow.yaml", "--target", engine], { cwd: dirs.old });
      expect(rerun.code, rerun.stderr).toBe(0);
      const fresh = runCli(["run", "workflow.yaml", "--target", engine], { cwd: dirs.fresh });
      expect(fresh.code, fresh.stderr).toBe(0);
      const old = await shape("old", engine);
      expect(old).toEqual(await shape("fresh", engine));
      expect((old as { rows: unknown }).rows).toEqual([
        { id: "1", code: "A" },
        { id: "2", code: "B" },
      ]);
      expect((old as { columns: { name: string }[] }).columns.map((c) => c.name)).toEqual(["id", "code"]);
    });
  }
});
