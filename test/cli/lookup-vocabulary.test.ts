import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LookupCoverageReport } from "../../src/orchestrators/orchestrator-api.js";
import { runCli } from "../helpers/cli.js";
import { dropPgSchemas, ENGINES, engineSchemas, queryEngine, writeTwoEngineConfig, type EngineName } from "../helpers/two-engines.js";

/**
 * A lookup's `vocabulary:` is checked against the loaded VOCABULARY table (issue 13): a vocabulary that VOCABULARY
 * lists but that has no concept in CONCEPT (CVX in a vocabulary shard, a licensed vocabulary not yet expanded) is
 * known, and its codes are simply unmapped, which the coverage report shows; before, the step failed because the
 * check read CONCEPT's vocabulary ids. An id VOCABULARY lacks fails the step before writing, listing the known ids;
 * an empty VOCABULARY fails it with its own fix; a VOCABULARY that no step loads is a located error before the run.
 * Checked on DuckDB and PostgreSQL.
 */
const prefix = `lkv_${process.pid}_${Date.now().toString(36)}`;
let dir: string;
const schemasOf = (engine: EngineName) => engineSchemas(prefix, engine);
const query = (engine: EngineName, sql: string) => queryEngine(dir, engine, sql);

const CONCEPTS = [
  "concept_id,concept_name,domain_id,vocabulary_id,concept_class_id,standard_concept,concept_code,valid_start_date,valid_end_date,invalid_reason",
  "1001,a drug,Drug,RxNorm,Clinical Drug,S,rx1,1970-01-01,2099-12-31,",
  "",
].join("\n");
const RELATIONSHIPS = [
  "concept_id_1,concept_id_2,relationship_id,valid_start_date,valid_end_date,invalid_reason",
  "1001,1001,Maps to,1970-01-01,2099-12-31,",
  "",
].join("\n");
const VOCABULARY_HEADER = "vocabulary_id,vocabulary_name,vocabulary_reference,vocabulary_version,vocabulary_concept_id";
/** CVX is loaded in VOCABULARY, but CONCEPT has none of its concepts. */
const VOCABULARIES = [VOCABULARY_HEADER, "CVX,CDC Vaccine Administered CVX,ref,v1,581400", "RxNorm,RxNorm,ref,v1,44819104", ""].join("\n");
/** Immunizations: codes 08 (3 rows) and 140 (2 rows), and a row without a code. */
const IMMUNIZATIONS = ["id,code", "i1,08", "i2,08", "i3,08", "i4,140", "i5,140", "i6,", ""].join("\n");

const TRANSFORM = [
  "kind: transform",
  "target: staging.immunization_codes",
  "mode: rebuild",
  "from: source.immunizations AS i",
  "lookups:",
  "  vx: { code: i.code, vocabulary: CVX }",
  "columns:",
  "  id: i.id",
  "  concept_id: vx.concept_id",
  "  source_concept_id: vx.source_concept_id",
  "",
].join("\n");

function workflow(name: string, steps: string[]): string {
  return `name: ${name}\ncdm_version: "5.4"\nsteps:\n${steps.map((s) => `  - dml: dml/${s}.yaml\n`).join("")}`;
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "omopetl-lkv-"));
  chmodSync(dir, 0o755); // the PostgreSQL server reads the files itself, as its own user
  mkdirSync(path.join(dir, "dml"));
  mkdirSync(path.join(dir, "data"));
  writeFileSync(path.join(dir, "data/concept.csv"), CONCEPTS);
  writeFileSync(path.join(dir, "data/concept_relationship.csv"), RELATIONSHIPS);
  writeFileSync(path.join(dir, "data/vocabulary.csv"), VOCABULARIES);
  writeFileSync(path.join(dir, "data/vocabulary_empty.csv"), `${VOCABULARY_HEADER}\n`);
  writeFileSync(path.join(dir, "data/vocabulary_no_cvx.csv"), [VOCABULARY_HEADER, "RxNorm,RxNorm,ref,v1,44819104", ""].join("\n"));
  writeFileSync(path.join(dir, "data/immunizations.csv"), IMMUNIZATIONS);
  writeFileSync(path.join(dir, "dml/cdm_tables.yaml"), "kind: ddl\npart: tables\ntables: [concept, concept_relationship, vocabulary]\n");
  writeFileSync(path.join(dir, "dml/tables_without_vocabulary.yaml"), "kind: ddl\npart: tables\ntables: [concept, concept_relationship]\n");
  writeFileSync(path.join(dir, "dml/concept.yaml"), "kind: load\ntarget: vocab.concept\nfiles: ../data/concept.csv\n");
  writeFileSync(path.join(dir, "dml/concept_relationship.yaml"), "kind: load\ntarget: vocab.concept_relationship\nfiles: ../data/concept_relationship.csv\n");
  writeFileSync(path.join(dir, "dml/vocabulary.yaml"), "kind: load\ntarget: vocab.vocabulary\nfiles: ../data/vocabulary.csv\n");
  writeFileSync(path.join(dir, "dml/vocabulary_empty.yaml"), "kind: load\ntarget: vocab.vocabulary\nfiles: ../data/vocabulary_empty.csv\n");
  writeFileSync(path.join(dir, "dml/immunizations.yaml"), "kind: load\ntarget: source.immunizations\nfiles: ../data/immunizations.csv\ncolumns: { id: varchar, code: varchar }\n");
  writeFileSync(path.join(dir, "dml/vocabulary_no_cvx.yaml"), "kind: load\ntarget: vocab.vocabulary\nfiles: ../data/vocabulary_no_cvx.csv\n");
  writeFileSync(path.join(dir, "dml/immunization_codes.yaml"), TRANSFORM);
  writeFileSync(
    path.join(dir, "dml/optional_codes.yaml"),
    TRANSFORM.replace("target: staging.immunization_codes", "target: staging.optional_codes").replace("vocabulary: CVX }", "vocabulary: CVX, missing_vocabulary: unmapped }"),
  );
  writeFileSync(path.join(dir, "dml/misspelt.yaml"), TRANSFORM.replace("target: staging.immunization_codes", "target: staging.misspelt").replace("vocabulary: CVX", "vocabulary: CVS"));
  writeFileSync(path.join(dir, "loaded.yaml"), workflow("loaded", ["cdm_tables", "concept", "concept_relationship", "vocabulary", "immunizations", "immunization_codes"]));
  writeFileSync(path.join(dir, "misspelt.yaml"), workflow("misspelt", ["cdm_tables", "concept", "concept_relationship", "vocabulary", "immunizations", "misspelt"]));
  writeFileSync(path.join(dir, "empty.yaml"), workflow("empty", ["cdm_tables", "concept", "concept_relationship", "vocabulary_empty", "immunizations", "immunization_codes"]));
  writeFileSync(path.join(dir, "no_cvx.yaml"), workflow("no_cvx", ["cdm_tables", "concept", "concept_relationship", "vocabulary_no_cvx", "immunizations", "immunization_codes"]));
  writeFileSync(path.join(dir, "no_cvx_optional.yaml"), workflow("no_cvx_optional", ["cdm_tables", "concept", "concept_relationship", "vocabulary_no_cvx", "immunizations", "optional_codes"]));
  writeFileSync(path.join(dir, "not_loaded.yaml"), workflow("not_loaded", ["tables_without_vocabulary", "concept", "concept_relationship", "immunizations", "immunization_codes"]));
  writeTwoEngineConfig(dir, prefix);
});

afterAll(() => dropPgSchemas(dir, prefix));

describe("a lookup's vocabulary is checked against the loaded VOCABULARY table", () => {
  const written: Partial<Record<EngineName, unknown[]>> = {};
  for (const engine of ENGINES) {
    it(`${engine}: a vocabulary VOCABULARY lists but CONCEPT has no concept of maps nothing, and the coverage report says so`, async () => {
      const r = runCli(["run", "loaded.yaml", "--target", engine, "--metrics-out", `metrics-${engine}.json`], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      const rows = await query(engine, `SELECT id, concept_id, source_concept_id FROM ${schemasOf(engine).staging}.immunization_codes ORDER BY id`);
      expect(rows).toEqual(["i1", "i2", "i3", "i4", "i5", "i6"].map((id) => ({ id, concept_id: 0, source_concept_id: 0 })));
      written[engine] = rows;
      const metrics = JSON.parse(readFileSync(path.join(dir, `metrics-${engine}.json`), "utf8")) as { steps: { name: string; coverage?: LookupCoverageReport[] }[] };
      // The counts follow from IMMUNIZATIONS: two codes (08 x3, 140 x2), none mapped, one row without a code.
      expect(metrics.steps.find((s) => s.name === "immunization_codes")!.coverage).toEqual([
        {
          lookup: "vx",
          codes: 2,
          codesMapped: 0,
          codesUnmapped: 2,
          rows: 5,
          rowsMapped: 0,
          rowsUnmapped: 5,
          rowsWithoutCode: 1,
          topUnmapped: [
            { code: "08", rows: 3 },
            { code: "140", rows: 2 },
          ],
        },
      ]);
      expect(r.stderr).toMatch(/lookup vx: 0 of 2 codes mapped \(0 of 5 rows, 0\.0%\) · unmapped: 08 3, 140 2 · 1 rows without a code\n/);
    });
  }

  it("both engines wrote the same rows", () => {
    expect(written.duckdb).toHaveLength(6);
    expect(written.pg).toEqual(written.duckdb);
  });

  for (const engine of ENGINES) {
    it(`${engine}: an id VOCABULARY lacks fails the step before writing, listing VOCABULARY's ids`, async () => {
      const r = runCli(["run", "misspelt.yaml", "--target", engine], { cwd: dir });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        'LOOKUP_VOCABULARY_UNKNOWN: the lookup vocabulary "CVS" is not a vocabulary id of the loaded VOCABULARY table, so none of its codes could map. Known vocabulary ids: CVX, RxNorm. Fix the vocabulary: of the lookup (ids are case-sensitive), or load that vocabulary.',
      );
      expect(r.stderr).not.toMatch(/\n\s+at /);
      // rebuild mode: the table is not created when the step fails before writing.
      const [exists] = await query(
        engine,
        `SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = '${schemasOf(engine).staging}' AND table_name = 'misspelt'`,
      );
      expect(Number(exists!.n)).toBe(0);
    });
  }

  for (const engine of ENGINES) {
    it(`${engine}: an empty VOCABULARY fails the step before writing, saying to load it`, async () => {
      const staging = schemasOf(engine).staging;
      const before = await query(engine, `SELECT * FROM ${staging}.immunization_codes ORDER BY id`);
      const r = runCli(["run", "empty.yaml", "--target", engine], { cwd: dir });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        'LOOKUP_VOCABULARY_UNKNOWN: the lookup vocabulary "CVX" is not a vocabulary id of the loaded VOCABULARY table, so none of its codes could map. Known vocabulary ids: (none: VOCABULARY is empty). The VOCABULARY table is empty: load VOCABULARY.csv of the vocabulary download into vocab.vocabulary (a load step), as the CONCEPT table\'s vocabularies.',
      );
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(await query(engine, `SELECT * FROM ${staging}.immunization_codes ORDER BY id`)).toEqual(before);
    });
  }

  for (const engine of ENGINES) {
    it(`${engine}: missing_vocabulary: unmapped leaves the codes of a vocabulary VOCABULARY lacks unmapped instead of failing`, async () => {
      const failing = runCli(["run", "no_cvx.yaml", "--target", engine], { cwd: dir });
      expect(failing.code).toBe(1);
      expect(failing.stderr).toContain('LOOKUP_VOCABULARY_UNKNOWN: the lookup vocabulary "CVX" is not a vocabulary id of the loaded VOCABULARY table');
      const r = runCli(["run", "no_cvx_optional.yaml", "--target", engine], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/lookup vx: 0 of 2 codes mapped \(0 of 5 rows, 0\.0%\) · unmapped: 08 3, 140 2/);
      const rows = await query(engine, `SELECT id, concept_id FROM ${schemasOf(engine).staging}.optional_codes ORDER BY id`);
      expect(rows).toEqual(["i1", "i2", "i3", "i4", "i5", "i6"].map((id) => ({ id, concept_id: 0 })));
    });
  }

  it("a VOCABULARY no step loads is a located error before anything runs", () => {
    for (const command of ["validate", "run"]) {
      const r = runCli([command, "not_loaded.yaml"], { cwd: dir });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        'dml/immunization_codes.yaml:5:1 error UNWRITTEN_TABLE: "vocab.vocabulary" is read here but no step writes it. Add a step that loads or creates it, or declare it under "external:" in the workflow if it already exists.',
      );
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stderr).not.toContain("✔");
    }
  });
});
