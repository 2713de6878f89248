import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { dropPgSchemas, ENGINES, engineSchemas, queryEngine, writeTwoEngineConfig } from "../helpers/two-engines.js";

/**
 * Empty fields of CDM and vocabulary tables load as NULL in every vocabulary format (issue 13): a quoted "" in the
 * comma-separated vocabulary became an empty string (116 standard_concept values of the shared vocabulary) where
 * Athena's unquoted tab-separated files give NULL. Both formats of the same three concepts, on both engines, must
 * give the same rows; a source (non-CDM) table keeps a quoted "" as an empty string.
 */
const prefix = `vemp_${process.pid}_${Date.now().toString(36)}`;
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "omopetl-vemp-"));
  chmodSync(dir, 0o755); // the PostgreSQL server reads the files itself, as its own user
  mkdirSync(path.join(dir, "dml"));
  mkdirSync(path.join(dir, "data/athena"), { recursive: true });
  const header = ["concept_id", "concept_name", "domain_id", "vocabulary_id", "concept_class_id", "standard_concept", "concept_code", "valid_start_date", "valid_end_date", "invalid_reason"];
  const rows = [
    ["1", "Standard", "Condition", "SNOMED", "Clinical Finding", "S", "1", "1970-01-01", "2099-12-31", ""],
    ["2", "Source only", "Condition", "ICD10", "Code", "", "A00", "1970-01-01", "2099-12-31", ""],
    ["3", "Retired", "Condition", "ICD10", "Code", "", "A01", "1970-01-01", "2000-12-31", "D"],
  ];
  const csv = [header.join(","), ...rows.map((r) => r.map((v) => `"${v}"`).join(","))].join("\n") + "\n";
  const tsv = [header.join("\t"), ...rows.map((r) => r.map((v, i) => (i >= 7 ? v.replaceAll("-", "") : v)).join("\t"))].join("\n") + "\n";
  writeFileSync(path.join(dir, "data/concept.csv"), csv);
  writeFileSync(path.join(dir, "data/athena/CONCEPT.csv"), tsv); // Athena: tab-separated, named .csv
  writeFileSync(path.join(dir, "data/raw.csv"), 'code,note\n"A00",""\n');
  for (const f of ["concept.csv", "athena/CONCEPT.csv", "raw.csv"]) chmodSync(path.join(dir, "data", f), 0o644);
  writeFileSync(path.join(dir, "dml/vocab_tables.yaml"), "kind: ddl\npart: tables\ntables: [concept]\n");
  writeFileSync(path.join(dir, "dml/concept.yaml"), "kind: load\ntarget: vocab.concept\nfiles: ../data/${params.file}\nformat: { delimiter: auto, date_format: auto, quote: auto }\n");
  writeFileSync(path.join(dir, "dml/raw.yaml"), "kind: load\ntarget: source.raw\nfiles: ../data/raw.csv\ncolumns: { code: varchar, note: varchar }\n");
  writeFileSync(
    path.join(dir, "workflow.yaml"),
    'name: vemp\ncdm_version: "5.4"\nparams:\n  file: { type: string }\nsteps:\n  - dml: dml/vocab_tables.yaml\n  - dml: dml/concept.yaml\n  - dml: dml/raw.yaml\n',
  );
  chmodSync(path.join(dir, "data/athena"), 0o755);
  writeTwoEngineConfig(dir, prefix);
});

afterAll(async () => {
  await dropPgSchemas(dir, prefix);
});

describe("empty vocabulary fields", () => {
  const seen: unknown[] = [];
  for (const engine of ENGINES) {
    for (const file of ["concept.csv", "athena/CONCEPT.csv"]) {
      it(`${engine}, ${file}: an empty field is NULL in vocab.concept; a quoted "" stays '' in a source table`, async () => {
        const r = runCli(["run", "workflow.yaml", "--target", engine, "--param", `file=${file}`], { cwd: dir });
        expect(r.code, r.stderr).toBe(0);
        const s = engineSchemas(prefix, engine);
        const rows = await queryEngine(dir, engine, `SELECT concept_id, standard_concept, invalid_reason FROM ${s.vocab}.concept ORDER BY concept_id`);
        const got = rows.map((x) => [Number(x["concept_id"]), x["standard_concept"], x["invalid_reason"]]);
        expect(got).toEqual([
          [1, "S", null],
          [2, null, null],
          [3, null, "D"],
        ]);
        seen.push(got);
        const raw = await queryEngine(dir, engine, `SELECT note FROM ${s.source}.raw`);
        expect(raw).toEqual([{ note: "" }]);
      });
    }
  }
  it("every engine and format gave the same rows", () => {
    expect(seen.length).toBe(4);
    for (const x of seen) expect(x).toEqual(seen[0]);
  });
});
