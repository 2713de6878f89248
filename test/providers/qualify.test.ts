/**
 * `qualify:` end to end: the golden fixture compile/qualify is compiled against a small encounters file, and its
 * plan is run on DuckDB and on the real PostgreSQL, twice: qualify keeps exactly the rows it should (the first per
 * patient, the busiest day of a grouped select, one select of a union), the results are the same on both engines, and
 * re-running changes nothing (surrogate ids included).
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CompiledWorkflowPlan } from "../../src/core/model/plan.js";
import type { BaseSqlGenerator } from "../../src/providers/base/base-generator.js";
import { DuckDbGenerator } from "../../src/providers/duckdb/index.js";
import { PostgresGenerator } from "../../src/providers/postgres/index.js";
import type { RenderContext } from "../../src/providers/provider-api.js";
import { compileFixture } from "../helpers/compile.js";
import { fixturesDir } from "../helpers/paths.js";
import * as b from "./helpers/plan-builders.js";
import type { Engine, EngineName } from "./helpers/engines.js";
import { openEngine, readableTempDir, removeDir, runStep, writeReadable } from "./helpers/engines.js";

const FIXTURE = path.join(fixturesDir, "compile/qualify");

/** p1 has two inpatient encounters on one day (ties broken by id), p2 two outpatient ones; p3 one encounter. */
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

const FIRST = [
  { encounter_id: "e2", patient: "p1", start: "2020-01-05", later_encounters: 3, row_id: 2 },
  { encounter_id: "e5", patient: "p2", start: "2021-06-01", later_encounters: 2, row_id: 5 },
  { encounter_id: "e8", patient: "p3", start: "2019-12-31", later_encounters: 0, row_id: 8 },
];
const BUSIEST = [
  { patient: "p1", day: "2020-01-05", encounters: 2 },
  { patient: "p2", day: "2021-06-01", encounters: 2 },
  { patient: "p3", day: "2019-12-31", encounters: 1 },
];
/** last inpatient per patient (moving cost over inpatient rows only: where runs first), and 30-day cost peaks. */
const COST = [
  { patient: "p1", kind: "last inpatient", moving_cost: 120 },
  { patient: "p1", kind: "peak", moving_cost: 120 },
  { patient: "p1", kind: "peak", moving_cost: 120.5 },
  { patient: "p1", kind: "peak", moving_cost: 170.5 },
  { patient: "p2", kind: "last inpatient", moving_cost: 25 },
  { patient: "p2", kind: "peak", moving_cost: 40 },
  { patient: "p3", kind: "peak", moving_cost: 5 },
];

describe("qualify renders one portable shape", () => {
  it("an inner query computes the flag, the outer one filters on it (and applies DISTINCT after it)", async () => {
    const plan = await compile("s3://bucket/encounters");
    const ctx: RenderContext = { tables: plan.tables, schemas: { source: "src", staging: "stg", cdm: "cdm", vocab: "voc" }, idMap: plan.idMap };
    const cost = plan.steps.find((s) => s.name === "encounter_cost")!;
    for (const g of [new DuckDbGenerator(), new PostgresGenerator()]) {
      const insert = g.renderStep(cost, ctx).statements.find((s) => s.startsWith("INSERT INTO stg.encounter_cost"))!;
      expect(insert).toContain("\nUNION ALL\nSELECT DISTINCT\n  q.patient,\n  q.kind,\n  q.moving_cost\nFROM (\n  SELECT\n");
      // e.id is text: sorted in byte order on every engine (COLLATE "binary" / "C"), so ties break alike.
      const bytes = g instanceof PostgresGenerator ? 'COLLATE "C"' : 'COLLATE "binary"';
      expect(insert).toContain(`row_number() OVER (PARTITION BY e.patient ORDER BY e.start DESC NULLS FIRST, e.id ${bytes} DESC NULLS FIRST) = 1 AS __qualify\n`);
      expect(insert.match(/\) AS q\nWHERE q.__qualify/g)).toHaveLength(2);
      expect(insert).not.toMatch(/QUALIFY/);
    }
  });

  it("the flag's name never collides with an output column", () => {
    const g = new PostgresGenerator() as BaseSqlGenerator;
    const t = b.ref("source", "t");
    const cols = [b.column("__qualify", b.INT), b.column("___qualify", b.INT)];
    const qualify = b.eq(b.window("row_number", [], [], [], "bigint"), b.lit(1));
    const sel = b.select({ table: t, alias: "t" }, { __qualify: b.lit(1), ___qualify: b.lit(2) }, { qualify });
    const step = b.transformStep("x", b.ref("staging", "x"), "replace", cols, [sel]);
    const sql = g.renderStep(step, b.context([b.tableDef("source", "t", [])], { source: "s", staging: "st" })).statements.join("\n");
    expect(sql).toContain("AS ____qualify\n");
    expect(sql).toContain("WHERE q.____qualify");
  });
});

describe.each(["duckdb", "postgres"] as EngineName[])("%s runs qualify", (engineName) => {
  let engine: Engine;
  let dir: string;
  let plan: CompiledWorkflowPlan;
  let ctx: RenderContext;
  const table = (name: string): string => `"${engine.schemas["staging"]}".${name}`;
  const rows = async (sql: string): Promise<Row[]> => normal(await engine.conn.query(sql));

  beforeAll(async () => {
    engine = await openEngine(engineName, "qualify");
    dir = await readableTempDir();
    await writeReadable(dir, "encounters.csv", ENCOUNTERS);
    plan = await compile(dir);
    ctx = { tables: plan.tables, schemas: engine.schemas, idMap: plan.idMap };
  });
  afterAll(async () => {
    await engine?.dispose();
    if (dir) await removeDir(dir);
  });

  /** Runs every step in plan order; returns each step's reported row count. */
  async function runAll(): Promise<Record<string, number | undefined>> {
    const counts: Record<string, number | undefined> = {};
    for (const step of plan.steps) counts[step.name] = await runStep(engine, step, ctx);
    return counts;
  }

  async function snapshot(): Promise<Row[][]> {
    return [
      await rows(`SELECT encounter_id, patient, start, later_encounters, row_id FROM ${table("first_encounter")} ORDER BY encounter_id`),
      await rows(`SELECT patient, day, encounters FROM ${table("busiest_day")} ORDER BY patient, day`),
      await rows(`SELECT patient, kind, moving_cost FROM ${table("encounter_cost")} ORDER BY patient, kind, moving_cost`),
      await rows(`SELECT source_key, id FROM ${table("omopetl_id_map")} WHERE domain = 'first_encounter.row_id' ORDER BY id`),
    ];
  }

  it("keeps exactly the qualifying rows, and re-runs idempotently", async () => {
    const first = await runAll();
    expect(first).toMatchObject({ first_encounter: 3, busiest_day: 3, encounter_cost: 7 });
    const [firstEncounter, busiest, cost, ids] = await snapshot();
    expect(firstEncounter).toEqual(FIRST);
    expect(busiest).toEqual(BUSIEST);
    expect(cost).toEqual(COST);
    // Every encounter read got an id (qualify removes rows after the keys are enumerated); only three are used.
    expect(ids).toEqual(["e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8"].map((e, i) => ({ source_key: `2:${e}`, id: i + 1 })));

    const again = await runAll();
    // merge rewrites nothing that did not change; replace/rebuild write the same rows again
    expect(again).toMatchObject({ first_encounter: 0, busiest_day: 3, encounter_cost: 7 });
    expect(await snapshot()).toEqual([firstEncounter, busiest, cost, ids]);
  });
});
