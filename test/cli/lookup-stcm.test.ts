import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { dropPgSchemas, ENGINES, engineSchemas, queryEngine, writeTwoEngineConfig, type EngineName } from "../helpers/two-engines.js";

/**
 * source_to_concept_map as a lookup source (issue 13, problem 3): `via` lists where standard concepts come from, in
 * order of precedence, and the first source that maps a code wins (its rows only). STCM rows count only with the
 * lookup's vocabulary as source_vocabulary_id, invalid_reason NULL, today within their valid dates, and a target that
 * is a valid standard concept in CONCEPT; a code neither source maps keeps one concept-0 row. Local vocabularies
 * (only in source_to_concept_map) pass the run's vocabulary check. Checked row for row on DuckDB and PostgreSQL.
 */
const prefix = `lks_${process.pid}_${Date.now().toString(36)}`;
let dir: string;

const schemasOf = (engine: EngineName) => engineSchemas(prefix, engine);
const query = (engine: EngineName, sql: string) => queryEngine(dir, engine, sql);

const CONCEPTS = [
  "concept_id,concept_name,domain_id,vocabulary_id,concept_class_id,standard_concept,concept_code,valid_start_date,valid_end_date,invalid_reason",
  "1001,two targets,Condition,ICD9CM,4-dig billing code,,A1,1970-01-01,2099-12-31,",
  "1002,one valid one missing,Condition,ICD9CM,4-dig billing code,,B2,1970-01-01,2099-12-31,",
  "1003,targets all missing,Condition,ICD9CM,4-dig billing code,,C3,1970-01-01,2099-12-31,",
  "1004,target not standard,Condition,ICD9CM,4-dig billing code,,D4,1970-01-01,2099-12-31,",
  "1005,target invalid,Condition,ICD9CM,4-dig billing code,,E5,1970-01-01,2099-12-31,",
  "1006,procedure code,Procedure,ICD9CM,4-dig billing code,,F6,1970-01-01,2099-12-31,",
  "1007,two domains,Condition,ICD9CM,4-dig billing code,,G7,1970-01-01,2099-12-31,",
  "2001,standard one,Condition,SNOMED,Clinical Finding,S,s1,1970-01-01,2099-12-31,",
  "2002,standard two,Condition,SNOMED,Clinical Finding,S,s2,1970-01-01,2099-12-31,",
  "2003,classification,Condition,SNOMED,Clinical Finding,C,s3,1970-01-01,2099-12-31,",
  "2004,invalid standard,Condition,SNOMED,Clinical Finding,S,s4,1970-01-01,2019-12-31,D",
  "2005,a procedure,Procedure,SNOMED,Procedure,S,s5,1970-01-01,2099-12-31,",
  "2006,an observation,Observation,SNOMED,Observable Entity,S,s6,1970-01-01,2099-12-31,",
  "3001,kilounit per liter,Unit,UCUM,Unit,S,10*3.[U]/L,1970-01-01,2099-12-31,",
  "3002,unit per liter,Unit,UCUM,Unit,S,[U]/L,1970-01-01,2099-12-31,",
  "",
].join("\n");

const RELATIONSHIPS = [
  "concept_id_1,concept_id_2,relationship_id,valid_start_date,valid_end_date,invalid_reason",
  "1001,2001,Maps to,1970-01-01,2099-12-31,",
  "1001,2002,Maps to,1970-01-01,2099-12-31,",
  "1002,2001,Maps to,1970-01-01,2099-12-31,",
  "1002,9999991,Maps to,1970-01-01,2099-12-31,",
  "1003,9999991,Maps to,1970-01-01,2099-12-31,",
  "1004,2003,Maps to,1970-01-01,2099-12-31,",
  "1005,2004,Maps to,1970-01-01,2099-12-31,",
  "1006,2005,Maps to,1970-01-01,2099-12-31,",
  "1007,2001,Maps to,1970-01-01,2099-12-31,",
  "1007,2006,Maps to,1970-01-01,2099-12-31,",
  "",
].join("\n");

const STCM = [
  "source_code,source_concept_id,source_vocabulary_id,source_code_description,target_concept_id,target_vocabulary_id,valid_start_date,valid_end_date,invalid_reason",
  "A1,0,ICD9CM,overrides Maps to,2005,SNOMED,1970-01-01,2099-12-31,",
  "B2,0,ICD9CM,two targets,2001,SNOMED,1970-01-01,2099-12-31,",
  "B2,0,ICD9CM,two targets,2006,SNOMED,1970-01-01,2099-12-31,",
  "C3,0,ICD9CM,deprecated row,2002,SNOMED,1970-01-01,2099-12-31,D",
  "D4,0,ICD9CM,expired row,2002,SNOMED,1970-01-01,2000-12-31,",
  "E5,0,ICD9CM,target not standard,2003,SNOMED,1970-01-01,2099-12-31,",
  "E5,0,ICD9CM,target missing,9999991,SNOMED,1970-01-01,2099-12-31,",
  "ZZ9,0,ICD9CM,a code CONCEPT lacks,2001,SNOMED,1970-01-01,2099-12-31,",
  "G7,0,ICD10CM,another source vocabulary,2002,SNOMED,1970-01-01,2099-12-31,",
  "H8,0,ICD9CM,not valid yet,2001,SNOMED,2090-01-01,2099-12-31,",
  "kU/L,0,Local units,kilounit per liter,3001,UCUM,1970-01-01,2099-12-31,",
  "U/L,0,Local units,unit per liter,3002,UCUM,1970-01-01,2099-12-31,",
  "",
].join("\n");

/** The loaded vocabularies (local ones live only in source_to_concept_map). */
const VOCABULARIES = [
  "vocabulary_id,vocabulary_name,vocabulary_reference,vocabulary_version,vocabulary_concept_id",
  "ICD9CM,ICD9CM,ref,v1,5046",
  "SNOMED,SNOMED,ref,v1,44819097",
  "UCUM,UCUM,ref,v1,44819107",
  "",
].join("\n");

const DIAGNOSES = ["id,code,unit", "r1,A1,kU/L", "r2,B2,U/L", "r3,C3,mg", "r4,D4,", "r5,E5,kU/L", "r6,ZZ9,", "r7,F6,", "r8,G7,", "r9,H8,", ""].join("\n");

/** (source row, concept) per `via`. */
const EXPECTED: Record<string, { src: string; concept: number }[]> = {
  stcm_first: [
    { src: "r1", concept: 2005 },
    { src: "r2", concept: 2001 },
    { src: "r2", concept: 2006 },
    { src: "r3", concept: 0 },
    { src: "r4", concept: 0 },
    { src: "r5", concept: 0 },
    { src: "r6", concept: 2001 },
    { src: "r7", concept: 2005 },
    { src: "r8", concept: 2001 },
    { src: "r8", concept: 2006 },
    { src: "r9", concept: 0 },
  ],
  maps_first: [
    { src: "r1", concept: 2001 },
    { src: "r1", concept: 2002 },
    { src: "r2", concept: 2001 },
    { src: "r3", concept: 0 },
    { src: "r4", concept: 0 },
    { src: "r5", concept: 0 },
    { src: "r6", concept: 2001 },
    { src: "r7", concept: 2005 },
    { src: "r8", concept: 2001 },
    { src: "r8", concept: 2006 },
    { src: "r9", concept: 0 },
  ],
  stcm_only: [
    { src: "r1", concept: 2005 },
    { src: "r2", concept: 2001 },
    { src: "r2", concept: 2006 },
    { src: "r3", concept: 0 },
    { src: "r4", concept: 0 },
    { src: "r5", concept: 0 },
    { src: "r6", concept: 2001 },
    { src: "r7", concept: 0 },
    { src: "r8", concept: 0 },
    { src: "r9", concept: 0 },
  ],
};
const VIA: Record<string, string> = {
  stcm_first: "[source_to_concept_map, maps_to]",
  maps_first: "[maps_to, source_to_concept_map]",
  stcm_only: "source_to_concept_map",
};

/** The measurement transform: a diagnosis lookup with `via`, and a unit lookup in a local vocabulary. */
function measurement(via: string): string {
  return [
    "kind: transform",
    "target: cdm.measurement",
    "mode: replace",
    "from: source.diagnoses AS d",
    "lookups:",
    `  dx: { code: d.code, vocabulary: ICD9CM, via: ${via} }`,
    "  unit: { code: d.unit, vocabulary: Local units, via: [source_to_concept_map] }",
    "ids:",
    "  measurement_id: { source_key: [d.id, dx.concept_id] }",
    "columns:",
    '  person_id: "1"',
    "  measurement_concept_id: dx.concept_id",
    "  measurement_source_concept_id: dx.source_concept_id",
    "  measurement_source_value: d.id",
    "  unit_concept_id: unit.concept_id",
    "  unit_source_value: d.unit",
    "  measurement_date: DATE '2020-01-01'",
    '  measurement_type_concept_id: "32817"',
    "",
  ].join("\n");
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "omopetl-lks-"));
  chmodSync(dir, 0o755); // the PostgreSQL server reads the files itself, as its own user
  mkdirSync(path.join(dir, "dml"));
  mkdirSync(path.join(dir, "data"));
  writeFileSync(path.join(dir, "data/concept.csv"), CONCEPTS);
  writeFileSync(path.join(dir, "data/concept_relationship.csv"), RELATIONSHIPS);
  writeFileSync(path.join(dir, "data/stcm.csv"), STCM);
  writeFileSync(path.join(dir, "data/vocabulary.csv"), VOCABULARIES);
  writeFileSync(path.join(dir, "data/diagnoses.csv"), DIAGNOSES);
  writeFileSync(path.join(dir, "dml/cdm_tables.yaml"), "kind: ddl\npart: tables\ntables: [concept, concept_relationship, source_to_concept_map, vocabulary, measurement]\n");
  writeFileSync(path.join(dir, "dml/concept.yaml"), "kind: load\ntarget: vocab.concept\nfiles: ../data/concept.csv\n");
  writeFileSync(path.join(dir, "dml/concept_relationship.yaml"), "kind: load\ntarget: vocab.concept_relationship\nfiles: ../data/concept_relationship.csv\n");
  writeFileSync(path.join(dir, "dml/source_to_concept_map.yaml"), "kind: load\ntarget: vocab.source_to_concept_map\nfiles: ../data/stcm.csv\n");
  writeFileSync(path.join(dir, "dml/vocabulary.yaml"), "kind: load\ntarget: vocab.vocabulary\nfiles: ../data/vocabulary.csv\n");
  writeFileSync(path.join(dir, "dml/diagnoses.yaml"), "kind: load\ntarget: source.diagnoses\nfiles: ../data/diagnoses.csv\ncolumns: { id: varchar, code: varchar, unit: varchar }\n");
  for (const [name, via] of Object.entries(VIA)) {
    writeFileSync(path.join(dir, `dml/measurement_${name}.yaml`), measurement(via));
    const steps = ["cdm_tables", "concept", "concept_relationship", "vocabulary", "source_to_concept_map", "diagnoses", `measurement_${name}`];
    writeFileSync(path.join(dir, `${name}.yaml`), `name: ${name}\ncdm_version: "5.4"\nsteps:\n${steps.map((s) => `  - dml: dml/${s}.yaml\n`).join("")}`);
  }
  writeTwoEngineConfig(dir, prefix);
});

afterAll(() => dropPgSchemas(dir, prefix));

describe("lookups via source_to_concept_map: the first source that maps a code wins", () => {
  const written: Record<string, Partial<Record<EngineName, unknown[]>>> = {};
  for (const name of Object.keys(VIA)) {
    written[name] = {};
    for (const engine of ENGINES) {
      it(`${engine}: via ${VIA[name]}`, async () => {
        const r = runCli(["run", `${name}.yaml`, "--target", engine, "--metrics-out", `metrics-${name}-${engine}.json`], { cwd: dir });
        expect(r.code, r.stderr).toBe(0);
        const cdm = schemasOf(engine).cdm;
        const rows = await query(engine, `SELECT measurement_source_value AS src, measurement_concept_id AS concept FROM ${cdm}.measurement ORDER BY 1, 2`);
        expect(rows).toEqual(EXPECTED[name]);
        // The unit lookup reads a local vocabulary that only source_to_concept_map has.
        const units = await query(engine, `SELECT DISTINCT unit_source_value AS unit, unit_concept_id AS concept FROM ${cdm}.measurement ORDER BY 1, 2`);
        expect(units).toEqual([
          { unit: "U/L", concept: 3002 },
          { unit: "kU/L", concept: 3001 },
          { unit: "mg", concept: 0 },
          { unit: null, concept: 0 },
        ]);
        written[name]![engine] = await query(engine, `SELECT * FROM ${cdm}.measurement ORDER BY measurement_id`);
        // The coverage report counts each source row once, however many concepts its code maps to (r2's B2: two
        // under source_to_concept_map; r8's G7: two under Maps to), and lists the unmapped codes.
        const metrics = JSON.parse(readFileSync(path.join(dir, `metrics-${name}-${engine}.json`), "utf8")) as { steps: { name: string; coverage?: unknown[] }[] };
        const unmapped = [...new Set(EXPECTED[name]!.filter((e) => e.concept === 0).map((e) => e.src))];
        const codeOf = Object.fromEntries(DIAGNOSES.trim().split("\n").slice(1).map((l) => [l.split(",")[0], l.split(",")[1]]));
        expect(metrics.steps.find((s) => s.name === `measurement_${name}`)!.coverage).toEqual([
          expect.objectContaining({ lookup: "dx", codes: 9, rows: 9, codesMapped: 9 - unmapped.length, rowsMapped: 9 - unmapped.length, rowsUnmapped: unmapped.length, topUnmapped: unmapped.map((src) => ({ code: codeOf[src], rows: 1 })) }),
          { lookup: "unit", codes: 3, codesMapped: 2, codesUnmapped: 1, rows: 4, rowsMapped: 3, rowsUnmapped: 1, rowsWithoutCode: 5, topUnmapped: [{ code: "mg", rows: 1 }] },
        ]);
      });
    }
    it(`via ${VIA[name]}: both engines wrote the same rows, ids included`, () => {
      expect(written[name]!.duckdb).toHaveLength(EXPECTED[name]!.length);
      expect(written[name]!.pg).toEqual(written[name]!.duckdb);
    });
  }

  it("a re-run on the old database equals the fresh run", async () => {
    for (const engine of ENGINES) {
      const r = runCli(["run", "stcm_only.yaml", "--target", engine], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      expect(await query(engine, `SELECT * FROM ${schemasOf(engine).cdm}.measurement ORDER BY measurement_id`)).toEqual(written.stcm_only![engine]);
    }
  });

  it("the source concept is CONCEPT's, or else the matched source_to_concept_map row's", async () => {
    // Row r6's code is only in source_to_concept_map (source_concept_id 0); r1's is in CONCEPT (1001).
    const cdm = schemasOf("duckdb").cdm;
    const rows = await query("duckdb", `SELECT measurement_source_value AS src, measurement_source_concept_id AS s FROM ${cdm}.measurement WHERE measurement_source_value IN ('r1', 'r6') ORDER BY 1`);
    expect(rows).toEqual([
      { src: "r1", s: 1001 },
      { src: "r6", s: 0 },
    ]);
  });

  for (const engine of ENGINES) {
    it(`${engine}: a misspelt local vocabulary fails the step, listing the ids of VOCABULARY and source_to_concept_map`, async () => {
      const file = path.join(dir, "dml/measurement_stcm_only.yaml");
      const good = readFileSync(file, "utf8");
      writeFileSync(file, good.replace("vocabulary: Local units", "vocabulary: Local unit"));
      try {
        const v = runCli(["validate", "stcm_only.yaml"], { cwd: dir });
        expect(v.code, v.stderr).toBe(0);
        expect(v.stderr).not.toContain("UNKNOWN_VOCABULARY"); // a local id is normal in source_to_concept_map
        const cdm = schemasOf(engine).cdm;
        const before = await query(engine, `SELECT count(*) AS n FROM ${cdm}.measurement`);
        const r = runCli(["run", "stcm_only.yaml", "--target", engine], { cwd: dir });
        expect(r.code).toBe(1);
        expect(r.stderr).toContain(
          'LOOKUP_VOCABULARY_UNKNOWN: the lookup vocabulary "Local unit" is not a vocabulary id of the loaded SOURCE_TO_CONCEPT_MAP or VOCABULARY table, so none of its codes could map. Known vocabulary ids: ICD10CM, ICD9CM, Local units, SNOMED, UCUM.',
        );
        expect(await query(engine, `SELECT count(*) AS n FROM ${cdm}.measurement`)).toEqual(before);
      } finally {
        writeFileSync(file, good);
      }
    });
  }

  it("a bad via is a located compile error", () => {
    const file = path.join(dir, "dml/measurement_stcm_only.yaml");
    const good = readFileSync(file, "utf8");
    try {
      writeFileSync(file, good.replace("via: source_to_concept_map }", "via: [maps_to, maps_to] }"));
      let r = runCli(["validate", "stcm_only.yaml"], { cwd: dir });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/dml\/measurement_stcm_only\.yaml:6:\d+ error LOOKUP_VIA_DUPLICATE: "maps_to" is listed twice in the lookup's via\./);
      writeFileSync(file, good.replace("via: source_to_concept_map }", "via: [source_to_concept_mop] }"));
      r = runCli(["validate", "stcm_only.yaml"], { cwd: dir });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/dml\/measurement_stcm_only\.yaml:6:\d+ error \w+: .*source_to_concept_map/);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    } finally {
      writeFileSync(file, good);
    }
  });
});
