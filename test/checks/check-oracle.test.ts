/**
 * An independent oracle for the checks: a tiny CDM, written by hand, whose every count below is computed by hand
 * from the rows inserted here (not by running the code under test), on DuckDB and PostgreSQL; then deliberately
 * broken copies, each of which must change the outcome of exactly the checks that should flag it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CompiledCheck } from "../../src/core/checks/check-model.js";
import { compileChecks } from "../../src/core/checks/compile-checks.js";
import { loadDqdDefinitions } from "../../src/core/checks/dqd-definitions.js";
import { selectDqdChecks } from "../../src/core/checks/dqd-select.js";
import { evaluateChecks, type CheckResult } from "../../src/core/checks/evaluate-results.js";
import { cdmTableDefs } from "../../src/core/compile/cdm-table-defs.js";
import { SpecificationManager } from "../../src/core/spec/specification-manager.js";
import { checkHooksOf, measureChecks } from "../../src/orchestrators/checks/measure-checks.js";
import type { RenderContext } from "../../src/providers/provider-api.js";
import { dqdDir, specDir } from "../helpers/paths.js";
import { openEngine, type Engine, type EngineName } from "../providers/helpers/engines.js";

import { BREAKAGES, CHECKED_TABLES, cleanRows, COLUMNS, FIXTURE_TABLES } from "./helpers/oracle-fixture.js";

const spec = await new SpecificationManager({ dir: specDir, offline: true }).load("5.4");
const checks: CompiledCheck[] = compileChecks(selectDqdChecks(loadDqdDefinitions(dqdDir, "5.4")), spec).filter(
  (c) => CHECKED_TABLES.has(c.cdmTableName) || c.checkName === "measureConditionEraCompleteness",
);

async function runFixture(engine: Engine, rows: Record<string, string[]>, tag: string): Promise<Map<string, CheckResult>> {
  const schemas = { cdm: `${engine.schemas.cdm}_${tag}`, vocab: `${engine.schemas.vocab}_${tag}` };
  const ctx: RenderContext = { tables: [], schemas, idMap: { schema: "staging", name: "omopetl_id_map" } };
  engine.schemas[`cdm_${tag}`] = schemas.cdm;
  engine.schemas[`vocab_${tag}`] = schemas.vocab;
  // Tables as another tool may have made them: no NOT NULL, no keys (DQD checks exactly what those would stop).
  const defs = cdmTableDefs(spec, [...FIXTURE_TABLES, "concept"]).map((t) => ({ ...t, columns: t.columns.map((c) => ({ ...c, required: false })) }));
  const g = engine.provider.generator;
  for (const sql of g.renderDdl(defs, "tables", ctx)) if (!sql.trimStart().startsWith("--")) await engine.conn.execute(sql);
  for (const [table, values] of Object.entries(rows)) {
    if (values.length === 0) continue;
    const ref = { schema: table === "concept" ? "vocab" : "cdm", name: table };
    const physical = `"${schemas[ref.schema as "cdm" | "vocab"]}"."${table}"`;
    await engine.conn.execute(`INSERT INTO ${physical} (${COLUMNS[table]}) VALUES ${values.join(", ")}`);
  }
  const hooks = checkHooksOf(g)!;
  // As omopetl runs them: one scan per table for the plain filters, batches of counting queries for the rest.
  // Counts the scans, and those that failed: a scan failing every time would fall back to the batches unnoticed.
  let scans = 0;
  let scansFailed = 0; // of the scans over tables that exist
  const conn = {
    ...engine.conn,
    query: async <T,>(sql: string): Promise<T[]> => {
      const isScan = /\bcount_0\b/.test(sql);
      if (isScan) scans++;
      try {
        return await engine.conn.query<T>(sql);
      } catch (e) {
        // Only a scan joining a table the fixture does not have may fail (its checks are then errors, as in DQD).
        if (isScan && !/\.(provider|visit_detail|care_site|location|concept_ancestor|condition_era|note) AS /.test(sql)) scansFailed++;
        throw e;
      }
    },
  } as typeof engine.conn;
  const measured = await measureChecks(checks, hooks.generator, conn, ctx, hooks.options);
  // At least one scan for each of the fixture's 6 tables (NOTE is missing), more for the joins the checks share; none
  // over tables that exist failed.
  if (tag === "clean") {
    expect(scans).toBeGreaterThanOrEqual(6);
    expect(scansFailed).toBe(0);
  }
  if (tag === "clean") {
    // The other way of counting, one query per check, must agree with it on every check.
    const oneByOne = await measureChecks(checks, hooks.generator, engine.conn, ctx, { batchSize: 1 });
    const counts = (m: typeof measured) => [...m].map(([id, x]) => `${id} ${x.numViolatedRows}/${x.numDenominatorRows} ${x.error ? "error" : ""}${x.skipped ?? ""}`).sort();
    oneByOneAgrees.set(engine.name, JSON.stringify(counts(oneByOne)) === JSON.stringify(counts(measured)));
  }
  return new Map(evaluateChecks(checks.filter((c) => c.measure.kind !== "unsupported"), measured).map((r) => [r.checkId, r]));
}

/** Per engine: whether counting every check by its own query gave the counts of the scans and batches. */
const oneByOneAgrees = new Map<EngineName, boolean>();

const pick = (r: CheckResult | undefined) =>
  r && { num: r.numViolatedRows, den: r.numDenominatorRows, status: r.status, reason: r.notApplicableReason, error: r.error === null ? null : "error" };

/** The clean fixture's results per engine, compared at the end. */
const cleanByEngine = new Map<EngineName, Map<string, CheckResult>>();

describe.each<EngineName>(["duckdb", "postgres"])("DQD checks on a hand-made CDM (%s)", (name) => {
  let engine: Engine;
  let clean: Map<string, CheckResult>;
  beforeAll(async () => {
    engine = await openEngine(name, "dqd");
    clean = await runFixture(engine, cleanRows(), "clean");
    cleanByEngine.set(name, clean);
  });
  afterAll(async () => {
    for (const [k, v] of Object.entries(engine.schemas)) if (k.includes("_")) await engine.conn.execute(`DROP SCHEMA IF EXISTS "${v}" CASCADE`).catch(() => undefined);
    await engine.dispose();
  });

  it("each check type gives the hand-computed counts and status on the clean fixture", () => {
    const expected: Record<string, ReturnType<typeof pick>> = {
      table_cdmtable_person: { num: 0, den: 1, status: "passed", reason: null, error: null },
      // NOTE is not there: cdmTable fails, and NOTE's other checks are not applicable.
      table_cdmtable_note: { num: 1, den: 1, status: "failed", reason: null, error: null },
      field_isrequired_note_note_id: { num: null, den: null, status: "not_applicable", reason: "Table NOTE does not exist.", error: null },
      field_cdmfield_person_gender_concept_id: { num: 0, den: 1, status: "passed", reason: null, error: null },
      field_isrequired_person_person_id: { num: 0, den: 2, status: "passed", reason: null, error: null },
      field_isprimarykey_person_person_id: { num: 0, den: 2, status: "passed", reason: null, error: null },
      field_isforeignkey_condition_occurrence_condition_source_concept_id: { num: 0, den: 2, status: "passed", reason: null, error: null },
      field_fkdomain_person_gender_concept_id: { num: 0, den: 2, status: "passed", reason: null, error: null },
      // 45576876 is not standard, but its standard_concept is NULL: `NULL != 'S'` counts nothing (DQD's SQL).
      field_isstandardvalidconcept_condition_occurrence_condition_concept_id: { num: 0, den: 2, status: "passed", reason: null, error: null },
      // Both NULL, threshold 100: 2/2 = 100% is not more than 100.
      field_measurevaluecompleteness_condition_occurrence_stop_reason: { num: 2, den: 2, status: "passed", reason: null, error: null },
      field_standardconceptrecordcompleteness_measurement_unit_concept_id: { num: 0, den: 2, status: "passed", reason: null, error: null },
      // One distinct source value, 'E11', whose standard concept is not 0.
      field_sourcevaluecompleteness_condition_occurrence_condition_source_value: { num: 0, den: 1, status: "passed", reason: null, error: null },
      field_plausiblevaluelow_person_year_of_birth: { num: 0, den: 2, status: "passed", reason: null, error: null },
      field_plausiblevaluehigh_visit_occurrence_visit_end_date: { num: 0, den: 2, status: "passed", reason: null, error: null },
      field_plausibleafterbirth_measurement_measurement_date: { num: 0, den: 2, status: "passed", reason: null, error: null },
      // No death rows: nobody's events can be after death; the denominator (events of the dead) is 0.
      field_plausiblebeforedeath_visit_occurrence_visit_start_date: { num: 0, den: 0, status: "passed", reason: null, error: null },
      field_plausiblestartbeforeend_visit_occurrence_visit_start_date: { num: 0, den: 2, status: "passed", reason: null, error: null },
      field_withinvisitdates_measurement_measurement_date: { num: 0, den: 2, status: "passed", reason: null, error: null },
      // Every person has a visit; nobody has a death (threshold 100: 2/2 is not more).
      table_measurepersoncompleteness_visit_occurrence: { num: 0, den: 2, status: "passed", reason: null, error: null },
      field_plausiblevaluelow_condition_occurrence_condition_start_datetime: {
        num: 0,
        den: 0,
        status: "not_applicable",
        reason: "Field CONDITION_OCCURRENCE.CONDITION_START_DATETIME is not populated.",
        error: null,
      },
      table_measurepersoncompleteness_death: { num: 2, den: 2, status: "not_applicable", reason: "Table DEATH is empty.", error: null },
      // HbA1c in percent, a plausible unit; both rows have a value and a unit source value.
      concept_plausibleunitconceptids_measurement_measurement_concept_id_3004410: { num: 0, den: 2, status: "passed", reason: null, error: null },
      concept_plausiblegender_condition_occurrence_condition_concept_id_192367: {
        num: 0,
        den: 0,
        status: "not_applicable",
        reason: "CONDITION_CONCEPT_ID=192367 is missing from the CONDITION_OCCURRENCE table.",
        error: null,
      },
      // One period each: nothing to overlap; the denominator counts persons.
      table_measureobservationperiodoverlap_observation_period: { num: 0, den: 2, status: "passed", reason: null, error: null },
      // Joined to each row's person: born 1970 and 1980, conditions in 2020.
      field_plausibletemporalafter_condition_occurrence_condition_start_date: { num: 0, den: 2, status: "passed", reason: null, error: null },
      // Nobody died: the denominator (rows of the dead) is 0.
      field_plausibleduringlife_condition_occurrence_condition_start_date: { num: 0, den: 0, status: "passed", reason: null, error: null },
      // CONDITION_ERA is not there: the query fails, an error as in DQD.
      table_measureconditioneracompleteness_condition_era: { num: null, den: null, status: "error", reason: null, error: "error" },
    };
    const actual = Object.fromEntries(Object.keys(expected).map((id) => [id, pick(clean.get(id))]));
    expect(actual).toEqual(expected);
    expect(oneByOneAgrees.get(name), "one query per check counts as the scans and batches do").toBe(true);
  });

  it.each(BREAKAGES)("$name is flagged by exactly the checks that should flag it", async ({ change, flagged, from }) => {
    const rows = cleanRows();
    change(rows);
    const broken = await runFixture(engine, rows, `b${BREAKAGES.findIndex((b) => b.change === change)}`);
    const changed = [...broken.values()].filter((r) => r.status !== clean.get(r.checkId)?.status).map((r) => `${r.checkId}: ${clean.get(r.checkId)?.status} -> ${r.status}`);
    expect(changed.sort()).toEqual(flagged.map((id) => `${id}: ${from ?? "passed"} -> failed`).sort());
  });
});

describe("DQD checks on every engine", () => {
  it("give the same counts and statuses for every check on DuckDB and PostgreSQL", () => {
    const summary = (m: Map<string, CheckResult> | undefined) =>
      [...(m ?? new Map<string, CheckResult>()).values()].map((r) => `${r.checkId} ${r.numViolatedRows}/${r.numDenominatorRows} ${r.status} ${r.notApplicableReason ?? ""}`);
    const duck = summary(cleanByEngine.get("duckdb"));
    expect(duck.length).toBe(checks.filter((c) => c.measure.kind !== "unsupported").length);
    expect(summary(cleanByEngine.get("postgres"))).toEqual(duck);
    // Not a fixture where everything passes: each status occurs.
    const statuses = new Set([...cleanByEngine.get("duckdb")!.values()].map((r) => r.status));
    expect([...statuses].sort()).toEqual(["error", "failed", "not_applicable", "passed"]);
  });
});
