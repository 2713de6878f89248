import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { dropPgSchemas, ENGINES, engineSchemas, queryEngine, writeTwoEngineConfig, type EngineName } from "../helpers/two-engines.js";

/**
 * The same key checks on every engine (issue 14, problem 2): a source listing one patient twice gave DuckDB a clear
 * "duplicate primary key in cdm.person" and gave PostgreSQL two rows with one person_id and exit 0, because CDM
 * primary keys only come with the ddl "constraints" part. Each broken fixture (a transform, a load into a CDM
 * vocabulary table) runs on both engines: the same error, exit 1, and the table as it was before the step.
 */
const prefix = `keyc_${process.pid}_${Date.now().toString(36)}`;
const engines = ENGINES;
let dir: string;

const schemasOf = (engine: EngineName) => engineSchemas(prefix, engine);
const query = (engine: EngineName, sql: string) => queryEngine(dir, engine, sql);

function writePatients(rows: string[]): void {
  writeFileSync(path.join(dir, "data/patients.csv"), ["id,gender,birthdate", ...rows, ""].join("\n"));
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "omopetl-keyc-"));
  chmodSync(dir, 0o755); // the PostgreSQL server reads the files itself, as its own user
  mkdirSync(path.join(dir, "dml"));
  mkdirSync(path.join(dir, "data"));
  writeFileSync(
    path.join(dir, "person.yaml"),
    'name: keys\ncdm_version: "5.4"\nsteps:\n  - dml: dml/cdm_tables.yaml\n  - dml: dml/patients.yaml\n  - dml: dml/person.yaml\n',
  );
  writeFileSync(path.join(dir, "staging.yaml"), 'name: staging\ncdm_version: "5.4"\nsteps:\n  - dml: dml/patients.yaml\n  - dml: dml/patient_genders.yaml\n');
  writeFileSync(
    path.join(dir, "dml/patient_genders.yaml"),
    "kind: transform\ntarget: staging.patient_genders\nmode: rebuild\nkey: [patient]\nfrom: source.patients AS p\ncolumns:\n  patient: p.id\n  gender: p.gender\n",
  );
  writeFileSync(path.join(dir, "vocab.yaml"), 'name: vocab\ncdm_version: "5.4"\nsteps:\n  - dml: dml/vocab_tables.yaml\n  - dml: dml/concept.yaml\n');
  writeFileSync(path.join(dir, "dml/cdm_tables.yaml"), "kind: ddl\npart: tables\ntables: [person]\n");
  writeFileSync(path.join(dir, "dml/vocab_tables.yaml"), "kind: ddl\npart: tables\ntables: [concept]\n");
  writeFileSync(
    path.join(dir, "dml/patients.yaml"),
    "kind: load\ntarget: source.patients\nfiles: ../data/patients.csv\ncolumns: { id: varchar, gender: varchar, birthdate: date }\n",
  );
  writeFileSync(
    path.join(dir, "dml/person.yaml"),
    [
      "kind: transform",
      "target: cdm.person",
      "mode: replace",
      "from: source.patients AS p",
      "ids:",
      "  person_id: { source_key: [p.id] }",
      "columns:",
      "  gender_concept_id: \"CASE p.gender WHEN 'M' THEN 8507 ELSE 8532 END\"",
      "  year_of_birth: EXTRACT(YEAR FROM p.birthdate)",
      '  race_concept_id: "0"',
      '  ethnicity_concept_id: "0"',
      "  person_source_value: p.id",
      "",
    ].join("\n"),
  );
  writeFileSync(
    path.join(dir, "dml/concept.yaml"),
    [
      "kind: load",
      "target: vocab.concept",
      "files: ../data/concept.csv",
      "",
    ].join("\n"),
  );
  writeTwoEngineConfig(dir, prefix);
});

afterAll(() => dropPgSchemas(dir, prefix));

const cli = (args: string[]) => runCli(args, { cwd: dir });

describe("the same primary-key checks on every engine", () => {
  const errors: Partial<Record<EngineName, string[]>> = {};

  for (const engine of engines) {
    it(`${engine}: a patient listed twice fails the person step and leaves cdm.person as it was`, async () => {
      const cdm = schemasOf(engine).cdm;
      writePatients(["p1,M,1970-01-01", "p2,F,1980-02-02"]);
      const ok = cli(["run", "person.yaml", "--target", engine]);
      expect(ok.code, ok.stderr).toBe(0);
      const before = await query(engine, `SELECT person_id, person_source_value FROM ${cdm}.person ORDER BY person_id`);
      expect(before).toEqual([
        { person_id: 1, person_source_value: "p1" },
        { person_id: 2, person_source_value: "p2" },
      ]);

      writePatients(["p1,M,1970-01-01", "p2,F,1980-02-02", "p2,F,1980-02-02", "p3,M,1990-03-03"]);
      const r = cli(["run", "person.yaml", "--target", engine]);
      expect(r.code).toBe(1);
      const message = `duplicate primary key in ${cdm}.person: person_id = 2 occurs 2 times; the step's rows were not written. Make the step's joins and selects yield one row per key.`;
      expect(r.stderr).toContain(message);
      expect(r.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
      expect(await query(engine, `SELECT person_id, person_source_value FROM ${cdm}.person ORDER BY person_id`)).toEqual(before);
      (errors[engine] ??= []).push(message.replace(cdm, "<cdm>"));
    });

    it(`${engine}: a vocabulary file with one concept twice fails its load and writes no row`, async () => {
      const vocab = schemasOf(engine).vocab;
      writeFileSync(
        path.join(dir, "data/concept.csv"),
        [
          "concept_id,concept_name,domain_id,vocabulary_id,concept_class_id,concept_code,valid_start_date,valid_end_date",
          "8507,MALE,Gender,Gender,Gender,M,1970-01-01,2099-12-31",
          "8532,FEMALE,Gender,Gender,Gender,F,1970-01-01,2099-12-31",
          "8507,MALE again,Gender,Gender,Gender,M,1970-01-01,2099-12-31",
          "",
        ].join("\n"),
      );
      const r = cli(["run", "vocab.yaml", "--target", engine]);
      expect(r.code).toBe(1);
      const message = `duplicate primary key in ${vocab}.concept: concept_id = 8507 occurs 2 times; the step's rows were not written. Remove the duplicate rows from the files (or load them into a staging table).`;
      expect(r.stderr).toContain(message);
      const [{ n }] = (await query(engine, `SELECT CAST(count(*) AS INTEGER) AS n FROM ${vocab}.concept`)) as [{ n: number }];
      expect(n).toBe(0);
      (errors[engine] ??= []).push(message.replace(vocab, "<cdm>"));
    });

    // A staging table a transform rebuilds: its key is checked by the same aggregate (on DuckDB it is no ART index,
    // on PostgreSQL the primary key is added after the check), and the failed step leaves the table as it was.
    it(`${engine}: a rebuilt staging table with one key twice fails its step and keeps the previous rows`, async () => {
      const staging = schemasOf(engine).staging;
      writePatients(["p1,M,1970-01-01", "p2,F,1980-02-02"]);
      const ok = cli(["run", "staging.yaml", "--target", engine]);
      expect(ok.code, ok.stderr).toBe(0);
      const before = await query(engine, `SELECT patient, gender FROM ${staging}.patient_genders ORDER BY patient`);
      expect(before).toEqual([
        { patient: "p1", gender: "M" },
        { patient: "p2", gender: "F" },
      ]);
      writePatients(["p1,M,1970-01-01", "p2,F,1980-02-02", "p2,M,1980-02-02"]);
      const r = cli(["run", "staging.yaml", "--target", engine]);
      expect(r.code).toBe(1);
      const message = `duplicate key in ${staging}.patient_genders: patient = p2 occurs 2 times; the step's rows were not written. Make the step's joins and selects yield one row per key.`;
      expect(r.stderr).toContain(message);
      expect(r.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
      expect(await query(engine, `SELECT patient, gender FROM ${staging}.patient_genders ORDER BY patient`)).toEqual(before);
      (errors[engine] ??= []).push(message.replace(staging, "<staging>"));
    });
  }

  it("both engines said the same thing", () => {
    expect(errors.duckdb).toHaveLength(3);
    expect(errors.pg).toEqual(errors.duckdb);
  });
});
