import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { dropPgSchemas, ENGINES, engineSchemas, queryEngine, writeTwoEngineConfig, type EngineName } from "../helpers/two-engines.js";

/**
 * TABLE_MISSING: before its first statement, a run checks on the engine that every table its steps need exists or
 * is created by one of them. A `--select`ed step whose input was never built used to fail with the engine's own
 * "Table ... does not exist" (issue 13, problem 5); now the run stops with exit 1, nothing written, naming the table,
 * the step that needs it and the step that would create it. On DuckDB and PostgreSQL.
 */
const prefix = `tmiss_${process.pid}_${Date.now().toString(36)}`;
let dir: string;
const query = (engine: EngineName, sql: string) => queryEngine(dir, engine, sql);

/** The tables in the test's schemas on `engine` (the ledger included: a refused run writes nothing at all). */
async function tablesOf(engine: EngineName): Promise<string[]> {
  const s = engineSchemas(prefix, engine);
  const rows = await query(
    engine,
    `SELECT table_schema || '.' || table_name AS t FROM information_schema.tables WHERE table_schema IN ('${s.source}', '${s.staging}', '${s.cdm}') ORDER BY 1`,
  );
  return rows.map((r) => String(r.t));
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "omopetl-tmiss-"));
  chmodSync(dir, 0o755); // the PostgreSQL server reads the files itself, as its own user
  mkdirSync(path.join(dir, "dml"));
  mkdirSync(path.join(dir, "data"));
  writeFileSync(path.join(dir, "data/claims.csv"), "claim_id,patient,amount\nc1,p1,10\nc2,p1,5\nc3,p2,7\n");
  writeFileSync(
    path.join(dir, "workflow.yaml"),
    'name: tmiss\ncdm_version: "5.4"\nsteps:\n  - dml: dml/claims.yaml\n  - dml: dml/claim_totals.yaml\n  - dml: dml/big_patients.yaml\n',
  );
  writeFileSync(path.join(dir, "dml/claims.yaml"), "kind: load\ntarget: source.claims\nfiles: ../data/claims.csv\ncolumns: { claim_id: varchar, patient: varchar, amount: integer }\n");
  writeFileSync(
    path.join(dir, "dml/claim_totals.yaml"),
    "kind: transform\ntarget: staging.claim_totals\nmode: rebuild\nfrom: source.claims AS c\ngroup_by: [c.patient]\ncolumns:\n  patient: c.patient\n  total: sum(c.amount)\n",
  );
  writeFileSync(
    path.join(dir, "dml/big_patients.yaml"),
    "kind: transform\ntarget: staging.big_patients\nmode: rebuild\nfrom: staging.claim_totals AS t\nwhere: t.total > 8\ncolumns:\n  patient: t.patient\n",
  );
  // A workflow reading a table declared external, which nobody created.
  writeFileSync(
    path.join(dir, "external.yaml"),
    'name: tmiss_external\ncdm_version: "5.4"\nexternal: [source.legacy_ids]\nsteps:\n  - dml: dml/legacy.yaml\n',
  );
  writeFileSync(path.join(dir, "dml/legacy.yaml"), "kind: transform\ntarget: staging.legacy_copy\nmode: rebuild\nfrom: source.legacy_ids AS l\ncolumns:\n  id: CAST(l.id AS varchar)\n");
  writeTwoEngineConfig(dir, prefix);
});

afterAll(() => dropPgSchemas(dir, prefix));

describe("a run checks that the tables its steps need exist", () => {
  for (const engine of ENGINES) {
    it(`${engine}: a selected step whose input no selected step creates stops the run before its first statement`, async () => {
      const r = runCli(["run", "workflow.yaml", "--target", engine, "-s", "big_patients"], { cwd: dir });
      expect(r.code, r.stderr).toBe(1);
      const s = engineSchemas(prefix, engine);
      expect(r.stderr).toContain(
        `error TABLE_MISSING: ${s.staging}.claim_totals (staging.claim_totals), needed by step "big_patients" (dml/big_patients.yaml), does not exist on the target and is created by step "claim_totals" (dml/claim_totals.yaml), which this run does not include. Nothing was run.`,
      );
      expect(r.stderr).toContain("Run it first or select it too (e.g. -s claim_totals ... or -s +big_patients).");
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(await tablesOf(engine), "nothing written, not even the run ledger").toEqual([]);
    });

    it(`${engine}: selecting the creators too runs; afterwards the step alone runs, its input being there`, async () => {
      const all = runCli(["run", "workflow.yaml", "--target", engine, "-s", "+big_patients"], { cwd: dir });
      expect(all.code, all.stderr).toBe(0);
      const alone = runCli(["run", "workflow.yaml", "--target", engine, "-s", "big_patients"], { cwd: dir });
      expect(alone.code, alone.stderr).toBe(0);
      const rows = await query(engine, `SELECT patient FROM ${engineSchemas(prefix, engine).staging}.big_patients ORDER BY patient`);
      expect(rows).toEqual([{ patient: "p1" }]);
    });

    it(`${engine}: an external table that does not exist is named, with no creating step`, async () => {
      const r = runCli(["run", "external.yaml", "--target", engine], { cwd: dir });
      expect(r.code, r.stderr).toBe(1);
      const s = engineSchemas(prefix, engine);
      expect(r.stderr).toContain(
        `error TABLE_MISSING: ${s.source}.legacy_ids (source.legacy_ids), needed by step "legacy" (dml/legacy.yaml), does not exist on the target: no step of the workflow creates it (declared external?). Nothing was run.`,
      );
      const [n] = await query(engine, `SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'legacy_copy' AND table_schema = '${s.staging}'`);
      expect(Number(n!.n), "nothing written").toBe(0);
    });
  }
});
