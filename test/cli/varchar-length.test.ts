import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { dropPgSchemas, ENGINES, engineSchemas, queryEngine, writeTwoEngineConfig, type EngineName } from "../helpers/two-engines.js";

/**
 * varchar(n) enforced identically (issue 13, exact values): PostgreSQL refuses a value longer than a CDM
 * varchar(n) column ("value too long for type character varying(50)") where DuckDB, which ignores lengths, kept it
 * silently. Each case runs a transform (person_source_value, varchar(50)) and a load into a CDM vocabulary table
 * (concept.concept_code, varchar(50)) on both engines: the same outcome, the same message, the same rows.
 */
const prefix = `vlen_${process.pid}_${Date.now().toString(36)}`;
let dir: string;
const query = (engine: EngineName, sql: string) => queryEngine(dir, engine, sql);
const cli = (args: string[]) => runCli(args, { cwd: dir });

const x50 = "x".repeat(50);
/** 50 characters of two bytes each: the limit counts characters, not bytes, on every engine. */
const e50 = "é".repeat(50);

function writePatients(ids: string[]): void {
  writeFileSync(path.join(dir, "data/patients.csv"), ["id,gender,birthdate", ...ids.map((id) => `"${id}",M,1970-01-01`), ""].join("\n"));
}
function writeConcepts(codes: string[]): void {
  writeFileSync(
    path.join(dir, "data/concept.csv"),
    [
      "concept_id,concept_name,domain_id,vocabulary_id,concept_class_id,concept_code,valid_start_date,valid_end_date",
      ...codes.map((c, i) => `${8500 + i},C${i},Gender,Gender,Gender,"${c}",1970-01-01,2099-12-31`),
      "",
    ].join("\n"),
  );
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "omopetl-vlen-"));
  chmodSync(dir, 0o755); // the PostgreSQL server reads the files itself, as its own user
  mkdirSync(path.join(dir, "dml"));
  mkdirSync(path.join(dir, "data"));
  writeFileSync(path.join(dir, "person.yaml"), 'name: vlen\ncdm_version: "5.4"\nsteps:\n  - dml: dml/cdm_tables.yaml\n  - dml: dml/patients.yaml\n  - dml: dml/person.yaml\n');
  writeFileSync(path.join(dir, "vocab.yaml"), 'name: vlenv\ncdm_version: "5.4"\nsteps:\n  - dml: dml/vocab_tables.yaml\n  - dml: dml/concept.yaml\n');
  writeFileSync(path.join(dir, "dml/cdm_tables.yaml"), "kind: ddl\npart: tables\ntables: [person]\n");
  writeFileSync(path.join(dir, "dml/vocab_tables.yaml"), "kind: ddl\npart: tables\ntables: [concept]\n");
  writeFileSync(path.join(dir, "dml/patients.yaml"), "kind: load\ntarget: source.patients\nfiles: ../data/patients.csv\ncolumns: { id: varchar, gender: varchar, birthdate: date }\n");
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
      '  gender_concept_id: "8507"',
      "  year_of_birth: EXTRACT(YEAR FROM p.birthdate)",
      '  race_concept_id: "0"',
      '  ethnicity_concept_id: "0"',
      "  person_source_value: p.id",
      "",
    ].join("\n"),
  );
  writeFileSync(path.join(dir, "dml/concept.yaml"), "kind: load\ntarget: vocab.concept\nfiles: ../data/concept.csv\n");
  writeTwoEngineConfig(dir, prefix);
});

afterAll(() => dropPgSchemas(dir, prefix));

/** The error line naming the too-long value, as the CLI prints it. */
function tooLong(stderr: string): string | undefined {
  return /value too long for type character varying\(\d+\)/.exec(stderr)?.[0];
}

describe("varchar(n) is enforced the same on every engine", () => {
  const rows: Partial<Record<EngineName, unknown>> = {};
  const messages: Partial<Record<EngineName, (string | undefined)[]>> = {};

  for (const engine of ENGINES) {
    it(`${engine}: values up to the length are kept, excess spaces cut; one character more fails the transform and the load`, async () => {
      const s = engineSchemas(prefix, engine);
      writePatients([x50, e50, `${"y".repeat(50)}   `, "short"]);
      const ok = cli(["run", "person.yaml", "--target", engine]);
      expect(ok.code, ok.stderr).toBe(0);
      const before = await query(engine, `SELECT person_source_value AS v, CAST(length(person_source_value) AS INTEGER) AS n FROM ${s.cdm}.person ORDER BY person_id`);
      expect(before).toContainEqual({ v: "y".repeat(50), n: 50 });
      expect(before).toContainEqual({ v: e50, n: 50 });
      rows[engine] = before;

      writePatients([x50, `${x50}z`, "short"]);
      const r = cli(["run", "person.yaml", "--target", engine]);
      expect(r.code, r.stderr + r.stdout).toBe(1);
      expect(r.stderr).toContain("in dml/person.yaml");
      expect(r.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
      expect(await query(engine, `SELECT person_source_value AS v, CAST(length(person_source_value) AS INTEGER) AS n FROM ${s.cdm}.person ORDER BY person_id`)).toEqual(before);

      writeConcepts(["M", `${"c".repeat(50)} x`]);
      const v = cli(["run", "vocab.yaml", "--target", engine]);
      expect(v.code).toBe(1);
      const [{ n }] = (await query(engine, `SELECT CAST(count(*) AS INTEGER) AS n FROM ${s.vocab}.concept`)) as [{ n: number }];
      expect(n).toBe(0);
      messages[engine] = [tooLong(r.stderr), tooLong(v.stderr)];
    });
  }

  it("both engines kept the same rows and said the same thing", () => {
    expect(messages.duckdb).toEqual(["value too long for type character varying(50)", "value too long for type character varying(50)"]);
    expect(messages.pg).toEqual(messages.duckdb);
    expect(rows.pg).toEqual(rows.duckdb);
  });
});
