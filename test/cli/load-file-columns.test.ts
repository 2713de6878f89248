import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { dropPgSchemas, ENGINES, engineSchemas, queryEngine, writeTwoEngineConfig, type EngineName } from "../helpers/two-engines.js";

/**
 * SynPUF's beneficiary year is only in its file names (DE1_0_2008_Beneficiary_Summary_File_Sample_1.csv): one load
 * of all the years with `file_columns` (the file's name, and the year captured from it) instead of a load per year
 * and a union step. The same rows on DuckDB and PostgreSQL, a re-run equal to a fresh run; a file name the pattern
 * does not match fails the load with the same message on both, and misuse is located at compile time.
 */
const prefix = `lfc_${process.pid}_${Date.now().toString(36)}`;
let dir: string;

const file = (year: number) => `DE1_0_${year}_Beneficiary_Summary_File_Sample_1.csv`;
const rows = (year: number, ids: string[]) => ["DESYNPUF_ID,BENE_BIRTH_DT", ...ids.map((id) => `${id},1923050${year % 10}`)].join("\n") + "\n";

const LOAD = `kind: load
target: source.beneficiary
files: ../data/DE1_0_*_Beneficiary_Summary_File_Sample_1.csv
columns: { desynpuf_id: varchar, bene_birth_dt: varchar }
file_columns:
  source_file: name
  year: { pattern: '^DE1_0_([0-9]{4})_' }
`;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "omopetl-lfc-"));
  chmodSync(dir, 0o755); // the PostgreSQL server reads the files itself, as its own user
  mkdirSync(path.join(dir, "dml"));
  mkdirSync(path.join(dir, "data"));
  writeFileSync(path.join(dir, `data/${file(2008)}`), rows(2008, ["A1", "B2"]));
  writeFileSync(path.join(dir, `data/${file(2009)}`), rows(2009, ["A1"]));
  writeFileSync(path.join(dir, "workflow.yaml"), 'name: fc\ncdm_version: "5.4"\nsteps:\n  - dml: dml/beneficiary.yaml\n');
  writeFileSync(path.join(dir, "dml/beneficiary.yaml"), LOAD);
  writeTwoEngineConfig(dir, prefix);
});

afterAll(() => dropPgSchemas(dir, prefix));

const cli = (args: string[]) => runCli(args, { cwd: dir });
const query = (engine: EngineName, sql: string) => queryEngine(dir, engine, sql);

describe("file_columns: the file a row came from, and a value captured from its name", () => {
  const tables: Partial<Record<EngineName, unknown>> = {};
  for (const engine of ENGINES) {
    it(`${engine}: every row carries its file's name and year, run after run`, async () => {
      const s = engineSchemas(prefix, engine);
      const read = () => query(engine, `SELECT year, desynpuf_id, source_file, bene_birth_dt FROM ${s.source}.beneficiary ORDER BY year, desynpuf_id`);
      const first = cli(["run", "workflow.yaml", "--target", engine]);
      expect(first.code, first.stderr).toBe(0);
      const fresh = await read();
      expect(fresh).toEqual([
        { year: "2008", desynpuf_id: "A1", source_file: file(2008), bene_birth_dt: "19230508" },
        { year: "2008", desynpuf_id: "B2", source_file: file(2008), bene_birth_dt: "19230508" },
        { year: "2009", desynpuf_id: "A1", source_file: file(2009), bene_birth_dt: "19230509" },
      ]);
      const again = cli(["run", "workflow.yaml", "--target", engine]);
      expect(again.code, again.stderr).toBe(0);
      expect(await read()).toEqual(fresh);
      tables[engine] = fresh;
    });
  }

  it("both engines wrote the same table", () => {
    expect(tables.pg).toBeDefined();
    expect(tables.pg).toEqual(tables.duckdb);
  });

  const errors: Partial<Record<EngineName, string>> = {};
  for (const engine of ENGINES) {
    it(`${engine}: a file name the pattern does not match fails the load, and the table keeps its rows`, async () => {
      const s = engineSchemas(prefix, engine);
      const before = await query(engine, `SELECT count(*) AS n FROM ${s.source}.beneficiary`);
      const odd = path.join(dir, "data/DE1_0_20XX_Beneficiary_Summary_File_Sample_1.csv");
      writeFileSync(odd, rows(2010, ["C3"]));
      try {
        const r = cli(["run", "workflow.yaml", "--target", engine]);
        expect(r.code).toBe(1);
        const m = /LOAD_FILE_NAME: [^\n]*?rename the file\./.exec(r.stderr);
        expect(m?.[0]).toBe(
          'LOAD_FILE_NAME: the name of the file "DE1_0_20XX_Beneficiary_Summary_File_Sample_1.csv" does not match the pattern "^DE1_0_([0-9]{4})_" of file column year. Fix the pattern under the load\'s file_columns, or rename the file.',
        );
        expect(r.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
        errors[engine] = m![0];
        expect(await query(engine, `SELECT count(*) AS n FROM ${s.source}.beneficiary`)).toEqual(before);
      } finally {
        rmSync(odd);
      }
    });
  }

  it("both engines refused with the same message", () => {
    expect(errors.duckdb).toBeDefined();
    expect(errors.pg).toBe(errors.duckdb);
  });

  it("validate: a pattern engines would capture differently, and a file column named like a column, are located", () => {
    writeFileSync(path.join(dir, "dml/beneficiary.yaml"), LOAD.replace("'^DE1_0_([0-9]{4})_'", "'_(2008|2009)_'").replace("source_file: name", "desynpuf_id: name"));
    const r = cli(["validate", "workflow.yaml"]);
    writeFileSync(path.join(dir, "dml/beneficiary.yaml"), LOAD);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('dml/beneficiary.yaml:7:20 error FILE_COLUMN_INVALID: the pattern "_(2008|2009)_" of file column "year" has "|", for which engines capture different text.');
    expect(r.stderr).toContain('dml/beneficiary.yaml:6:3 error FILE_COLUMN_INVALID: file column "desynpuf_id" has the name of a column of the files.');
  });
});
