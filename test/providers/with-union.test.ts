/**
 * A `union_all` sub-select and lets in a join's ON and a lookup's code: the golden fixture compile/with-union is
 * compiled against a small encounters file and run on DuckDB and on the real PostgreSQL, twice. The union's second
 * branch leaves `cost` out (NULL there) and adds a day to a date; the inline class map is joined on a let.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CompiledWorkflowPlan, TransformBody } from "../../src/core/model/plan.js";
import type { RenderContext } from "../../src/providers/provider-api.js";
import { compileFixture } from "../helpers/compile.js";
import { fixturesDir } from "../helpers/paths.js";
import type { Engine, EngineName } from "./helpers/engines.js";
import { openEngine, readableTempDir, removeDir, runStep, writeReadable } from "./helpers/engines.js";

const FIXTURE = path.join(fixturesDir, "compile/with-union");

const ENCOUNTERS = `id,patient,start,cost,class
e1,p1,2020-01-10,100.5,outpatient
e2,p1,2020-01-05,50,inpatient
e3,p2,2020-02-29,,emergency
`;

async function compile(sourceDir: string): Promise<CompiledWorkflowPlan> {
  const r = await compileFixture("workflow.yaml", FIXTURE, { source_dir: sourceDir });
  if (!r.plan) throw new Error(r.diagnostics.map((d) => `${d.code}: ${d.message}`).join("\n"));
  return r.plan;
}

type Row = Record<string, unknown>;
const normal = (rows: Row[]): Row[] =>
  rows.map((r) =>
    Object.fromEntries(
      Object.entries(r).map(([k, v]) => [
        k,
        v instanceof Date ? v.toISOString().slice(0, 10) : typeof v === "bigint" || (typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v)) ? Number(v) : v,
      ]),
    ),
  );

/** Every encounter's start; e2 (inpatient) also a follow-up a day later, classed outpatient, without a cost. */
const EVENTS = [
  { id: "e1", kind: "start", at: "2020-01-10", cost: 100.5, visit_class: "outpatient", concept_id: 9202 },
  { id: "e2", kind: "followup", at: "2020-01-06", cost: null, visit_class: "outpatient", concept_id: 9202 },
  { id: "e2", kind: "start", at: "2020-01-05", cost: 50, visit_class: "inpatient", concept_id: 9201 },
  { id: "e3", kind: "start", at: "2020-02-29", cost: null, visit_class: "emergency", concept_id: 0 },
];

describe("a lookup's code may be a let", () => {
  it("is expanded into the lookup's join", async () => {
    const plan = await compile("s3://bucket/encounters");
    const body = plan.steps.find((s) => s.name === "encounter_codes")!.body as TransformBody;
    const code = body.selects[0]!.lookups![0]!.code;
    expect(code).toEqual({ k: "fn", name: "upper", args: [{ k: "col", table: "e", column: "class", type: "string" }], type: "string" });
  });
});

describe.each(["duckdb", "postgres"] as EngineName[])("%s runs a union_all sub-select", (engineName) => {
  let engine: Engine;
  let dir: string;
  let plan: CompiledWorkflowPlan;
  let ctx: RenderContext;
  const table = (name: string): string => `"${engine.schemas["staging"]}".${name}`;

  beforeAll(async () => {
    engine = await openEngine(engineName, "with_union");
    dir = await readableTempDir();
    await writeReadable(dir, "encounters.csv", ENCOUNTERS);
    plan = await compile(dir);
    ctx = { tables: plan.tables, schemas: engine.schemas, idMap: plan.idMap };
  });
  afterAll(async () => {
    await engine?.dispose();
    if (dir) await removeDir(dir);
  });

  it("writes every branch's rows, NULL where a branch leaves a column out, and re-runs to the same rows", async () => {
    const steps = plan.steps.filter((s) => s.name !== "encounter_codes");
    const read = async () => normal(await engine.conn.query(`SELECT id, kind, "at", cost, visit_class, concept_id FROM ${table("encounter_events")} ORDER BY id, kind`));
    for (const step of steps) await runStep(engine, step, ctx);
    const first = await read();
    expect(first).toEqual(EVENTS);
    for (const step of steps) await runStep(engine, step, ctx);
    expect(await read()).toEqual(first);
  });
});
