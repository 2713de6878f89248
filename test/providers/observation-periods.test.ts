/**
 * `kind: observation_period` end to end: the golden fixture compile/observation-periods (visits found by the
 * patient's source value, lab results by person_id with a filter, periods split by a 30-day gap) is run on DuckDB and
 * on the real PostgreSQL against small hand-made data whose periods are worked out below; both engines write exactly
 * those rows with the same ids, and a re-run on the old database equals the first run.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CompiledWorkflowPlan, TransformBody } from "../../src/core/model/plan.js";
import type { RenderContext } from "../../src/providers/provider-api.js";
import { fixturesDir } from "../helpers/paths.js";
import type { Engine, EngineName } from "./helpers/engines.js";
import { openEngine, readableTempDir, removeDir, runStep, writeReadable } from "./helpers/engines.js";
import { compileFixturePlan, normalRows, type Row } from "./helpers/fixture-rows.js";

const FIXTURE = path.join(fixturesDir, "compile/observation-periods");

const PERSON = `person_id,gender_concept_id,year_of_birth,race_concept_id,ethnicity_concept_id,person_source_value
1,8507,1970,0,0,p1
2,8532,1980,0,0,p2
3,8532,1990,0,0,p3
`;
/**
 * p1: v1 (two days, datetimes), v2 without a stop, 17 days later; lab l1 21 days after v2 (within 30 days: one
 * period 01-01..02-10); v3 34 days after l1: a new period. p2: v4, then lab l3 59 days later: two periods. v5 is of
 * a patient with no person (left out); l2 is not valid (filtered out); p3 has no record (no period).
 */
const VISITS = `id,patient,start,stop
1,p1,2020-01-01 08:00:00,2020-01-03 10:00:00
2,p1,2020-01-20 09:00:00,
3,p1,2020-03-15 00:00:00,2020-03-16 12:00:00
4,p2,2021-01-01 10:00:00,2021-01-01 11:00:00
5,p9,2020-01-01 10:00:00,2020-12-31 11:00:00
`;
const LABS = `id,person,taken,valid
1,1,2020-02-10,true
2,1,2020-06-01,false
3,2,2021-03-01,true
`;
const PERIODS = [
  { observation_period_id: 1, person_id: 1, observation_period_start_date: "2020-01-01", observation_period_end_date: "2020-02-10", period_type_concept_id: 32817 },
  { observation_period_id: 2, person_id: 1, observation_period_start_date: "2020-03-15", observation_period_end_date: "2020-03-16", period_type_concept_id: 32817 },
  { observation_period_id: 3, person_id: 2, observation_period_start_date: "2021-01-01", observation_period_end_date: "2021-01-01", period_type_concept_id: 32817 },
  { observation_period_id: 4, person_id: 2, observation_period_start_date: "2021-03-01", observation_period_end_date: "2021-03-01", period_type_concept_id: 32817 },
];

const compile = (sourceDir: string): Promise<CompiledWorkflowPlan> => compileFixturePlan(FIXTURE, { source_dir: sourceDir });


describe("an observation period compiles into an ordinary transform", () => {
  it("the tables of dated rows are a union_all sub-select; the gap split as in eras", async () => {
    const plan = await compile("s3://bucket/observation");
    const body = plan.steps.find((s) => s.name === "observation_period")!.body as TransformBody;
    expect(body.selects[0]!.with!.map((w) => w.name)).toEqual(["dated", "period_flags", "period_members", "periods"]);
    expect(plan.steps.flatMap((s) => s.writes.map((w) => `${w.schema}.${w.name}`)).filter((t) => t.startsWith("staging."))).toEqual([]);
  });
});

describe.each(["duckdb", "postgres"] as EngineName[])("%s runs observation periods", (engineName) => {
  let engine: Engine;
  let dir: string;
  let plan: CompiledWorkflowPlan;
  let ctx: RenderContext;
  const rows = async (sql: string): Promise<Row[]> => normalRows(await engine.conn.query(sql));
  const periods = () => rows(`SELECT * FROM "${engine.schemas["cdm"]}".observation_period ORDER BY observation_period_id`);

  beforeAll(async () => {
    engine = await openEngine(engineName, "obsperiods");
    dir = await readableTempDir();
    await writeReadable(dir, "person.csv", PERSON);
    await writeReadable(dir, "visits.csv", VISITS);
    await writeReadable(dir, "labs.csv", LABS);
    plan = await compile(dir);
    ctx = { tables: plan.tables, schemas: engine.schemas, idMap: plan.idMap };
  });
  afterAll(async () => {
    await engine?.dispose();
    if (dir) await removeDir(dir);
  });

  it("writes exactly the periods worked out by hand, ids keyed by person and start, and re-runs to the same table", async () => {
    for (const step of plan.steps) await runStep(engine, step, ctx);
    const first = await periods();
    expect(first).toEqual(PERIODS);
    for (const step of plan.steps) await runStep(engine, step, ctx);
    expect(await periods()).toEqual(first);
  });
});
