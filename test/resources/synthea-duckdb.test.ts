import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CompiledWorkflowPlan } from "../../src/core/model/plan.js";
import type { Connection } from "../../src/providers/provider-api.js";
import {
  acceptanceChecks,
  cdmRowCounts,
  clinicalCoverage,
  CLINICAL_LOOKUPS,
  CLINICAL_SOURCES,
  connect,
  count,
  countRows,
  DOMAIN_TABLES,
  duckTarget,
  EXPECTED_CDM_ROWS,
  failedChecks,
  qualify,
  runPlan,
  syntheaPlan,
  tableHash,
  tempDir,
} from "./synthea-harness.js";
import { syntheaDir } from "../helpers/paths.js";

/** The standard Synthea workflow run end to end on DuckDB through the local orchestrator. */
describe("synthea-cdm54 on DuckDB", () => {
  let plan: CompiledWorkflowPlan;
  const target = duckTarget(path.join(tempDir(), "omop.duckdb"));
  let conn: Connection;
  let run: Awaited<ReturnType<typeof runPlan>>;
  const q = (logical: string, table: string) => qualify(plan, target, logical, table);

  beforeAll(async () => {
    plan = await syntheaPlan("csv");
    run = await runPlan(plan, target);
    conn = await connect(target);
  }, 120_000);
  afterAll(async () => {
    await conn?.close();
  });

  it("writes the expected rows per CDM table; the others stay empty", async () => {
    const counts = await cdmRowCounts(conn, plan, target);
    const expected = Object.fromEntries(Object.keys(counts).map((t) => [t, EXPECTED_CDM_ROWS[t] ?? 0]));
    expect(counts).toEqual(expected);
  });

  it("has one person per patient and one visit detail per encounter", async () => {
    expect(await countRows(conn, q("cdm", "person"))).toBe(await countRows(conn, q("source", "patients")));
    expect(await countRows(conn, q("cdm", "visit_detail"))).toBe(await countRows(conn, q("source", "encounters")));
    expect(await count(conn, `SELECT count(DISTINCT visit_detail_source_value) AS n FROM ${q("cdm", "visit_detail")}`)).toBe(
      await countRows(conn, q("source", "encounters")),
    );
  });

  it("passes the acceptance checks: keys, required columns, references, plausible dates", async () => {
    const checks = Object.keys(acceptanceChecks(plan, target));
    expect(checks.length).toBeGreaterThan(100);
    expect(checks).toEqual(expect.arrayContaining(["condition_occurrence.visit_occurrence_id -> visit_occurrence", "measurement.person_id -> person"]));
    expect(await failedChecks(conn, plan, target)).toEqual({});
  });

  it("drops nothing: every clinical source row is an event, every event a row of its domain's table", async () => {
    let sourceRows = 0;
    for (const s of CLINICAL_SOURCES) sourceRows += await countRows(conn, q("source", s));
    const events = await countRows(conn, q("staging", "clinical_events"));
    // One event per source row and standard concept: no code maps to two concepts in this vocabulary.
    expect(events).toBe(sourceRows);
    let domainRows = 0;
    for (const t of DOMAIN_TABLES) domainRows += await countRows(conn, q("cdm", t));
    expect(domainRows).toBe(events);
    // Unmapped codes are kept, with concept 0 (e.g. every CVX immunization: the shard has no CVX).
    expect(await count(conn, `SELECT count(*) AS n FROM ${q("cdm", "drug_exposure")} WHERE drug_concept_id = 0`)).toBe(
      await countRows(conn, q("source", "immunizations")),
    );
  });

  it("follows the CDM 5.4 conventions where Synthea says nothing: unknown stays NULL, not 0 or a derived value", async () => {
    const n = (sql: string) => count(conn, sql);
    // Synthea records no admission source or discharge destination.
    for (const t of ["visit_occurrence", "visit_detail"]) {
      expect(await n(`SELECT count(*) AS n FROM ${q("cdm", t)} WHERE admitted_from_concept_id IS NOT NULL OR discharged_to_concept_id IS NOT NULL`)).toBe(0);
    }
    // days_supply only verbatim from a source that records it (Synthea does not), never derived from the dates.
    expect(await n(`SELECT count(*) AS n FROM ${q("cdm", "drug_exposure")} WHERE days_supply IS NOT NULL`)).toBe(0);
    expect(await countRows(conn, q("cdm", "drug_exposure"))).toBeGreaterThan(0);
    // Synthea's literal unit "null" (observations.csv has two) is no unit.
    const nullUnits = await n(`SELECT count(*) AS n FROM ${q("source", "observations")} WHERE units = 'null'`);
    expect(nullUnits).toBeGreaterThan(0);
    for (const t of ["measurement", "observation"]) {
      expect(await n(`SELECT count(*) AS n FROM ${q("cdm", t)} WHERE unit_source_value = 'null' OR (unit_source_value IS NULL AND unit_concept_id IS NOT NULL)`)).toBe(0);
    }
  });

  it("maps Synthea's unit spellings to UCUM concepts through the source_to_concept_map the workflow ships", async () => {
    const n = (sql: string) => count(conn, sql);
    // Each spelling is not a UCUM concept code, so only resources/maps/synthea_units.csv can map it.
    for (const [unit, concept] of [["kU/L", 8810], ["U/L", 8645], ["{score}", 44777566], ["/a", 44777560]] as const) {
      const rows = await n(`SELECT count(*) AS n FROM ${q("source", "observations")} WHERE units = '${unit}'`);
      expect(rows, unit).toBeGreaterThan(0);
      let written = 0;
      for (const t of ["measurement", "observation"]) {
        expect(await n(`SELECT count(*) AS n FROM ${q("cdm", t)} WHERE unit_source_value = '${unit}' AND unit_concept_id <> ${concept}`), `${t} ${unit}`).toBe(0);
        written += await n(`SELECT count(*) AS n FROM ${q("cdm", t)} WHERE unit_source_value = '${unit}'`);
      }
      expect(written, unit).toBe(rows);
    }
    // Spellings that are UCUM codes still map through CONCEPT ('Maps to'); {#} has no UCUM concept in this vocabulary.
    expect(await n(`SELECT count(*) AS n FROM ${q("cdm", "measurement")} WHERE unit_source_value = 'mg/dL' AND unit_concept_id <> 8840`)).toBe(0);
    expect(await n(`SELECT count(*) AS n FROM ${q("cdm", "measurement")} WHERE unit_source_value = 'mg/dL'`)).toBeGreaterThan(0);
    const unmappedUnits = await conn.query(
      `SELECT DISTINCT unit_source_value AS u FROM (SELECT unit_source_value, unit_concept_id FROM ${q("cdm", "measurement")} UNION ALL SELECT unit_source_value, unit_concept_id FROM ${q("cdm", "observation")}) AS x WHERE unit_concept_id = 0 ORDER BY 1`,
    );
    expect(unmappedUnits).toEqual([{ u: "{#}" }]);
    // The run's coverage report of that lookup says the same, with counts a direct count confirms.
    const coverage = run.steps.find((s) => s.name === "clinical_events")!.coverage!.filter((c) => c.lookup === "ucum");
    const obs = q("source", "observations");
    expect(coverage).toEqual([
      {
        lookup: "ucum",
        select: 3, // the observations branch of the union
        codes: await n(`SELECT count(DISTINCT units) AS n FROM ${obs} WHERE units <> 'null'`),
        codesMapped: await n(`SELECT count(DISTINCT units) AS n FROM ${obs} WHERE units NOT IN ('null', '{#}')`),
        codesUnmapped: 1,
        rows: await n(`SELECT count(*) AS n FROM ${obs} WHERE units <> 'null'`),
        rowsMapped: await n(`SELECT count(*) AS n FROM ${obs} WHERE units NOT IN ('null', '{#}')`),
        rowsUnmapped: await n(`SELECT count(*) AS n FROM ${obs} WHERE units = '{#}'`),
        rowsWithoutCode: await n(`SELECT count(*) AS n FROM ${obs} WHERE units IS NULL OR units = 'null'`),
        topUnmapped: [{ code: "{#}", rows: await n(`SELECT count(*) AS n FROM ${obs} WHERE units = '{#}'`) }],
      },
    ]);
    expect(coverage[0]!.rowsUnmapped).toBe(20);
  });

  it("reports the coverage of every clinical code (CVX immunizations and supplies unmapped), confirmed by direct counts", async () => {
    const { reports, expected } = await clinicalCoverage(conn, plan, target, run);
    for (const l of CLINICAL_LOOKUPS) expect(reports[l.lookup], l.lookup).toMatchObject(expected[l.lookup]!);
    // The shard has no CVX concept and no supply code mapping: every such row is listed unmapped, with its count.
    for (const [lookup, source] of [["vaccine", "immunizations"], ["supply", "supplies"]] as const) {
      expect(reports[lookup]!.rowsUnmapped, lookup).toBe(await countRows(conn, q("source", source)));
      expect(reports[lookup]!.rowsUnmapped, lookup).toBeGreaterThan(0);
      expect(reports[lookup]!.topUnmapped.length, lookup).toBeGreaterThan(0);
      // ...and the CSV itself, read apart from the workflow's load, has that many rows.
      const csv = path.join(syntheaDir, `${source}.csv`).replaceAll("'", "''");
      expect(reports[lookup]!.rows + reports[lookup]!.rowsWithoutCode, lookup).toBe(await count(conn, `SELECT count(*) AS n FROM read_csv('${csv}', header = true, all_varchar = true)`));
    }
    // One report per lookup of the step, in union order (the unit lookup shares the observations branch).
    expect(run.steps.find((s) => s.name === "clinical_events")!.coverage!.map((c) => `${c.lookup}@${c.select}`)).toEqual([
      "condition@1", "procedure@2", "observation@3", "ucum@3", "drug@4", "vaccine@5", "device@7", "supply@8",
    ]);
  });

  it("reports per step the rows read, the rows written, and why the others were not written", async () => {
    const step = (name: string) => run.steps.find((s) => s.name === name)!;
    const events = await countRows(conn, q("staging", "clinical_events"));
    for (const t of DOMAIN_TABLES) {
      const rows = step(t).rows;
      const written = await countRows(conn, q("cdm", t));
      expect(rows.read, t).toBe(events);
      expect(rows.affected, t).toBe(written);
      expect(rows.filtered, t).toBe(events - written);
      expect(rows.filters?.some((f) => f.startsWith("where ")), t).toBe(true);
    }
    // The ledger in the target keeps the same accounting.
    const [ledger] = await conn.query<{ rows_read: unknown; rows_filtered: unknown }>(
      `SELECT rows_read, rows_filtered FROM ${q("staging", "omopetl_step_run")} WHERE step_name = 'condition_occurrence' AND run_id = '${run.runId}'`,
    );
    expect(Number(ledger!.rows_read)).toBe(events);
    expect(Number(ledger!.rows_filtered)).toBe(events - (await countRows(conn, q("cdm", "condition_occurrence"))));
  });

  it("routes codes by their standard concept's domain", async () => {
    const routed = async (source: string, domain: string) =>
      count(conn, `SELECT count(*) AS n FROM ${q("staging", "clinical_events")} WHERE event_source = '${source}' AND cdm_domain = '${domain}'`);
    // SNOMED findings recorded as Synthea conditions are observations; procedures that are measurements go there.
    expect(await routed("conditions", "Observation")).toBe(251);
    expect(await routed("procedures", "Measurement")).toBe(82);
    expect(await routed("observations", "Observation")).toBe(452 + 75);
    const obs = await count(
      conn,
      `SELECT count(*) AS n FROM ${q("cdm", "observation")} AS o JOIN ${q("source", "conditions")} AS c ON c.code = o.observation_source_value`,
    );
    expect(obs).toBeGreaterThan(0);
  });

  it("merges an emergency encounter into the inpatient stay it overlaps (ER and inpatient visit)", async () => {
    expect(await count(conn, `SELECT count(*) AS n FROM ${q("cdm", "visit_occurrence")} WHERE visit_concept_id = 262`)).toBe(1);
    expect(
      await count(
        conn,
        `SELECT count(*) AS n FROM ${q("cdm", "visit_detail")} AS d JOIN ${q("cdm", "visit_occurrence")} AS v ON v.visit_occurrence_id = d.visit_occurrence_id WHERE v.visit_concept_id = 262`,
      ),
    ).toBe(2);
  });

  it("is idempotent: a second run leaves every CDM table identical", async () => {
    const tables = plan.tables.filter((t) => t.cdm && t.schema === "cdm").map((t) => t.name);
    const before: Record<string, string> = {};
    for (const t of tables) before[t] = await tableHash(conn, q("cdm", t));
    await conn.close();
    await runPlan(plan, target);
    conn = await connect(target);
    const after: Record<string, string> = {};
    for (const t of tables) after[t] = await tableHash(conn, q("cdm", t));
    expect(after).toEqual(before);
  }, 120_000);

  it("gives the same tables from the Athena-format vocabulary (tab-separated, yyyymmdd dates), and with indexes", async () => {
    const athena = await syntheaPlan("athena");
    // This target also asks for the standard indexes, which DuckDB targets skip by default.
    const other = duckTarget(path.join(tempDir(), "omop-athena.duckdb"), { indexes: true });
    await runPlan(athena, other);
    const c2 = await connect(other);
    try {
      expect(await cdmRowCounts(c2, athena, other)).toEqual(await cdmRowCounts(conn, plan, target));
      for (const t of ["person", "visit_occurrence", "condition_occurrence", "measurement", "drug_era"]) {
        expect(await tableHash(c2, qualify(athena, other, "cdm", t)), t).toBe(await tableHash(conn, q("cdm", t)));
      }
      const cdmSchemas = [...new Set(plan.tables.filter((t) => t.cdm).map((t) => `'${plan.schemas[t.schema]}'`))].join(", ");
      const indexes = (c: Connection) => count(c, `SELECT count(*) AS n FROM duckdb_indexes() WHERE schema_name IN (${cdmSchemas})`);
      const standard = plan.tables.filter((t) => t.cdm).reduce((n, t) => n + t.indexes.length, 0);
      expect(standard).toBeGreaterThan(60);
      expect(await indexes(conn)).toBe(0);
      expect(await indexes(c2)).toBe(standard);
    } finally {
      await c2.close();
    }
  }, 120_000);
});
