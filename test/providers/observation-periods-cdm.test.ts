/**
 * `kind: observation_period` without `events:`: from the CDM's own tables. `from: events` (the default) reads the
 * seven clinical tables by their start and end dates, `from: visits` visit_occurrence alone; a workflow whose CDM
 * holds visits and measurements gets, on DuckDB and PostgreSQL, one period per person from the first of those dates
 * to the last, and a re-run gives the same table.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CompiledWorkflowPlan, TransformBody } from "../../src/core/model/plan.js";
import type { RenderContext } from "../../src/providers/provider-api.js";
import type { Engine, EngineName } from "./helpers/engines.js";
import { openEngine, readableTempDir, removeDir, runStep, writeReadable } from "./helpers/engines.js";
import { compileFixturePlan, normalRows } from "./helpers/fixture-rows.js";

const TABLES = ["person", "visit_occurrence", "condition_occurrence", "drug_exposure", "procedure_occurrence", "device_exposure", "measurement", "observation", "observation_period"];

/** A workflow over the CDM tables: loads of person, visits and measurements, and the period step (`from:` as given). */
async function writeWorkflow(dir: string, from: "events" | "visits" | undefined): Promise<void> {
  await mkdir(path.join(dir, "dml"), { recursive: true });
  const files: Record<string, string> = {
    "workflow.yaml": `name: periods-from-cdm\ncdm_version: "5.4"\nparams: { source_dir: { type: path } }\nsteps:\n  - dml: dml/tables.yaml\n  - dml: dml/load_*.yaml\n  - dml: dml/observation_period.yaml\n`,
    "dml/tables.yaml": `kind: ddl\ntables: [${TABLES.join(", ")}]\n`,
    "dml/load_person.yaml": 'kind: load\ntarget: cdm.person\nfiles: ${params.source_dir}/person.csv\nmissing_columns: "null"\n',
    "dml/load_visits.yaml": 'kind: load\ntarget: cdm.visit_occurrence\nfiles: ${params.source_dir}/visits.csv\nmissing_columns: "null"\n',
    "dml/load_measurements.yaml": 'kind: load\ntarget: cdm.measurement\nfiles: ${params.source_dir}/measurements.csv\nmissing_columns: "null"\n',
    "dml/observation_period.yaml": `kind: observation_period\n${from ? `from: ${from}\n` : ""}`,
  };
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
}

const PERSON = "person_id,gender_concept_id,year_of_birth,race_concept_id,ethnicity_concept_id\n1,8507,1970,0,0\n2,8532,1980,0,0\n3,8532,1990,0,0\n";
const VISITS = "visit_occurrence_id,person_id,visit_concept_id,visit_start_date,visit_end_date,visit_type_concept_id\n1,1,9201,2020-01-05,2020-01-07,32817\n2,2,9202,2021-02-01,2021-02-01,32817\n";
const MEASUREMENTS = "measurement_id,person_id,measurement_concept_id,measurement_date,measurement_type_concept_id\n1,1,3004249,2020-03-01,32817\n2,2,3004249,2020-12-31,32817\n";

describe("periods from the CDM's tables", () => {
  it("from: events reads the seven clinical tables, from: visits visit_occurrence alone", async () => {
    const dir = await readableTempDir();
    try {
      const branches = async (from: "events" | "visits" | undefined) => {
        await writeWorkflow(dir, from);
        const plan = await compileFixturePlan(dir, { source_dir: dir });
        const body = plan.steps.find((s) => s.name === "observation_period")!.body as TransformBody;
        return body.selects[0]!.with!.find((w) => w.name === "dated")!.union!.map((b) => b.from?.table.name);
      };
      const all = ["visit_occurrence", "condition_occurrence", "drug_exposure", "procedure_occurrence", "device_exposure", "measurement", "observation"];
      expect(await branches(undefined)).toEqual(all);
      expect(await branches("events")).toEqual(all);
      expect(await branches("visits")).toEqual(["visit_occurrence"]);
    } finally {
      await removeDir(dir);
    }
  });
});

describe.each(["duckdb", "postgres"] as EngineName[])("%s: periods from the CDM's tables", (engineName) => {
  let engine: Engine;
  let dir: string;
  let plan: CompiledWorkflowPlan;
  let ctx: RenderContext;

  beforeAll(async () => {
    engine = await openEngine(engineName, "periodscdm");
    dir = await readableTempDir();
    await writeReadable(dir, "person.csv", PERSON);
    await writeReadable(dir, "visits.csv", VISITS);
    await writeReadable(dir, "measurements.csv", MEASUREMENTS);
    await writeWorkflow(dir, undefined);
    plan = await compileFixturePlan(dir, { source_dir: dir });
    ctx = { tables: plan.tables, schemas: engine.schemas, idMap: plan.idMap };
  });
  afterAll(async () => {
    await engine?.dispose();
    if (dir) await removeDir(dir);
  });

  it("one period per person with a record, first date to last (person 3 has none), the same on a re-run", async () => {
    const periods = async () =>
      normalRows(await engine.conn.query(`SELECT * FROM "${engine.schemas["cdm"]}".observation_period ORDER BY observation_period_id`));
    for (const step of plan.steps) await runStep(engine, step, ctx);
    const first = await periods();
    expect(first).toEqual([
      { observation_period_id: 1, person_id: 1, observation_period_start_date: "2020-01-05", observation_period_end_date: "2020-03-01", period_type_concept_id: 32817 },
      { observation_period_id: 2, person_id: 2, observation_period_start_date: "2020-12-31", observation_period_end_date: "2021-02-01", period_type_concept_id: 32817 },
    ]);
    for (const step of plan.steps) await runStep(engine, step, ctx);
    expect(await periods()).toEqual(first);
  });
});
