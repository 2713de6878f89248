/**
 * `union_all` selects that leave columns out: the golden fixture compile/union-defaults is compiled against a small
 * encounters file and run on DuckDB and on the real PostgreSQL, twice: the select that leaves columns out writes NULL
 * or the declared default there, each select assigns ids in its own domain (one per row, one per group), and a re-run
 * writes the same rows and ids.
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

const FIXTURE = path.join(fixturesDir, "compile/union-defaults");

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

const EVENTS = [
  { kind: "encounter", event_id: 1, patient: "p1", day: "2020-01-10", cost: 100.5, class: "outpatient" },
  { kind: "encounter", event_id: 2, patient: "p1", day: "2020-01-05", cost: 50, class: "inpatient" },
  { kind: "encounter", event_id: 3, patient: "p1", day: "2020-01-05", cost: 70, class: "inpatient" },
  { kind: "encounter", event_id: 4, patient: "p1", day: "2020-03-01", cost: 20, class: "outpatient" },
  { kind: "encounter", event_id: 5, patient: "p2", day: "2021-06-01", cost: 10, class: "outpatient" },
  { kind: "encounter", event_id: 6, patient: "p2", day: "2021-06-01", cost: 30, class: "outpatient" },
  { kind: "encounter", event_id: 7, patient: "p2", day: "2021-06-20", cost: 25, class: "inpatient" },
  { kind: "encounter", event_id: 8, patient: "p3", day: "2019-12-31", cost: 5, class: "outpatient" },
  { kind: "first day", event_id: 1, patient: "p1", day: "2020-01-05", cost: null, class: "n/a" },
  { kind: "first day", event_id: 2, patient: "p2", day: "2021-06-01", cost: null, class: "n/a" },
  { kind: "first day", event_id: 3, patient: "p3", day: "2019-12-31", cost: null, class: "n/a" },
];

describe("a select leaving columns out", () => {
  it("writes the default (cast to the column's type) or NULL there", async () => {
    const plan = await compile("s3://bucket/encounters");
    const ctx: RenderContext = { tables: plan.tables, schemas: { source: "src", staging: "stg", cdm: "cdm", vocab: "voc" }, idMap: plan.idMap };
    for (const g of [new DuckDbGenerator(), new PostgresGenerator()]) {
      const sql = g.renderStep(plan.steps.find((s) => s.name === "events")!, ctx).statements.find((s) => s.startsWith("INSERT INTO stg.events"))!;
      expect(sql).toMatch(/\nUNION ALL\nSELECT\n {2}'first day' AS kind,\n[\s\S]*\n {2}CAST\(NULL AS [A-Z ]+\) AS cost,\n {2}'n\/a' AS class,\n/);
    }
  });
});

describe.each(["duckdb", "postgres"] as EngineName[])("%s runs a union with defaults", (engineName) => {
  let engine: Engine;
  let dir: string;
  let plan: CompiledWorkflowPlan;
  let ctx: RenderContext;
  const table = (name: string): string => `"${engine.schemas["staging"]}".${name}`;
  const rows = async (sql: string): Promise<Row[]> => normal(await engine.conn.query(sql));

  beforeAll(async () => {
    engine = await openEngine(engineName, "uniondefaults");
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
    const read = () => rows(`SELECT kind, event_id, patient, day, cost, class FROM ${table("events")} ORDER BY kind, event_id`);
    expect(await runAll()).toMatchObject({ events: 11 });
    const events = await read();
    expect(events).toEqual(EVENTS);
    expect(await runAll()).toMatchObject({ events: 11 });
    expect(await read()).toEqual(events);
  });
});
