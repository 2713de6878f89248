import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TransformBody } from "../../src/core/model/plan.js";
import { DuckDbGenerator } from "../../src/providers/duckdb/index.js";
import { PostgresGenerator } from "../../src/providers/postgres/index.js";
import type { RenderContext } from "../../src/providers/provider-api.js";
import { SparkGenerator } from "../../src/providers/spark/index.js";
import { runCli } from "../helpers/cli.js";
import { compileFixture } from "../helpers/compile.js";
import { dropPgSchemas, ENGINES, engineSchemas, queryEngine, writeTwoEngineConfig, type EngineName } from "../helpers/two-engines.js";

/**
 * Row accounting with numbers (issue 13, item 4): every reason a row read was not written carries its count — each
 * inner join, the where, routing by lookup domain, unmapped codes, group_by, having, qualify, distinct, per union
 * branch — in the CLI output, the metrics and the ledger; a join that dropped nothing is not blamed. The fixture
 * has a known number of drops per reason (worked out row by row in the comments below), the same on both engines.
 */
const prefix = `acc_${process.pid}_${Date.now().toString(36)}`;
let dir: string;
const query = (engine: EngineName, sql: string) => queryEngine(dir, engine, sql);

const CONCEPTS = [
  "concept_id,concept_name,domain_id,vocabulary_id,concept_class_id,standard_concept,concept_code,valid_start_date,valid_end_date,invalid_reason",
  "1001,two condition targets,Condition,ICD9CM,4-dig billing code,,A1,1970-01-01,2099-12-31,",
  "1006,procedure code,Procedure,ICD9CM,4-dig billing code,,F6,1970-01-01,2099-12-31,",
  "1007,two domains,Condition,ICD9CM,4-dig billing code,,G7,1970-01-01,2099-12-31,",
  "1008,observation code,Observation,ICD9CM,4-dig billing code,,H8,1970-01-01,2099-12-31,",
  "2001,standard one,Condition,SNOMED,Clinical Finding,S,s1,1970-01-01,2099-12-31,",
  "2002,standard two,Condition,SNOMED,Clinical Finding,S,s2,1970-01-01,2099-12-31,",
  "2005,a procedure,Procedure,SNOMED,Procedure,S,s5,1970-01-01,2099-12-31,",
  "2006,an observation,Observation,SNOMED,Observable Entity,S,s6,1970-01-01,2099-12-31,",
  "",
].join("\n");

const RELATIONSHIPS = [
  "concept_id_1,concept_id_2,relationship_id,valid_start_date,valid_end_date,invalid_reason",
  "1001,2001,Maps to,1970-01-01,2099-12-31,",
  "1001,2002,Maps to,1970-01-01,2099-12-31,",
  "1006,2005,Maps to,1970-01-01,2099-12-31,",
  "1007,2001,Maps to,1970-01-01,2099-12-31,",
  "1007,2006,Maps to,1970-01-01,2099-12-31,",
  "1008,2006,Maps to,1970-01-01,2099-12-31,",
  "",
].join("\n");

// 10 rows: d06 and d07 name a patient that does not exist; d05 is deleted; ZZ9 is in no vocabulary; A1 maps to two
// Condition concepts, G7 to a Condition and an Observation.
const DIAGNOSES = [
  "id,patient,code,status",
  "d01,p1,A1,ok",
  "d02,p1,F6,ok",
  "d03,p2,G7,ok",
  "d04,p2,ZZ9,ok",
  "d05,p3,A1,deleted",
  "d06,p9,A1,ok",
  "d07,p9,F6,ok",
  "d08,p3,H8,ok",
  "d09,p3,A1,ok",
  "d10,p1,ZZ9,ok",
  "",
].join("\n");
const PATIENTS = ["id", "p1", "p2", "p3", ""].join("\n");
const STATUSES = ["status", "ok", "deleted", ""].join("\n");

function domainStep(table: string, col: string, domain: string, dateColumn: string, keepUnmapped: boolean): string {
  return [
    "kind: transform",
    `target: cdm.${table}`,
    "mode: replace",
    "from: source.diagnoses AS d",
    "joins:",
    "  - { table: source.patients, as: p, on: p.id = d.patient }",
    "lookups:",
    `  dx: { code: d.code, vocabulary: ICD9CM, domain: ${domain}${keepUnmapped ? "" : ", keep_unmapped: false"} }`,
    "ids:",
    `  ${table}_id: { source_key: [d.id, dx.concept_id] }`,
    "where: d.status <> 'deleted'",
    "columns:",
    '  person_id: "1"',
    `  ${col}_concept_id: dx.concept_id`,
    `  ${col}_source_value: d.id`,
    `  ${dateColumn}: DATE '2020-01-01'`,
    `  ${col}_type_concept_id: "32817"`,
    "",
  ].join("\n");
}

const FILES: Record<string, string> = {
  "dml/cdm_tables.yaml": "kind: ddl\npart: tables\ntables: [concept, concept_relationship, vocabulary, condition_occurrence, procedure_occurrence, observation]\n",
  "dml/concept.yaml": "kind: load\ntarget: vocab.concept\nfiles: ../data/concept.csv\n",
  "dml/vocabulary.yaml": "kind: load\ntarget: vocab.vocabulary\nfiles: ../data/vocabulary.csv\n",
  "dml/concept_relationship.yaml": "kind: load\ntarget: vocab.concept_relationship\nfiles: ../data/concept_relationship.csv\n",
  "dml/diagnoses.yaml": "kind: load\ntarget: source.diagnoses\nfiles: ../data/diagnoses.csv\ncolumns: { id: varchar, patient: varchar, code: varchar, status: varchar }\n",
  "dml/patients.yaml": "kind: load\ntarget: source.patients\nfiles: ../data/patients.csv\ncolumns: { id: varchar }\n",
  "dml/statuses.yaml": "kind: load\ntarget: source.statuses\nfiles: ../data/statuses.csv\ncolumns: { status: varchar }\n",
  "dml/condition_occurrence.yaml": domainStep("condition_occurrence", "condition", "Condition", "condition_start_date", false),
  "dml/procedure_occurrence.yaml": domainStep("procedure_occurrence", "procedure", "Procedure", "procedure_date", false),
  "dml/observation.yaml": domainStep("observation", "observation", "Observation", "observation_date", true),
  // The first diagnosis of each patient: the join on statuses matches every row (not blamed), qualify drops the rest.
  "dml/first_dx.yaml": [
    "kind: transform",
    "target: staging.first_dx",
    "mode: rebuild",
    "key: [patient]",
    "from: source.diagnoses AS d",
    "joins:",
    "  - { table: source.patients, as: p, on: p.id = d.patient }",
    "  - { table: source.statuses, as: s, on: s.status = d.status }",
    "where: d.status <> 'deleted'",
    "qualify: row_number() OVER (PARTITION BY d.patient ORDER BY d.id) = 1",
    "columns: { patient: d.patient, id: d.id }",
    "",
  ].join("\n"),
  // Left joins on first_dx's key (one row per patient) and on statuses (no key). The first neither removes nor repeats
  // rows and nothing reads it but the output: the counting SQL leaves it out (see the last test), with the same counts.
  "dml/dx_first.yaml": [
    "kind: transform",
    "target: staging.dx_first",
    "mode: rebuild",
    "from: source.diagnoses AS d",
    "joins:",
    "  - { table: staging.first_dx, as: f, type: left, on: f.patient = d.patient }",
    "  - { table: source.statuses, as: s, type: left, on: s.status = d.status }",
    "where: d.status <> 'deleted'",
    "columns: { id: d.id, first_id: f.id, status: s.status }",
    "",
  ].join("\n"),
  // The same join read by the where: counted.
  "dml/dx_not_first.yaml": [
    "kind: transform",
    "target: staging.dx_not_first",
    "mode: rebuild",
    "from: source.diagnoses AS d",
    "joins:",
    "  - { table: staging.first_dx, as: f, type: left, on: f.patient = d.patient }",
    "where: f.id IS NULL OR f.id <> d.id",
    "columns: { id: d.id }",
    "",
  ].join("\n"),
  "dml/multi_dx.yaml": [
    "kind: transform",
    "target: staging.multi_dx",
    "mode: rebuild",
    "from: source.diagnoses AS d",
    "group_by: [d.patient]",
    "having: count(*) > 2",
    "columns: { patient: d.patient, n: count(*) }",
    "",
  ].join("\n"),
  "dml/dx_codes.yaml": ["kind: transform", "target: staging.dx_codes", "mode: rebuild", "from: source.diagnoses AS d", "distinct: true", "columns: { code: d.code }", ""].join("\n"),
  "dml/all_ids.yaml": [
    "kind: transform",
    "target: staging.all_ids",
    "mode: rebuild",
    "union_all:",
    "  - { from: source.diagnoses AS d, where: d.code = 'A1', columns: { id: d.id } }",
    "  - { from: source.patients AS p, columns: { id: p.id } }",
    "",
  ].join("\n"),
};

type Reason = { reason: string; rows: number; branch?: number };
/** What every engine must report, per step: rows read, written, not written per reason, added per reason. */
const EXPECTED: Record<string, { read: number; written: number; notWritten: Reason[]; added?: Reason[] }> = {
  // 10 read; 2 without a patient; A1 x3 and G7 match two concepts (+4 rows: 12); where drops d05's 2 rows (10);
  // ZZ9 x2 unmapped (8); d02 (Procedure), d03's Observation row and d08 routed away (5 written).
  condition_occurrence: {
    read: 10,
    written: 5,
    notWritten: [
      { reason: "no match in inner join source.patients p", rows: 2 },
      { reason: "where d.status <> 'deleted'", rows: 2 },
      { reason: "unmapped code in lookup dx (keep_unmapped: false)", rows: 2 },
      { reason: "routed to another domain by lookup dx (not Condition)", rows: 3 },
    ],
    added: [{ reason: "several matches in lookup dx", rows: 4 }],
  },
  procedure_occurrence: {
    read: 10,
    written: 1,
    notWritten: [
      { reason: "no match in inner join source.patients p", rows: 2 },
      { reason: "where d.status <> 'deleted'", rows: 2 },
      { reason: "unmapped code in lookup dx (keep_unmapped: false)", rows: 2 },
      { reason: "routed to another domain by lookup dx (not Procedure)", rows: 7 },
    ],
    added: [{ reason: "several matches in lookup dx", rows: 4 }],
  },
  // Keeps the unmapped rows: of the 10 after where, 6 are Condition or Procedure rows.
  observation: {
    read: 10,
    written: 4,
    notWritten: [
      { reason: "no match in inner join source.patients p", rows: 2 },
      { reason: "where d.status <> 'deleted'", rows: 2 },
      { reason: "routed to another domain by lookup dx (not Observation)", rows: 6 },
    ],
    added: [{ reason: "several matches in lookup dx", rows: 4 }],
  },
  // 7 rows after join and where; one per patient (3) kept by qualify. The join on statuses dropped nothing.
  first_dx: {
    read: 10,
    written: 3,
    notWritten: [
      { reason: "no match in inner join source.patients p", rows: 2 },
      { reason: "where d.status <> 'deleted'", rows: 1 },
      { reason: "qualify row_number() OVER (PARTITION BY d.patient ORDER BY d.id) = 1", rows: 4 },
    ],
  },
  // Every row once (first_dx has one row per patient, statuses one per status); the where drops d05.
  dx_first: { read: 10, written: 9, notWritten: [{ reason: "where d.status <> 'deleted'", rows: 1 }] },
  // The first diagnoses d01 (p1), d03 (p2) and d08 (p3) are dropped; p9 has none (f.id NULL).
  dx_not_first: { read: 10, written: 7, notWritten: [{ reason: "where f.id IS NULL OR f.id <> d.id", rows: 3 }] },
  // 4 patients (p1 3 rows, p2 2, p3 3, p9 2): 6 rows combined into groups; having keeps p1 and p3.
  multi_dx: {
    read: 10,
    written: 2,
    notWritten: [
      { reason: "rows combined by group_by", rows: 6 },
      { reason: "having count(*) > 2", rows: 2 },
    ],
  },
  // A1 x4, F6 x2, ZZ9 x2, G7, H8: 5 distinct codes.
  dx_codes: { read: 10, written: 5, notWritten: [{ reason: "duplicates removed by distinct", rows: 5 }] },
  // Branch 1 keeps the 4 A1 rows, branch 2 all 3 patients.
  all_ids: { read: 13, written: 7, notWritten: [{ reason: "where d.code = 'A1'", rows: 6, branch: 1 }] },
};

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "omopetl-acc-"));
  chmodSync(dir, 0o755); // the PostgreSQL server reads the files itself, as its own user
  mkdirSync(path.join(dir, "dml"));
  mkdirSync(path.join(dir, "data"));
  writeFileSync(path.join(dir, "data/concept.csv"), CONCEPTS);
  writeFileSync(path.join(dir, "data/concept_relationship.csv"), RELATIONSHIPS);
  writeFileSync(path.join(dir, "data/vocabulary.csv"), "vocabulary_id,vocabulary_name,vocabulary_reference,vocabulary_version,vocabulary_concept_id\nICD9CM,ICD9CM,ref,v1,5046\n");
  writeFileSync(path.join(dir, "data/diagnoses.csv"), DIAGNOSES);
  writeFileSync(path.join(dir, "data/patients.csv"), PATIENTS);
  writeFileSync(path.join(dir, "data/statuses.csv"), STATUSES);
  for (const [f, text] of Object.entries(FILES)) writeFileSync(path.join(dir, f), text);
  const steps = Object.keys(FILES).map((f) => `  - dml: ${f}\n`);
  writeFileSync(path.join(dir, "workflow.yaml"), `name: accounting\ncdm_version: "5.4"\nsteps:\n${steps.join("")}`);
  writeTwoEngineConfig(dir, prefix);
});

afterAll(() => dropPgSchemas(dir, prefix));

/** "a: 2; b: 3" as the CLI prints reasons. */
const printed = (reasons: readonly Reason[]) => reasons.map((r) => `${r.branch !== undefined ? `branch ${r.branch}: ` : ""}${r.reason}: ${r.rows}`).join("; ");
const total = (reasons: readonly Reason[] = []) => reasons.reduce((a, r) => a + r.rows, 0);

describe("row accounting: every row read and not written is counted, per reason", () => {
  const reported: Partial<Record<EngineName, unknown>> = {};
  for (const engine of ENGINES) {
    it(`${engine}: the CLI output, the metrics and the ledger carry the counts of each reason`, async () => {
      const metricsFile = path.join(dir, `metrics-${engine}.json`);
      const r = runCli(["run", "workflow.yaml", "--target", engine, "--metrics-out", metricsFile], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      const out = r.stdout + r.stderr;
      const metrics = JSON.parse(readFileSync(metricsFile, "utf8")) as { runId: string; steps: { name: string; rows: { read?: number; affected?: number; notWritten?: Reason[]; added?: Reason[] } }[] };
      const schemas = engineSchemas(prefix, engine);
      for (const [step, want] of Object.entries(EXPECTED)) {
        // The table holds what the accounting says was written.
        const table = step in { condition_occurrence: 1, procedure_occurrence: 1, observation: 1 } ? `${schemas.cdm}.${step}` : `${schemas.staging}.${step}`;
        const [{ n }] = (await query(engine, `SELECT count(*) AS n FROM ${table}`)) as [{ n: unknown }];
        expect(Number(n), step).toBe(want.written);
        expect(want.read - total(want.notWritten) + total(want.added), `${step}: read - not written + added = written`).toBe(want.written);

        const rows = metrics.steps.find((s) => s.name === step)!.rows;
        expect(rows.read, step).toBe(want.read);
        expect(rows.affected, step).toBe(want.written);
        expect(rows.notWritten, step).toEqual(want.notWritten);
        expect(rows.added, step).toEqual(want.added);

        const line = out.split("\n").find((l) => l.startsWith(`✔ ${step} `))!;
        expect(line, step).toContain(`${want.read} read · ${want.written} inserted · ${total(want.notWritten)} not written (${printed(want.notWritten)})`);
        if (want.added) expect(line, step).toContain(`· ${total(want.added)} added (${printed(want.added)})`);
        else expect(line, step).not.toContain("added");
      }
      // A join that matched every row is not blamed anywhere.
      expect(out).not.toContain("source.statuses");

      const ledger = (await query(
        engine,
        `SELECT step_name, position, branch, effect, reason, rows FROM ${schemas.staging}.omopetl_step_rows WHERE run_id = '${metrics.runId}' ORDER BY step_name, position`,
      )) as { step_name: string; position: unknown; branch: unknown; effect: string; reason: string; rows: unknown }[];
      const fromLedger = ledger.map((l) => ({ step: l.step_name, effect: l.effect, reason: l.reason, rows: Number(l.rows), branch: l.branch === null ? null : Number(l.branch) }));
      const expected = Object.entries(EXPECTED)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .flatMap(([step, w]) => [
          ...w.notWritten.map((x) => ({ step, effect: "not_written", reason: x.reason, rows: x.rows, branch: x.branch ?? null })),
          ...(w.added ?? []).map((x) => ({ step, effect: "added", reason: x.reason, rows: x.rows, branch: x.branch ?? null })),
        ]);
      expect(fromLedger).toEqual(expected);

      // status shows the rows not written per step, with the reasons, from the ledger.
      const status = runCli(["status", metrics.runId, "--target", engine], { cwd: dir });
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toContain("rows not written:");
      const c = EXPECTED.condition_occurrence!;
      expect(status.stdout).toContain(`  condition_occurrence: 10 read, 9 not written (${printed(c.notWritten)}); 4 added (${printed(c.added!)})`);
      reported[engine] = metrics.steps.map((s) => ({ name: s.name, rows: s.rows }));
    });
  }

  it("both engines report the same accounting", () => {
    expect(reported.duckdb).toBeDefined();
    expect(reported.pg).toEqual(reported.duckdb);
  });

  it("per source routed by domain: the rows left after the where equal the rows written across its domain steps", () => {
    const afterWhere = 10 - 2 + 4 - 2;
    expect(EXPECTED.condition_occurrence!.written + EXPECTED.procedure_occurrence!.written + EXPECTED.observation!.written).toBe(afterWhere);
  });

  it("the counting SQL leaves out a left join on its table's key that nothing counted reads, on every generator but Spark's", async () => {
    const r = await compileFixture("workflow.yaml", dir, {});
    if (!r.plan) throw new Error(r.diagnostics.map((d) => `${d.code}: ${d.message}`).join("\n"));
    const plan = r.plan;
    const ctx: RenderContext = { tables: plan.tables, schemas: { source: "src", staging: "stage", cdm: "cdm", vocab: "cdm" }, idMap: plan.idMap };
    const body = (name: string) => plan.steps.find((s) => s.name === name)!.body as TransformBody;
    for (const g of [new DuckDbGenerator(), new PostgresGenerator()]) {
      const first = g.renderRowAccounting!(body("dx_first"), ctx)!.sql;
      expect(first, g.dialect).not.toContain("first_dx");
      expect(first, g.dialect).toContain("statuses");
      expect(g.renderRowAccounting!(body("dx_not_first"), ctx)!.sql, g.dialect).toContain("first_dx");
    }
    // Spark checks no key (its tables declare none): the join stays.
    expect(new SparkGenerator().renderRowAccounting(body("dx_first"), ctx)!.sql).toContain("first_dx");
  });

  it("--no-row-accounting reports the rows read and written, without counting reasons", () => {
    const r = runCli(["run", "workflow.yaml", "--target", "duckdb", "--no-row-accounting"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const line = (r.stdout + r.stderr).split("\n").find((l) => l.startsWith("✔ condition_occurrence "))!;
    // After the runs above, the step deletes what they wrote.
    expect(line).toMatch(/ 10 read · 5 inserted · (\d+ deleted · )?5 not written \(/);
    expect(line).not.toContain(": 2");
  });
});
