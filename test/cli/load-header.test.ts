import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { dropPgSchemas, ENGINES, engineSchemas, queryEngine, writeTwoEngineConfig, type EngineName } from "../helpers/two-engines.js";

/**
 * A declared load column that is not in the file (issue 13, problem 2): `columns: { icd9code: varchar }` for a file
 * whose header says ICD9_CODE validated, ran and loaded NULL codes. Now `validate` locates it with a did-you-mean,
 * and a file that changes after compiling is refused by the engine itself, with the same message on DuckDB and
 * PostgreSQL, leaving the table as it was.
 */
const prefix = `lhdr_${process.pid}_${Date.now().toString(36)}`;
const engines = ENGINES;
let dir: string;

const GOOD = "ROW_ID,SUBJECT_ID,ICD9_CODE\n1,10,E8791\n2,11,4019\n";
const RENAMED = "ROW_ID,SUBJECT_ID,ICD9_CODE_X\n1,10,E8791\n2,11,4019\n3,12,V100\n";

const schemasOf = (engine: EngineName) => engineSchemas(prefix, engine);
const query = (engine: EngineName, sql: string) => queryEngine(dir, engine, sql);

const writeDml = (column: string) =>
  writeFileSync(
    path.join(dir, "dml/diagnoses.yaml"),
    `kind: load\ntarget: source.diagnoses\nfiles: ../data/diagnoses.csv\ncolumns:\n  row_id: integer\n  subject_id: integer\n  ${column}: varchar\n`,
  );

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "omopetl-lhdr-"));
  chmodSync(dir, 0o755); // the PostgreSQL server reads the file itself, as its own user
  mkdirSync(path.join(dir, "dml"));
  mkdirSync(path.join(dir, "data"));
  writeFileSync(path.join(dir, "workflow.yaml"), 'name: hdr\ncdm_version: "5.4"\nsteps:\n  - dml: dml/diagnoses.yaml\n');
  writeTwoEngineConfig(dir, prefix);
});

afterAll(() => dropPgSchemas(dir, prefix));

const cli = (args: string[]) => runCli(args, { cwd: dir });

describe("loads check their files' headers against their declared columns", () => {
  it("validate: a declared column missing from the header is located, with the header's closest name", () => {
    writeFileSync(path.join(dir, "data/diagnoses.csv"), GOOD);
    writeDml("icd9code");
    const r = cli(["validate", "workflow.yaml"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `dml/diagnoses.yaml:7:3 error LOAD_HEADER_MISMATCH: the declared column "icd9code" is in no header of "../data/diagnoses.csv" (the header has: ROW_ID, SUBJECT_ID, ICD9_CODE). Did you mean "ICD9_CODE"?`,
    );
    expect(r.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
    for (const engine of engines) {
      const run = cli(["run", "workflow.yaml", "--target", engine]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/LOAD_HEADER_MISMATCH/);
    }
  });

  const errors: Partial<Record<EngineName, string>> = {};
  for (const engine of engines) {
    it(`${engine}: a file whose header changed after compiling is refused by the engine, and the table keeps its rows`, async () => {
      writeFileSync(path.join(dir, "data/diagnoses.csv"), GOOD);
      writeDml("icd9_code");
      const plan = path.join(dir, `plan-${engine}.json`);
      const compiled = cli(["compile", "workflow.yaml", "-o", plan]);
      expect(compiled.code, compiled.stderr).toBe(0);
      const ok = cli(["run", plan, "--target", engine]);
      expect(ok.code, ok.stderr).toBe(0);
      const src = schemasOf(engine).source;
      const before = await query(engine, `SELECT row_id, icd9_code FROM ${src}.diagnoses ORDER BY row_id`);
      expect(before).toEqual([
        { row_id: 1, icd9_code: "E8791" },
        { row_id: 2, icd9_code: "4019" },
      ]);

      writeFileSync(path.join(dir, "data/diagnoses.csv"), RENAMED);
      const r = cli(["run", plan, "--target", engine]);
      expect(r.code).toBe(1);
      const m = /LOAD_HEADER_MISMATCH: [^\n]*?\(or fix the file\)\./.exec(r.stderr);
      expect(m?.[0]).toBe(
        `LOAD_HEADER_MISMATCH: the declared column "icd9_code" is in no header of ${path.join(dir, "data/diagnoses.csv")}. ` +
          "The header has: ROW_ID, SUBJECT_ID, ICD9_CODE_X. Columns match the header by name, ignoring case: rename the column under the load's columns: (or fix the file).",
      );
      errors[engine] = m![0];
      expect(await query(engine, `SELECT row_id, icd9_code FROM ${src}.diagnoses ORDER BY row_id`)).toEqual(before);
    });
  }

  it("both engines refused with the same message", () => {
    expect(errors.duckdb).toBeDefined();
    expect(errors.pg).toBe(errors.duckdb);
  });
});
