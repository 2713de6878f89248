/**
 * `kind: era` end to end: the golden fixture compile/eras (condition eras with a filter and a 40-day window, drug
 * eras with sub-exposures and gap days, dose eras per dose and unit, all from source tables named by role) is run
 * on DuckDB and on the real PostgreSQL against small hand-made data whose eras are worked out by hand below; both
 * engines write exactly those rows, the same ids, and a re-run on the old database equals the first run.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CompiledWorkflowPlan, TransformBody } from "../../src/core/model/plan.js";
import type { RenderContext } from "../../src/providers/provider-api.js";
import { fixturesDir } from "../helpers/paths.js";
import type { Engine, EngineName } from "./helpers/engines.js";
import { openEngine, readableTempDir, removeDir, runStep, writeReadable } from "./helpers/engines.js";
import { compileFixturePlan, normalRows, type Row } from "./helpers/fixture-rows.js";

const FIXTURE = path.join(fixturesDir, "compile/eras");

/**
 * Person 1, code 100: c1 01-01..01-10 and c2 inside it; c3 starts 02-09 with no end (lasts to 02-10), within 40
 * days of 01-10; c4 starts 03-12, 31 days after 02-10: one era with a 40-day window (two with OHDSI's 30). c5 has
 * concept 0 (left out). Person 2: c6 alone; c7 without an end; c8 is an entered-in-error row (the where: drops it).
 */
const CONDITIONS = `id,patient,code,onset,resolved,status
1,1,100,2020-01-01,2020-01-10,ok
2,1,100,2020-01-05,2020-01-07,ok
3,1,100,2020-02-09,,ok
4,1,100,2020-03-12,2020-03-15,ok
5,1,0,2020-01-01,2020-01-02,ok
6,2,100,2021-05-01,2021-05-03,ok
7,2,200,2021-05-01,,ok
8,2,200,2021-05-02,2021-09-01,error
`;

/**
 * Ingredients 1000 (A) and 2000 (B); drug 1100 contains both, 1200 only A. Person 1: d1, d2 (A and B) and d3 (starting
 * the day d2 ends) form A's first sub-exposure 01-01..01-25 (24 days); d4 has no end but 5 days' supply
 * (02-10..02-15), within 30 days: same era, gap 45 - 29 = 16 days; d5 has no end and no supply (04-01..04-02): a new
 * era. d6 has a negative supply and d7 concept 0: both left out. Doses: d1, d2, d4 take 10 units, d3 20; d5 none.
 */
const DRUGS = `id,patient,code,first_day,last_day,supply,dose,unit
1,1,1200,2020-01-01,2020-01-10,9,10,8576
2,1,1100,2020-01-08,2020-01-20,12,10,8576
3,1,1200,2020-01-20,2020-01-25,5,20,8576
4,1,1200,2020-02-10,,5,10,8576
5,1,1200,2020-04-01,,0,,8576
6,1,1200,2020-01-02,2020-01-05,-3,10,8576
7,1,0,2020-01-01,2020-01-30,29,10,8576
`;
const CONCEPT = `concept_id,concept_name,domain_id,vocabulary_id,concept_class_id,standard_concept,concept_code,valid_start_date,valid_end_date,invalid_reason
1000,ingredient A,Drug,RxNorm,Ingredient,S,A,1970-01-01,2099-12-31,
2000,ingredient B,Drug,RxNorm,Ingredient,S,B,1970-01-01,2099-12-31,
1100,A and B tablet,Drug,RxNorm,Clinical Drug,S,AB,1970-01-01,2099-12-31,
1200,A tablet,Drug,RxNorm,Clinical Drug,S,A1,1970-01-01,2099-12-31,
`;
const ANCESTOR = `ancestor_concept_id,descendant_concept_id,min_levels_of_separation,max_levels_of_separation
1000,1000,0,0
2000,2000,0,0
1100,1100,0,0
1200,1200,0,0
1000,1100,1,1
2000,1100,1,1
1000,1200,1,1
`;

const CONDITION_ERAS = [
  { person_id: 1, condition_concept_id: 100, condition_era_start_date: "2020-01-01", condition_era_end_date: "2020-03-15", condition_occurrence_count: 4 },
  { person_id: 2, condition_concept_id: 100, condition_era_start_date: "2021-05-01", condition_era_end_date: "2021-05-03", condition_occurrence_count: 1 },
  { person_id: 2, condition_concept_id: 200, condition_era_start_date: "2021-05-01", condition_era_end_date: "2021-05-02", condition_occurrence_count: 1 },
];
const DRUG_ERAS = [
  { person_id: 1, drug_concept_id: 1000, drug_era_start_date: "2020-01-01", drug_era_end_date: "2020-02-15", drug_exposure_count: 4, gap_days: 16 },
  { person_id: 1, drug_concept_id: 1000, drug_era_start_date: "2020-04-01", drug_era_end_date: "2020-04-02", drug_exposure_count: 1, gap_days: 0 },
  { person_id: 1, drug_concept_id: 2000, drug_era_start_date: "2020-01-08", drug_era_end_date: "2020-01-20", drug_exposure_count: 1, gap_days: 0 },
];
const DOSE_ERAS = [
  { person_id: 1, drug_concept_id: 1000, unit_concept_id: 8576, dose_value: 10, dose_era_start_date: "2020-01-01", dose_era_end_date: "2020-02-15" },
  { person_id: 1, drug_concept_id: 1000, unit_concept_id: 8576, dose_value: 20, dose_era_start_date: "2020-01-20", dose_era_end_date: "2020-01-25" },
  { person_id: 1, drug_concept_id: 2000, unit_concept_id: 8576, dose_value: 10, dose_era_start_date: "2020-01-08", dose_era_end_date: "2020-01-20" },
];

const compile = (sourceDir: string): Promise<CompiledWorkflowPlan> => compileFixturePlan(FIXTURE, { source_dir: sourceDir });

const withoutId = (rows: Row[], id: string): Row[] => rows.map(({ [id]: _id, ...rest }) => rest);

describe("an era compiles into an ordinary transform", () => {
  it("its stages are with: sub-selects of one select, in dependency order; no staging table is written", async () => {
    const plan = await compile("s3://bucket/eras");
    const body = (step: string): TransformBody => plan.steps.find((s) => s.name === step)!.body as TransformBody;
    expect(plan.steps.find((s) => s.name === "drug_era")!.kind).toBe("transform");
    expect(body("condition_era").selects[0]!.with!.map((w) => w.name)).toEqual(["source_rows", "events", "event_flags", "event_members", "eras"]);
    expect(body("drug_era").selects[0]!.with!.map((w) => w.name)).toEqual([
      "source_rows", "events", "event_flags", "event_members", "sub_exposures", "sub_exposure_flags", "sub_exposure_members", "eras",
    ]);
    expect(body("dose_era").selects[0]!.with!.map((w) => w.name)).toEqual(["source_rows", "events", "event_flags", "event_members", "eras"]);
    expect(plan.steps.flatMap((s) => s.writes.map((w) => `${w.schema}.${w.name}`)).filter((t) => t.startsWith("staging."))).toEqual([]);
  });
});

describe.each(["duckdb", "postgres"] as EngineName[])("%s runs eras", (engineName) => {
  let engine: Engine;
  let dir: string;
  let plan: CompiledWorkflowPlan;
  let ctx: RenderContext;
  const table = (name: string): string => `"${engine.schemas["cdm"]}".${name}`;
  const rows = async (sql: string): Promise<Row[]> => normalRows(await engine.conn.query(sql));

  beforeAll(async () => {
    engine = await openEngine(engineName, "eras");
    dir = await readableTempDir();
    await writeReadable(dir, "conditions.csv", CONDITIONS);
    await writeReadable(dir, "drugs.csv", DRUGS);
    await writeReadable(dir, "concept.csv", CONCEPT);
    await writeReadable(dir, "concept_ancestor.csv", ANCESTOR);
    plan = await compile(dir);
    ctx = { tables: plan.tables, schemas: engine.schemas, idMap: plan.idMap };
  });
  afterAll(async () => {
    await engine?.dispose();
    if (dir) await removeDir(dir);
  });

  async function runAll(): Promise<void> {
    for (const step of plan.steps) await runStep(engine, step, ctx);
  }

  async function snapshot(): Promise<Row[][]> {
    return [
      await rows(`SELECT * FROM ${table("condition_era")} ORDER BY person_id, condition_concept_id, condition_era_start_date`),
      await rows(`SELECT * FROM ${table("drug_era")} ORDER BY person_id, drug_concept_id, drug_era_start_date`),
      await rows(`SELECT * FROM ${table("dose_era")} ORDER BY person_id, drug_concept_id, dose_value, dose_era_start_date`),
    ];
  }

  it("writes exactly the eras worked out by hand, with ids unique per table, and re-runs to the same tables", async () => {
    await runAll();
    const first = await snapshot();
    const [conditions, drugs, doses] = first;
    expect(withoutId(conditions!, "condition_era_id")).toEqual(CONDITION_ERAS);
    expect(withoutId(drugs!, "drug_era_id")).toEqual(DRUG_ERAS);
    expect(withoutId(doses!, "dose_era_id")).toEqual(DOSE_ERAS);
    for (const [t, id] of [[conditions!, "condition_era_id"], [drugs!, "drug_era_id"], [doses!, "dose_era_id"]] as const) {
      expect(new Set(t.map((r) => r[id])).size).toBe(t.length);
    }
    await runAll();
    expect(await snapshot()).toEqual(first);
  });

  it("gives the same ids on every engine: keyed by person, concept (unit, dose) and start, assigned in byte order", async () => {
    const [conditions, drugs, doses] = await snapshot();
    // Keys in UTF-8 byte order of "len:text|..." (person 1 before 2; "4:1000" before "4:2000"; dose "2:10" before "2:20").
    expect(conditions!.map((r) => r["condition_era_id"])).toEqual([1, 2, 3]);
    expect(drugs!.map((r) => r["drug_era_id"])).toEqual([1, 2, 3]);
    expect(doses!.map((r) => r["dose_era_id"])).toEqual([1, 2, 3]);
  });
});
