import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { dropPgSchemas, ENGINES, engineSchemas, queryEngine, writeTwoEngineConfig, type EngineName } from "../helpers/two-engines.js";

/**
 * Lookups follow OHDSI's convention (issue 13, problem 3): a source row yields one row per valid standard concept its
 * code maps to; 'Maps to' targets missing from CONCEPT, not standard or invalid are ignored; a code with no valid
 * mapping yields exactly one row, with concept 0. Before, a code whose two targets were missing from CONCEPT was
 * written twice as concept 0 (3 rows read, 5 written). Checked row for row on DuckDB and PostgreSQL.
 */
const prefix = `lkm_${process.pid}_${Date.now().toString(36)}`;
const engines = ENGINES;
let dir: string;

const schemasOf = (engine: EngineName) => engineSchemas(prefix, engine);
const query = (engine: EngineName, sql: string) => queryEngine(dir, engine, sql);

const CONCEPTS = [
  "concept_id,concept_name,domain_id,vocabulary_id,concept_class_id,standard_concept,concept_code,valid_start_date,valid_end_date,invalid_reason",
  // source codes
  "1001,two targets,Condition,ICD9CM,4-dig billing code,,A1,1970-01-01,2099-12-31,",
  "1002,one valid one missing,Condition,ICD9CM,4-dig billing code,,B2,1970-01-01,2099-12-31,",
  "1003,targets all missing,Condition,ICD9CM,4-dig billing code,,C3,1970-01-01,2099-12-31,",
  "1004,target not standard,Condition,ICD9CM,4-dig billing code,,D4,1970-01-01,2099-12-31,",
  "1005,target invalid,Condition,ICD9CM,4-dig billing code,,E5,1970-01-01,2099-12-31,",
  // targets
  "2001,standard one,Condition,SNOMED,Clinical Finding,S,s1,1970-01-01,2099-12-31,",
  "2002,standard two,Condition,SNOMED,Clinical Finding,S,s2,1970-01-01,2099-12-31,",
  "2003,classification,Condition,SNOMED,Clinical Finding,C,s3,1970-01-01,2099-12-31,",
  "2004,invalid standard,Condition,SNOMED,Clinical Finding,S,s4,1970-01-01,2019-12-31,D",
  "2005,a procedure,Procedure,SNOMED,Procedure,S,s5,1970-01-01,2099-12-31,",
  "2006,an observation,Observation,SNOMED,Observable Entity,S,s6,1970-01-01,2099-12-31,",
  "1006,procedure code,Procedure,ICD9CM,4-dig billing code,,F6,1970-01-01,2099-12-31,",
  "1007,two domains,Condition,ICD9CM,4-dig billing code,,G7,1970-01-01,2099-12-31,",
  "",
].join("\n");

const RELATIONSHIPS = [
  "concept_id_1,concept_id_2,relationship_id,valid_start_date,valid_end_date,invalid_reason",
  "1001,2001,Maps to,1970-01-01,2099-12-31,",
  "1001,2002,Maps to,1970-01-01,2099-12-31,",
  "1002,2001,Maps to,1970-01-01,2099-12-31,",
  "1002,9999991,Maps to,1970-01-01,2099-12-31,",
  "1003,9999991,Maps to,1970-01-01,2099-12-31,",
  "1003,9999992,Maps to,1970-01-01,2099-12-31,",
  "1004,2003,Maps to,1970-01-01,2099-12-31,",
  "1005,2004,Maps to,1970-01-01,2099-12-31,",
  "1006,2005,Maps to,1970-01-01,2099-12-31,",
  "1007,2001,Maps to,1970-01-01,2099-12-31,",
  "1007,2006,Maps to,1970-01-01,2099-12-31,",
  "",
].join("\n");

/** The loaded vocabularies: what a lookup's `vocabulary:` is checked against. */
const VOCABULARIES = [
  "vocabulary_id,vocabulary_name,vocabulary_reference,vocabulary_version,vocabulary_concept_id",
  "ICD9CM,ICD9CM,ref,v1,5046",
  "SNOMED,SNOMED,ref,v1,44819097",
  "",
].join("\n");

/** Source rows: one per code, plus a code that is not in CONCEPT at all. */
const DIAGNOSES = ["id,code", "r1,A1", "r2,B2", "r3,C3", "r4,D4", "r5,E5", "r6,ZZ9", "r7,F6", "r8,G7", ""].join("\n");

/** What every engine must write: (source row, concept). */
const EXPECTED = [
  { src: "r1", concept: 2001 },
  { src: "r1", concept: 2002 },
  { src: "r2", concept: 2001 },
  { src: "r3", concept: 0 },
  { src: "r4", concept: 0 },
  { src: "r5", concept: 0 },
  { src: "r6", concept: 0 },
  { src: "r7", concept: 2005 },
  { src: "r8", concept: 2001 },
  { src: "r8", concept: 2006 },
];

/** Routed by domain to three steps, unmapped rows to observation only: every row lands once per valid mapping. */
const ROUTED = {
  condition_occurrence: [
    { src: "r1", concept: 2001 },
    { src: "r1", concept: 2002 },
    { src: "r2", concept: 2001 },
    { src: "r8", concept: 2001 },
  ],
  procedure_occurrence: [{ src: "r7", concept: 2005 }],
  observation: [
    { src: "r3", concept: 0 },
    { src: "r4", concept: 0 },
    { src: "r5", concept: 0 },
    { src: "r6", concept: 0 },
    { src: "r8", concept: 2006 },
  ],
};

/** A domain step of the routed workflow. */
function domainStep(table: string, prefix: string, domain: string, dateColumn: string, keepUnmapped: boolean): string {
  return [
    "kind: transform",
    `target: cdm.${table}`,
    "mode: replace",
    "from: source.diagnoses AS d",
    "lookups:",
    `  dx: { code: d.code, vocabulary: ICD9CM, domain: ${domain}${keepUnmapped ? "" : ", keep_unmapped: false"} }`,
    "ids:",
    `  ${table}_id: { source_key: [d.id, dx.concept_id] }`,
    "columns:",
    '  person_id: "1"',
    `  ${prefix}_concept_id: dx.concept_id`,
    `  ${prefix}_source_value: d.id`,
    `  ${dateColumn}: DATE '2020-01-01'`,
    `  ${prefix}_type_concept_id: "32817"`,
    "",
  ].join("\n");
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "omopetl-lkm-"));
  chmodSync(dir, 0o755); // the PostgreSQL server reads the files itself, as its own user
  mkdirSync(path.join(dir, "dml"));
  mkdirSync(path.join(dir, "data"));
  writeFileSync(path.join(dir, "data/concept.csv"), CONCEPTS);
  writeFileSync(path.join(dir, "data/concept_relationship.csv"), RELATIONSHIPS);
  writeFileSync(path.join(dir, "data/vocabulary.csv"), VOCABULARIES);
  writeFileSync(path.join(dir, "data/diagnoses.csv"), DIAGNOSES);
  const steps = ["cdm_tables", "concept", "concept_relationship", "vocabulary", "diagnoses", "condition_occurrence"];
  writeFileSync(path.join(dir, "workflow.yaml"), `name: lookups\ncdm_version: "5.4"\nsteps:\n${steps.map((s) => `  - dml: dml/${s}.yaml\n`).join("")}`);
  writeFileSync(path.join(dir, "dml/cdm_tables.yaml"), "kind: ddl\npart: tables\ntables: [concept, concept_relationship, vocabulary, condition_occurrence, procedure_occurrence, observation]\n");
  const routed = ["cdm_tables", "concept", "concept_relationship", "vocabulary", "diagnoses", "routed/condition_occurrence", "routed/procedure_occurrence", "routed/observation"];
  writeFileSync(path.join(dir, "routed.yaml"), `name: routed\ncdm_version: "5.4"\nsteps:\n${routed.map((s) => `  - dml: dml/${s}.yaml\n`).join("")}`);
  mkdirSync(path.join(dir, "dml/routed"));
  writeFileSync(path.join(dir, "dml/routed/condition_occurrence.yaml"), domainStep("condition_occurrence", "condition", "Condition", "condition_start_date", false));
  writeFileSync(path.join(dir, "dml/routed/procedure_occurrence.yaml"), domainStep("procedure_occurrence", "procedure", "Procedure", "procedure_date", false));
  writeFileSync(path.join(dir, "dml/routed/observation.yaml"), domainStep("observation", "observation", "Observation", "observation_date", true));
  writeFileSync(path.join(dir, "dml/concept.yaml"), "kind: load\ntarget: vocab.concept\nfiles: ../data/concept.csv\n");
  writeFileSync(path.join(dir, "dml/concept_relationship.yaml"), "kind: load\ntarget: vocab.concept_relationship\nfiles: ../data/concept_relationship.csv\n");
  writeFileSync(path.join(dir, "dml/vocabulary.yaml"), "kind: load\ntarget: vocab.vocabulary\nfiles: ../data/vocabulary.csv\n");
  writeFileSync(path.join(dir, "dml/diagnoses.yaml"), "kind: load\ntarget: source.diagnoses\nfiles: ../data/diagnoses.csv\ncolumns: { id: varchar, code: varchar }\n");
  writeFileSync(
    path.join(dir, "dml/condition_occurrence.yaml"),
    [
      "kind: transform",
      "target: cdm.condition_occurrence",
      "mode: replace",
      "from: source.diagnoses AS d",
      "lookups:",
      "  cond: { code: d.code, vocabulary: ICD9CM }",
      "ids:",
      "  condition_occurrence_id: { source_key: [d.id, cond.concept_id] }",
      "columns:",
      '  person_id: "1"',
      "  condition_concept_id: cond.concept_id",
      "  condition_source_concept_id: cond.source_concept_id",
      "  condition_source_value: d.id",
      "  condition_start_date: DATE '2020-01-01'",
      '  condition_type_concept_id: "32817"',
      "",
    ].join("\n"),
  );
  writeTwoEngineConfig(dir, prefix);
});

afterAll(() => dropPgSchemas(dir, prefix));

describe("lookups: one row per valid standard mapping, one concept-0 row for a code without any", () => {
  const written: Partial<Record<EngineName, unknown[]>> = {};
  for (const engine of engines) {
    it(`${engine}: 8 rows read, 10 written, each as OHDSI's convention says`, async () => {
      const r = runCli(["run", "workflow.yaml", "--target", engine], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      const cdm = schemasOf(engine).cdm;
      const rows = await query(
        engine,
        `SELECT condition_source_value AS src, condition_concept_id AS concept FROM ${cdm}.condition_occurrence ORDER BY condition_source_value, condition_concept_id`,
      );
      expect(rows).toEqual(EXPECTED);
      written[engine] = await query(engine, `SELECT * FROM ${cdm}.condition_occurrence ORDER BY condition_occurrence_id`);
    });
  }

  it("both engines wrote the same rows, ids included", () => {
    expect(written.duckdb).toHaveLength(EXPECTED.length);
    expect(written.pg).toEqual(written.duckdb);
  });

  for (const engine of engines) {
    it(`${engine}: routed by domain to three steps, every row lands once per valid mapping, unmapped rows in observation only`, async () => {
      const r = runCli(["run", "routed.yaml", "--target", engine], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      const cdm = schemasOf(engine).cdm;
      const got: Record<string, unknown[]> = {};
      for (const [table, prefix] of [["condition_occurrence", "condition"], ["procedure_occurrence", "procedure"], ["observation", "observation"]] as const) {
        got[table] = await query(engine, `SELECT ${prefix}_source_value AS src, ${prefix}_concept_id AS concept FROM ${cdm}.${table} ORDER BY 1, 2`);
      }
      expect(got).toEqual(ROUTED);
    });
  }

  for (const engine of engines) {
    it(`${engine}: a misspelt vocabulary fails the step, listing the vocabularies VOCABULARY has`, async () => {
      const file = path.join(dir, "dml/condition_occurrence.yaml");
      const good = readFileSync(file, "utf8");
      writeFileSync(file, good.replace("vocabulary: ICD9CM", "vocabulary: ICD9"));
      try {
        const v = runCli(["validate", "workflow.yaml"], { cwd: dir });
        expect(v.stderr).toMatch(/dml\/condition_occurrence\.yaml:6:\d+ warning UNKNOWN_VOCABULARY: "ICD9" is not a vocabulary_id of the OHDSI vocabularies\. Did you mean "ICD9CM"\?/);
        const cdm = schemasOf(engine).cdm;
        const before = await query(engine, `SELECT count(*) AS n FROM ${cdm}.condition_occurrence`);
        const r = runCli(["run", "workflow.yaml", "--target", engine], { cwd: dir });
        expect(r.code).toBe(1);
        expect(r.stderr).toContain(
          'LOOKUP_VOCABULARY_UNKNOWN: the lookup vocabulary "ICD9" is not a vocabulary id of the loaded VOCABULARY table, so none of its codes could map. Known vocabulary ids: ICD9CM, SNOMED. Fix the vocabulary: of the lookup (ids are case-sensitive), or load that vocabulary.',
        );
        expect(await query(engine, `SELECT count(*) AS n FROM ${cdm}.condition_occurrence`)).toEqual(before);
      } finally {
        writeFileSync(file, good);
      }
    });
  }

  it("two domain steps that both keep the unmapped rows of one source are refused (UNMAPPED_CONFLICT)", () => {
    writeFileSync(path.join(dir, "dml/routed/procedure_occurrence.yaml"), domainStep("procedure_occurrence", "procedure", "Procedure", "procedure_date", true));
    const r = runCli(["validate", "routed.yaml"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/dml\/routed\/observation\.yaml:6:3 error UNMAPPED_CONFLICT: lookup "dx" of step "observation" and lookup "dx" of step "procedure_occurrence" \(dml\/routed\/procedure_occurrence\.yaml:6:3\)/);
    writeFileSync(path.join(dir, "dml/routed/procedure_occurrence.yaml"), domainStep("procedure_occurrence", "procedure", "Procedure", "procedure_date", false));
  });
});
