/**
 * `let:` named expressions end to end: the golden fixture compile/let is compiled against a small encounters file and
 * run on DuckDB and on the real PostgreSQL, twice: lets used in where, group_by, columns, qualify and by each other,
 * output columns used by a later column, a window in a let, and a window value in an id key through a sub-select give
 * exactly the expected rows, the same on both engines, and re-running changes nothing (surrogate ids included).
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CompiledWorkflowPlan } from "../../src/core/model/plan.js";
import { DuckDbGenerator } from "../../src/providers/duckdb/index.js";
import { PostgresGenerator } from "../../src/providers/postgres/index.js";
import type { RenderContext } from "../../src/providers/provider-api.js";
import { compileFixture } from "../helpers/compile.js";
import { fixturesDir } from "../helpers/paths.js";
import type { Engine, EngineName } from "./helpers/engines.js";
import { openEngine, readableTempDir, removeDir, runStep, writeReadable } from "./helpers/engines.js";

const FIXTURE = path.join(fixturesDir, "compile/let");

/** p1: two encounters on one day (ties broken by id), one 5 days later, one 50 days later; p2: three within 19 days. */
const ENCOUNTERS = `id,patient,start,cost,class
e1,p1,2020-01-10,100.5,outpatient
e2,p1,2020-01-05,50,inpatient
e3,p1,2020-01-05,70,inpatient
e4,p1,2020-03-01,20,outpatient
e5,p2,2021-06-01,10,outpatient
e6,p2,2021-06-01,30,outpatient
e7,p2,2021-06-20,25,inpatient
e8,p3,2019-12-31,5,outpatient
`;

async function compile(sourceDir: string): Promise<CompiledWorkflowPlan> {
  const r = await compileFixture("workflow.yaml", FIXTURE, { source_dir: sourceDir });
  if (!r.plan) throw new Error(r.diagnostics.map((d) => `${d.code}: ${d.message}`).join("\n"));
  return r.plan;
}

type Row = Record<string, unknown>;
/** Rows with numbers (engines return bigint/numeric as numbers or strings) and dates normalised. */
const normal = (rows: Row[]): Row[] =>
  rows.map((r) =>
    Object.fromEntries(
      Object.entries(r).map(([k, v]) => [
        k,
        v instanceof Date ? v.toISOString().slice(0, 10) : typeof v === "bigint" || (typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v)) ? Number(v) : v,
      ]),
    ),
  );

const BANDS = [
  { patient: "p1", band: "high", encounters: 3, total: 220.5, mean: 73.5 },
  { patient: "p1", band: "low", encounters: 1, total: 20, mean: 20 },
  { patient: "p2", band: "low", encounters: 3, total: 65, mean: 21.67 },
];
/** The first and the last encounter of each patient (p3 has one), numbered by the sub-select's window. */
const VISITS = [
  { encounter_id: "e2", patient: "p1", visit_no: 1, gap_days: 0, is_last: false, visit_id: 1 },
  { encounter_id: "e4", patient: "p1", visit_no: 4, gap_days: 51, is_last: true, visit_id: 4 },
  { encounter_id: "e5", patient: "p2", visit_no: 1, gap_days: 0, is_last: false, visit_id: 5 },
  { encounter_id: "e7", patient: "p2", visit_no: 3, gap_days: 19, is_last: true, visit_id: 7 },
  { encounter_id: "e8", patient: "p3", visit_no: 1, gap_days: 0, is_last: true, visit_id: 8 },
];

describe("lets are expanded where they are used", () => {
  it("a let and an output column read by a later column are written out in full", async () => {
    const plan = await compile("s3://bucket/encounters");
    const ctx: RenderContext = { tables: plan.tables, schemas: { source: "src", staging: "stg", cdm: "cdm", vocab: "voc" }, idMap: plan.idMap };
    for (const g of [new DuckDbGenerator(), new PostgresGenerator()]) {
      const sql = g.renderStep(plan.steps.find((s) => s.name === "cost_bands")!, ctx).statements.find((s) => s.startsWith("INSERT INTO stg.cost_bands"))!;
      expect(sql).toMatch(/\nWHERE CAST\(EXTRACT\(YEAR FROM e\.start\) AS INTEGER\) >= 2020\n/);
      expect(sql).toContain("\nGROUP BY e.patient, CASE WHEN e.cost >= 50 THEN 'high' ELSE 'low' END");
      expect(sql).toMatch(/ {2}round\(.*sum\(e\.cost\) \/ .*count\(\*\).*, 2\) AS mean\n/);
    }
  });
});

describe.each(["duckdb", "postgres"] as EngineName[])("%s runs lets", (engineName) => {
  let engine: Engine;
  let dir: string;
  let plan: CompiledWorkflowPlan;
  let ctx: RenderContext;
  const table = (name: string): string => `"${engine.schemas["staging"]}".${name}`;
  const rows = async (sql: string): Promise<Row[]> => normal(await engine.conn.query(sql));

  beforeAll(async () => {
    engine = await openEngine(engineName, "lets");
    dir = await readableTempDir();
    await writeReadable(dir, "encounters.csv", ENCOUNTERS);
    plan = await compile(dir);
    ctx = { tables: plan.tables, schemas: engine.schemas, idMap: plan.idMap };
  });
  afterAll(async () => {
    await engine?.dispose();
    if (dir) await removeDir(dir);
  });

  async function runAll(): Promise<Record<string, number | undefined>> {
    const counts: Record<string, number | undefined> = {};
    for (const step of plan.steps) counts[step.name] = await runStep(engine, step, ctx);
    return counts;
  }

  async function snapshot(): Promise<Row[][]> {
    return [
      await rows(`SELECT patient, band, encounters, total, mean FROM ${table("cost_bands")} ORDER BY patient, band`),
      await rows(`SELECT encounter_id, patient, visit_no, gap_days, is_last, visit_id FROM ${table("visit_numbers")} ORDER BY encounter_id`),
      await rows(`SELECT source_key, id FROM ${table("omopetl_id_map")} WHERE domain = 'visit_numbers.visit_id' ORDER BY id`),
    ];
  }

  it("writes exactly the expected rows, and re-runs idempotently", async () => {
    const first = await runAll();
    expect(first).toMatchObject({ cost_bands: 3, visit_numbers: 5 });
    const [bands, visits, ids] = await snapshot();
    expect(bands).toEqual(BANDS);
    expect(visits).toEqual(VISITS);
    // Every numbered encounter read got an id, keyed by (patient, visit number), in byte order of the key.
    expect(ids!.map((r) => r["id"])).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const again = await runAll();
    expect(again).toMatchObject({ cost_bands: 3, visit_numbers: 0 });
    expect(await snapshot()).toEqual([bands, visits, ids]);
  });
});
