/**
 * A `union_all` sub-select and lets in a join's ON and a lookup's code: the golden fixture compile/with-union is
 * compiled against a small encounters file and run on DuckDB and on the real PostgreSQL, twice. The union's second
 * branch leaves `cost` out (NULL there) and adds a day to a date; the inline class map is joined on a let.
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { TransformBody } from "../../src/core/model/plan.js";
import { fixturesDir } from "../helpers/paths.js";
import type { EngineName } from "./helpers/engines.js";
import { compileWithSource, fixtureOnEngine } from "./helpers/fixture-on-engine.js";

const FIXTURE = path.join(fixturesDir, "compile/with-union");

const ENCOUNTERS = `id,patient,start,cost,class
e1,p1,2020-01-10,100.5,outpatient
e2,p1,2020-01-05,50,inpatient
e3,p2,2020-02-29,,emergency
`;

/** Dates as ISO text, numbers (bigint, numeric text) as numbers. */
const normal = (_k: string, v: unknown): unknown =>
  v instanceof Date ? v.toISOString().slice(0, 10) : typeof v === "bigint" || (typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v)) ? Number(v) : v;

/** Every encounter's start; e2 (inpatient) also a follow-up a day later, classed outpatient, without a cost. */
const EVENTS = [
  { id: "e1", kind: "start", at: "2020-01-10", cost: 100.5, visit_class: "outpatient", concept_id: 9202 },
  { id: "e2", kind: "followup", at: "2020-01-06", cost: null, visit_class: "outpatient", concept_id: 9202 },
  { id: "e2", kind: "start", at: "2020-01-05", cost: 50, visit_class: "inpatient", concept_id: 9201 },
  { id: "e3", kind: "start", at: "2020-02-29", cost: null, visit_class: "emergency", concept_id: 0 },
];

describe("a lookup's code may be a let", () => {
  it("is expanded into the lookup's join", async () => {
    const plan = await compileWithSource(FIXTURE, "s3://bucket/encounters");
    const body = plan.steps.find((s) => s.name === "encounter_codes")!.body as TransformBody;
    const code = body.selects[0]!.lookups![0]!.code;
    expect(code).toEqual({ k: "fn", name: "upper", args: [{ k: "col", table: "e", column: "class", type: "string" }], type: "string" });
  });
});

describe.each(["duckdb", "postgres"] as EngineName[])("%s runs a union_all sub-select", (engineName) => {
  const f = fixtureOnEngine(engineName, "with_union", FIXTURE, { "encounters.csv": ENCOUNTERS }, normal);

  it("writes every branch's rows, NULL where a branch leaves a column out, and re-runs to the same rows", async () => {
    // encounter_codes' lookup reads a vocabulary this test has not loaded.
    const only = (s: { name: string }) => s.name !== "encounter_codes";
    const read = () => f.rows(`SELECT id, kind, "at", cost, visit_class, concept_id FROM ${f.staging("encounter_events")} ORDER BY id, kind`);
    await f.runAll(only);
    const first = await read();
    expect(first).toEqual(EVENTS);
    await f.runAll(only);
    expect(await read()).toEqual(first);
  });
});
