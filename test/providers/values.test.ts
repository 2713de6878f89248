/**
 * `values:` inline tables and selects without `from`: the golden fixture compile/values is compiled against a small
 * encounters file and run on DuckDB and on the real PostgreSQL, twice: an inline code map joined to the encounters,
 * a select without from giving one row, a sub-select reading an inline table, and a join on range(1, 3) give exactly
 * the expected rows
 * (typed as declared: a float weight, a date), the same on both engines and on a re-run.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CompiledWorkflowPlan, TransformBody } from "../../src/core/model/plan.js";
import { DuckDbGenerator } from "../../src/providers/duckdb/index.js";
import { PostgresGenerator } from "../../src/providers/postgres/index.js";
import type { RenderContext } from "../../src/providers/provider-api.js";
import { compileFixture } from "../helpers/compile.js";
import { fixturesDir } from "../helpers/paths.js";
import type { Engine, EngineName } from "./helpers/engines.js";
import { openEngine, readableTempDir, removeDir, runStep, writeReadable } from "./helpers/engines.js";

const FIXTURE = path.join(fixturesDir, "compile/values");

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

const CLASSES = [
  { id: "e1", concept_id: 9202, weighted_cost: 100.5 },
  { id: "e2", concept_id: 9201, weighted_cost: 75 },
  { id: "e3", concept_id: 9201, weighted_cost: 105 },
  { id: "e4", concept_id: 9202, weighted_cost: 20 },
  { id: "e5", concept_id: 9202, weighted_cost: 10 },
  { id: "e6", concept_id: 9202, weighted_cost: 30 },
  { id: "e7", concept_id: 9201, weighted_cost: 37.5 },
  { id: "e8", concept_id: 9202, weighted_cost: 5 },
  { id: "none", concept_id: 0, weighted_cost: 0 },
];
/** Three slots per inpatient encounter (e2, e3, e7), one per other encounter: a join on range(1, 3). */
const SLOTS = ["e1:1", "e2:1", "e2:2", "e2:3", "e3:1", "e3:2", "e3:3", "e4:1", "e5:1", "e6:1", "e7:1", "e7:2", "e7:3", "e8:1"];
const COUNTS = [
  { class: "emergency", concept_id: 9203, since: null, encounters: 0 },
  { class: "inpatient", concept_id: 9201, since: "2000-01-01", encounters: 3 },
  { class: "outpatient", concept_id: 9202, since: "2000-01-01", encounters: 5 },
];

describe("values tables render as VALUES", () => {
  it("declared in the WITH clause with their column names, each value typed; a select without from reads one row", async () => {
    const plan = await compile("s3://bucket/encounters");
    const ctx: RenderContext = { tables: plan.tables, schemas: { source: "src", staging: "stg", cdm: "cdm", vocab: "voc" }, idMap: plan.idMap };
    for (const g of [new DuckDbGenerator(), new PostgresGenerator()]) {
      const sql = g.renderStep(plan.steps.find((s) => s.name === "visit_classes")!, ctx).statements.find((s) => s.startsWith("INSERT INTO stg.visit_classes"))!;
      expect(sql).toMatch(/\nWITH class_map\(class, concept_id, weight\) AS \(\n {2}VALUES\n {4}\('inpatient', 9201, CAST\(1\.5 AS [A-Z ]+\)\),\n/);
      expect(sql).toMatch(/\nFROM __one_row AS __one_row$/);
    }
  });
});

describe.each(["duckdb", "postgres"] as EngineName[])("%s runs values tables", (engineName) => {
  let engine: Engine;
  let dir: string;
  let plan: CompiledWorkflowPlan;
  let ctx: RenderContext;
  const table = (name: string): string => `"${engine.schemas["staging"]}".${name}`;
  const rows = async (sql: string): Promise<Row[]> => normal(await engine.conn.query(sql));

  beforeAll(async () => {
    engine = await openEngine(engineName, "values");
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

  it("writes exactly the expected rows, and re-runs idempotently", async () => {
    const read = async () => [
      await rows(`SELECT id, concept_id, weighted_cost FROM ${table("visit_classes")} ORDER BY id`),
      await rows(`SELECT class, concept_id, since, encounters FROM ${table("class_counts")} ORDER BY class`),
      (await rows(`SELECT id, slot FROM ${table("encounter_slots")} ORDER BY id, slot`)).map((r) => `${String(r["id"])}:${String(r["slot"])}`),
    ];
    expect(await runAll()).toMatchObject({ visit_classes: 9, class_counts: 3, encounter_slots: 14 });
    const first = await read();
    expect(first).toEqual([CLASSES, COUNTS, SLOTS]);
    expect(await runAll()).toMatchObject({ visit_classes: 9, class_counts: 3, encounter_slots: 14 });
    expect(await read()).toEqual(first);
  });

  it("the row accounting reads the one-row table and the inline table as derived tables", async () => {
    const g = engine.provider.generator;
    const visit = plan.steps.find((s) => s.name === "visit_classes")!.body as TransformBody;
    const [counts] = normal(await engine.conn.query(g.renderRowAccounting!(visit, ctx)!.sql));
    // branch 1: 8 encounters read, 8 after the left join; branch 2: one row read.
    expect(Object.values(counts!)).toEqual([8, 8, 1]);
  });
});
