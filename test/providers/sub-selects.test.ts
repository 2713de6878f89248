/**
 * `with:` sub-selects end to end: the golden fixture compile/sub-selects is compiled against a small encounters file
 * and run on DuckDB and on the real PostgreSQL, twice: the first row per key, a window over a window then an
 * aggregate over it, and one sub-select joined by one union select and read by another give exactly the expected
 * rows, the same on both engines, and re-running changes nothing (surrogate ids included). The queries built from a
 * select's parts (row accounting, failure probes) read the sub-selects as derived tables and run too.
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

const FIXTURE = path.join(fixturesDir, "compile/sub-selects");

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

const FIRST = [
  { encounter_id: "e2", patient: "p1", start: "2020-01-05", row_id: 1 },
  { encounter_id: "e5", patient: "p2", start: "2021-06-01", row_id: 2 },
  { encounter_id: "e8", patient: "p3", start: "2019-12-31", row_id: 3 },
];
const EPISODES = [
  { patient: "p1", episode: 1, first_day: "2020-01-05", last_day: "2020-01-10", encounters: 3 },
  { patient: "p1", episode: 2, first_day: "2020-03-01", last_day: "2020-03-01", encounters: 1 },
  { patient: "p2", episode: 1, first_day: "2021-06-01", last_day: "2021-06-20", encounters: 3 },
  { patient: "p3", episode: 1, first_day: "2019-12-31", last_day: "2019-12-31", encounters: 1 },
];
const COST = [
  { patient: "p1", item: "e1", amount: 100.5, total: 240.5 },
  { patient: "p1", item: "e2", amount: 50, total: 240.5 },
  { patient: "p1", item: "e3", amount: 70, total: 240.5 },
  { patient: "p1", item: "e4", amount: 20, total: 240.5 },
  { patient: "p1", item: "total", amount: 240.5, total: 240.5 },
  { patient: "p2", item: "e5", amount: 10, total: 65 },
  { patient: "p2", item: "e6", amount: 30, total: 65 },
  { patient: "p2", item: "e7", amount: 25, total: 65 },
  { patient: "p2", item: "total", amount: 65, total: 65 },
  { patient: "p3", item: "e8", amount: 5, total: 5 },
  { patient: "p3", item: "total", amount: 5, total: 5 },
];

const body = (plan: CompiledWorkflowPlan, step: string): TransformBody => plan.steps.find((s) => s.name === step)!.body as TransformBody;

describe("sub-selects render as common table expressions", () => {
  it("the written query declares each sub-select once, after those it reads; the selects name them", async () => {
    const plan = await compile("s3://bucket/encounters");
    const ctx: RenderContext = { tables: plan.tables, schemas: { source: "src", staging: "stg", cdm: "cdm", vocab: "voc" }, idMap: plan.idMap };
    for (const g of [new DuckDbGenerator(), new PostgresGenerator()]) {
      const episodes = g.renderStep(plan.steps.find((s) => s.name === "episodes")!, ctx).statements.find((s) => s.startsWith("INSERT INTO stg.episodes"))!;
      // numbered is declared first in the YAML but reads flagged: flagged comes first in the WITH clause.
      expect(episodes).toMatch(/^INSERT INTO stg\.episodes \([^)]*\)\nWITH flagged AS \(\n {2}SELECT\n[\s\S]*\n\),\nnumbered AS \(\n {2}SELECT\n[\s\S]*\n {2}FROM flagged AS f\n\)\nSELECT\n[\s\S]*\nFROM numbered AS n\nGROUP BY /);
      const cost = g.renderStep(plan.steps.find((s) => s.name === "patient_cost")!, ctx).statements.find((s) => s.startsWith("INSERT INTO stg.patient_cost"))!;
      // One declaration for two readers.
      expect(cost.match(/totals AS \(/g)).toHaveLength(1);
      expect(cost).toContain("INNER JOIN totals AS t\n");
      expect(cost).toMatch(/\nFROM totals AS totals$/);
    }
  });

  it("a select reading a sub-select carries it (and what it reads) in the plan, in dependency order", async () => {
    const plan = await compile("s3://bucket/encounters");
    expect(body(plan, "episodes").selects[0]!.with!.map((w) => w.name)).toEqual(["flagged", "numbered"]);
    expect(body(plan, "episodes").selects[0]!.from).toEqual({ table: { schema: "with", name: "numbered" }, alias: "n", sub: "numbered" });
    expect(body(plan, "patient_cost").selects.map((s) => s.with!.map((w) => w.name))).toEqual([["totals"], ["totals"]]);
    // The sub-select's columns are typed from their expressions.
    expect(body(plan, "patient_cost").selects[0]!.with![0]!.columns).toEqual([
      { name: "patient", type: { kind: "varchar" }, required: false },
      { name: "total", type: { kind: "float" }, required: false },
    ]);
  });
});

describe.each(["duckdb", "postgres"] as EngineName[])("%s runs sub-selects", (engineName) => {
  let engine: Engine;
  let dir: string;
  let plan: CompiledWorkflowPlan;
  let ctx: RenderContext;
  const table = (name: string): string => `"${engine.schemas["staging"]}".${name}`;
  const rows = async (sql: string): Promise<Row[]> => normal(await engine.conn.query(sql));

  beforeAll(async () => {
    engine = await openEngine(engineName, "subselects");
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
      await rows(`SELECT encounter_id, patient, start, row_id FROM ${table("first_encounter")} ORDER BY encounter_id`),
      await rows(`SELECT patient, episode, first_day, last_day, encounters FROM ${table("episodes")} ORDER BY patient, episode`),
      await rows(`SELECT patient, item, amount, total FROM ${table("patient_cost")} ORDER BY patient, item`),
      await rows(`SELECT source_key, id FROM ${table("omopetl_id_map")} WHERE domain = 'first_encounter.row_id' ORDER BY id`),
    ];
  }

  it("writes exactly the expected rows, and re-runs idempotently", async () => {
    const first = await runAll();
    expect(first).toMatchObject({ first_encounter: 3, episodes: 4, patient_cost: 11 });
    const [firstEncounter, episodes, cost, ids] = await snapshot();
    expect(firstEncounter).toEqual(FIRST);
    expect(episodes).toEqual(EPISODES);
    expect(cost).toEqual(COST);
    // Keys are enumerated through the sub-select and the select's where: only the first encounters get ids.
    expect(ids).toEqual(["e2", "e5", "e8"].map((e, i) => ({ source_key: `2:${e}`, id: i + 1 })));

    const again = await runAll();
    expect(again).toMatchObject({ first_encounter: 0, episodes: 4, patient_cost: 11 });
    expect(await snapshot()).toEqual([firstEncounter, episodes, cost, ids]);
  });

  it("the row accounting and the failure probes read the sub-selects as derived tables", async () => {
    const g = engine.provider.generator;
    const first = body(plan, "first_encounter");
    const accounting = g.renderRowAccounting!(first, ctx)!;
    const [counts] = normal(await engine.conn.query(accounting.sql));
    // 8 rows read from the sub-select, 3 after the where.
    expect(Object.values(counts!)).toEqual([8, 3]);
    const cost = body(plan, "patient_cost");
    const joined = normal(await engine.conn.query(g.renderRowAccounting!(cost, ctx)!.sql))[0]!;
    // branch 1: 8 encounters read, none without a total, 8 after the join; branch 2: 3 totals read.
    expect(Object.values(joined)).toEqual([8, 0, 8, 3]);
    const probes = g.renderFailureProbes!(first, ctx)!;
    expect(normal(await engine.conn.query(probes.branches[0]!.rows))).toEqual([{ n: 3 }]);
  });
});
