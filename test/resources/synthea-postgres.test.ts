import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CompiledWorkflowPlan } from "../../src/core/model/plan.js";
import type { Connection } from "../../src/providers/provider-api.js";
import {
  cdmRowCounts,
  clinicalCoverage,
  CLINICAL_LOOKUPS,
  connect,
  countRows,
  dropPgSchemas,
  duckTarget,
  EXPECTED_CDM_ROWS,
  failedChecks,
  pgTarget,
  qualify,
  runPlan,
  syntheaPlan,
  tempDir,
} from "./synthea-harness.js";

const PREFIX = `res_synthea_${process.pid}`;

/** Identifying columns whose values (ids included) must be equal on every engine. */
const KEYS: Readonly<Record<string, string>> = {
  person: "person_id, person_source_value, location_id",
  visit_occurrence: "visit_occurrence_id, person_id, visit_source_value, visit_concept_id, preceding_visit_occurrence_id",
  visit_detail: "visit_detail_id, visit_occurrence_id, visit_detail_source_value",
  condition_occurrence: "condition_occurrence_id, person_id, visit_occurrence_id, condition_concept_id, condition_source_value",
  measurement: "measurement_id, person_id, visit_detail_id, measurement_concept_id, measurement_source_value, unit_concept_id, unit_source_value",
  observation: "observation_id, person_id, observation_concept_id, observation_source_value, unit_concept_id, unit_source_value",
  cost: "cost_id, cost_event_id, cost_domain_id",
  condition_era: "condition_era_id, person_id, condition_concept_id, condition_occurrence_count",
};

/** The standard Synthea workflow run end to end on PostgreSQL (schemas prefixed per test run, dropped after). */
describe("synthea-cdm54 on PostgreSQL", () => {
  let plan: CompiledWorkflowPlan;
  const target = pgTarget(PREFIX);
  let conn: Connection;
  let run: Awaited<ReturnType<typeof runPlan>>;

  beforeAll(async () => {
    await dropPgSchemas(PREFIX);
    plan = await syntheaPlan("athena");
    run = await runPlan(plan, target);
    conn = await connect(target);
  }, 300_000);
  afterAll(async () => {
    await conn?.close();
    await dropPgSchemas(PREFIX);
  });

  it("writes the expected rows per CDM table; the others stay empty", async () => {
    const counts = await cdmRowCounts(conn, plan, target);
    expect(counts).toEqual(Object.fromEntries(Object.keys(counts).map((t) => [t, EXPECTED_CDM_ROWS[t] ?? 0])));
    expect(await countRows(conn, qualify(plan, target, "cdm", "person"))).toBe(await countRows(conn, qualify(plan, target, "source", "patients")));
  });

  it("passes the acceptance checks: keys, required columns, references, plausible dates", async () => {
    expect(await failedChecks(conn, plan, target)).toEqual({});
  });

  it("reports the coverage of every clinical code (CVX immunizations and supplies unmapped), confirmed by direct counts", async () => {
    const { reports, expected } = await clinicalCoverage(conn, plan, target, run);
    for (const l of CLINICAL_LOOKUPS) expect(reports[l.lookup], l.lookup).toMatchObject(expected[l.lookup]!);
    for (const [lookup, source] of [["vaccine", "immunizations"], ["supply", "supplies"]] as const) {
      expect(reports[lookup]!.rowsUnmapped, lookup).toBe(await countRows(conn, qualify(plan, target, "source", source)));
      expect(reports[lookup]!.rowsUnmapped, lookup).toBeGreaterThan(0);
    }
  });

  it("assigns the same ids as DuckDB", async () => {
    const duck = duckTarget(path.join(tempDir(), "omop.duckdb"));
    await runPlan(plan, duck);
    const dc = await connect(duck);
    try {
      for (const [t, cols] of Object.entries(KEYS)) {
        const sql = (tgt: typeof target) => `SELECT ${cols} FROM ${qualify(plan, tgt, "cdm", t)} ORDER BY ${cols}`;
        const norm = (rows: Record<string, unknown>[]) => rows.map((r) => Object.values(r).map((v) => (v === null ? null : String(v))));
        expect(norm(await conn.query(sql(target))), t).toEqual(norm(await dc.query(sql(duck))));
      }
    } finally {
      await dc.close();
    }
  }, 120_000);
});
