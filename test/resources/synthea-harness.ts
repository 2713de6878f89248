/**
 * Shared pieces of the resources/ workflow tests: compiling the standard Synthea -> CDM 5.4 workflow against the
 * shared data, running it on a target through the local orchestrator, and the acceptance checks (each a query that
 * counts violations, written once for DuckDB and PostgreSQL).
 */
import { createHash } from "node:crypto";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { CompileResult } from "../../src/core/compile/compile-workflow.js";
import type { CompiledWorkflowPlan, TableDef } from "../../src/core/model/plan.js";
import { localOrchestrator } from "../../src/orchestrators/local/local-orchestrator.js";
import type { LookupCoverageReport, RunResult, RunTarget } from "../../src/orchestrators/orchestrator-api.js";
import { duckdbProvider } from "../../src/providers/duckdb/index.js";
import { postgresProvider } from "../../src/providers/postgres/index.js";
import type { Connection } from "../../src/providers/provider-api.js";
import { compileFixture } from "../helpers/compile.js";
import { repoRoot, sharedDir, syntheaDir } from "../helpers/paths.js";
import { PG_URL } from "../helpers/postgres-server.js";

export const WORKFLOW = path.join(repoRoot, "resources/workflows/synthea-cdm54.yaml");
/** The test Postgres (test/helpers/postgres-server.ts: the server at OMOPETL_TEST_PG_URL, or PGlite). */
export { PG_URL };

/** The two vocabulary folders: comma/ISO (`vocabulary/`) and Athena's tab/yyyymmdd format (`vocabulary-athena/`). */
export const VOCAB_DIRS = {
  csv: path.join(sharedDir, "data/vocabulary"),
  athena: path.join(sharedDir, "data/vocabulary-athena"),
} as const;
export type VocabFormat = keyof typeof VOCAB_DIRS;

/** Compiles the workflow with the shared Synthea export and one of the vocabulary folders. */
export function compileSynthea(vocab: VocabFormat): Promise<CompileResult> {
  return compileFixture(WORKFLOW, repoRoot, { source_dir: syntheaDir, vocab_dir: VOCAB_DIRS[vocab] });
}

/** The compiled plan; throws with the diagnostics when it does not compile. */
export async function syntheaPlan(vocab: VocabFormat): Promise<CompiledWorkflowPlan> {
  const r = await compileSynthea(vocab);
  if (!r.plan) throw new Error(`synthea-cdm54 does not compile:\n${r.diagnostics.map((d) => `${d.code}: ${d.message}`).join("\n")}`);
  return r.plan;
}

export function tempDir(prefix = "omopetl-synthea-"): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function duckTarget(file: string, options: Record<string, unknown> = {}): RunTarget {
  return { name: "test", provider: duckdbProvider, config: { provider: "duckdb", path: file, ...options }, description: `duckdb ${file}`, secrets: [] };
}

/** Physical schemas of a PostgreSQL run, prefixed so concurrent test files never share tables. */
export function pgSchemas(prefix: string): Record<string, string> {
  return { source: `${prefix}_synthea`, staging: `${prefix}_staging`, cdm: `${prefix}_cdm`, vocab: `${prefix}_vocab` };
}

export function pgTarget(prefix: string): RunTarget {
  return {
    name: "test",
    provider: postgresProvider,
    config: { provider: "postgres", url: PG_URL, schemas: pgSchemas(prefix) },
    description: `postgres ${PG_URL}`,
    secrets: [],
  };
}

export async function dropPgSchemas(prefix: string): Promise<void> {
  const conn = await postgresProvider.connect!({ provider: "postgres", url: PG_URL });
  try {
    for (const s of Object.values(pgSchemas(prefix))) await conn.execute(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  } finally {
    await conn.close();
  }
}

export function connect(target: RunTarget): Promise<Connection> {
  return target.provider.connect!(target.config);
}

/** Runs the whole plan; throws with the failed steps' errors unless every step succeeded. */
export async function runPlan(plan: CompiledWorkflowPlan, target: RunTarget): Promise<RunResult> {
  const r = await localOrchestrator.execute(plan, target, { retryBackoff: { minTimeoutMs: 20, factor: 2, maxTimeoutMs: 100 } });
  if (r.status !== "succeeded") {
    const failed = r.steps.filter((s) => s.status === "failed").map((s) => `${s.name}: ${s.error ?? "?"}`);
    throw new Error(`run ${r.status}:\n${failed.join("\n")}`);
  }
  return r;
}

/**
 * Rows per CDM table measured on the shared data (27 Synthea patients, the `vocabulary/` folder); every CDM table
 * not listed must be empty. See resources/dml for the rules that produce them.
 */
export const EXPECTED_CDM_ROWS: Readonly<Record<string, number>> = {
  care_site: 63, // organizations.csv
  cdm_source: 1,
  condition_era: 177,
  condition_occurrence: 187, // 178 mapped to Condition + 9 unmapped (concept 0)
  cost: 1545, // 692 drugs + 167 procedures + 82 procedures routed to measurement + 604 encounters
  death: 2,
  device_exposure: 75, // 3 devices + 72 supplies
  drug_era: 6, // few drugs reach an ingredient: the vocabulary shard's CONCEPT lacks most ingredients
  drug_exposure: 692, // 663 medications + 29 immunizations (CVX is not in the shard: concept 0)
  location: 90, // 27 patient addresses + 63 organization addresses
  measurement: 545, // 460 observations + 82 procedures mapped to Measurement + 3 unmapped lab observations
  observation: 818, // 251 conditions + 452 observations mapped to Observation + 75 unmapped + 40 allergies
  observation_period: 27,
  payer_plan_period: 1051, // payer_transitions.csv
  person: 27, // patients.csv
  procedure_occurrence: 167, // 161 mapped + 6 unmapped
  provider: 166, // providers.csv
  visit_detail: 604, // encounters.csv: one per encounter
  visit_occurrence: 598,
};

/** Synthea source tables whose every row becomes exactly one CDM clinical event row (with this vocabulary). */
export const CLINICAL_SOURCES = ["conditions", "procedures", "observations", "medications", "immunizations", "allergies", "devices", "supplies"];
/** CDM tables fed by staging.clinical_events, by domain. */
export const DOMAIN_TABLES = ["condition_occurrence", "drug_exposure", "procedure_occurrence", "measurement", "observation", "device_exposure"];

/** `schema.table` with the physical schema of a logical one. */
export function qualify(plan: CompiledWorkflowPlan, target: RunTarget, logical: string, table: string): string {
  const physical = target.config.schemas?.[logical] ?? plan.schemas[logical] ?? logical;
  return `"${physical}"."${table}"`;
}

export async function count(conn: Connection, sql: string): Promise<number> {
  const rows = await conn.query<{ n: unknown }>(sql);
  return Number(rows[0]?.n ?? Number.NaN);
}

export async function countRows(conn: Connection, qualified: string): Promise<number> {
  return count(conn, `SELECT count(*) AS n FROM ${qualified}`);
}

/** Row counts of every CDM table of the plan. */
export async function cdmRowCounts(conn: Connection, plan: CompiledWorkflowPlan, target: RunTarget): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of plan.tables.filter((t) => t.cdm && t.schema === "cdm")) out[t.name] = await countRows(conn, qualify(plan, target, "cdm", t.name));
  return out;
}

/** Order-independent content hash of a table. */
export async function tableHash(conn: Connection, qualified: string): Promise<string> {
  const rows = await conn.query(`SELECT * FROM ${qualified}`);
  const lines = rows.map((r) => JSON.stringify(Object.keys(r).sort().map((k) => [k, r[k]]))).sort();
  return createHash("sha256").update(lines.join("\n")).digest("hex");
}

/** Start/end date pairs that must be ordered (end may be NULL). */
const DATE_PAIRS: readonly [string, string, string][] = [
  ["visit_occurrence", "visit_start_date", "visit_end_date"],
  ["visit_detail", "visit_detail_start_date", "visit_detail_end_date"],
  ["condition_occurrence", "condition_start_date", "condition_end_date"],
  ["drug_exposure", "drug_exposure_start_date", "drug_exposure_end_date"],
  ["procedure_occurrence", "procedure_date", "procedure_end_date"],
  ["device_exposure", "device_exposure_start_date", "device_exposure_end_date"],
  ["observation_period", "observation_period_start_date", "observation_period_end_date"],
  ["payer_plan_period", "payer_plan_period_start_date", "payer_plan_period_end_date"],
  ["condition_era", "condition_era_start_date", "condition_era_end_date"],
  ["drug_era", "drug_era_start_date", "drug_era_end_date"],
];

/** Person-level event dates that must not precede the person's birth. */
const EVENT_DATES: readonly [string, string][] = [
  ["visit_occurrence", "visit_start_date"],
  ["visit_detail", "visit_detail_start_date"],
  ["condition_occurrence", "condition_start_date"],
  ["drug_exposure", "drug_exposure_start_date"],
  ["procedure_occurrence", "procedure_date"],
  ["device_exposure", "device_exposure_start_date"],
  ["measurement", "measurement_date"],
  ["observation", "observation_date"],
  ["observation_period", "observation_period_start_date"],
  ["death", "death_date"],
  ["payer_plan_period", "payer_plan_period_start_date"],
  ["condition_era", "condition_era_start_date"],
  ["drug_era", "drug_era_start_date"],
];

/** Concept and source-value columns of the domain tables: a concept 0 row must keep its source value. */
const SOURCE_VALUES: Readonly<Record<string, [string, string]>> = {
  condition_occurrence: ["condition_concept_id", "condition_source_value"],
  drug_exposure: ["drug_concept_id", "drug_source_value"],
  procedure_occurrence: ["procedure_concept_id", "procedure_source_value"],
  measurement: ["measurement_concept_id", "measurement_source_value"],
  observation: ["observation_concept_id", "observation_source_value"],
  device_exposure: ["device_concept_id", "device_source_value"],
};

const COST_DOMAINS: Readonly<Record<string, [string, string]>> = {
  Drug: ["drug_exposure", "drug_exposure_id"],
  Procedure: ["procedure_occurrence", "procedure_occurrence_id"],
  Measurement: ["measurement", "measurement_id"],
  Observation: ["observation", "observation_id"],
  Condition: ["condition_occurrence", "condition_occurrence_id"],
  Device: ["device_exposure", "device_exposure_id"],
  Visit: ["visit_occurrence", "visit_occurrence_id"],
};

/**
 * The acceptance checks: name -> SQL counting violations (each must be 0). Primary keys, required columns and
 * foreign keys between CDM tables come from the plan's table definitions (foreign keys into the vocabulary are
 * left out: the vocabulary shard lacks the type, gender and race concepts).
 */
export function acceptanceChecks(plan: CompiledWorkflowPlan, target: RunTarget): Record<string, string> {
  const cdm = (t: string) => qualify(plan, target, "cdm", t);
  const checks: Record<string, string> = {};
  const cdmTables: TableDef[] = plan.tables.filter((t) => t.cdm && t.schema === "cdm");
  for (const t of cdmTables) {
    if (t.primaryKey.length > 0) {
      const pk = t.primaryKey.map((c) => `"${c}"`).join(", ");
      checks[`${t.name}: duplicate primary keys`] = `SELECT count(*) AS n FROM (SELECT ${pk} FROM ${cdm(t.name)} GROUP BY ${pk} HAVING count(*) > 1) AS d`;
    }
    const required = t.columns.filter((c) => c.required).map((c) => `"${c.name}" IS NULL`);
    if (required.length > 0) checks[`${t.name}: required column NULL`] = `SELECT count(*) AS n FROM ${cdm(t.name)} WHERE ${required.join(" OR ")}`;
    for (const fk of t.foreignKeys) {
      if (fk.references.schema !== "cdm") continue;
      checks[`${t.name}.${fk.column} -> ${fk.references.name}`] =
        `SELECT count(*) AS n FROM ${cdm(t.name)} AS x WHERE x."${fk.column}" IS NOT NULL ` +
        `AND NOT EXISTS (SELECT 1 FROM ${cdm(fk.references.name)} AS r WHERE r."${fk.referencesColumn}" = x."${fk.column}")`;
    }
  }
  for (const [t, start, end] of DATE_PAIRS) checks[`${t}: ${start} after ${end}`] = `SELECT count(*) AS n FROM ${cdm(t)} WHERE "${start}" > "${end}"`;
  for (const [t, date] of EVENT_DATES) {
    checks[`${t}: ${date} before birth`] =
      `SELECT count(*) AS n FROM ${cdm(t)} AS x JOIN ${cdm("person")} AS p ON p.person_id = x.person_id ` +
      `WHERE x."${date}" < CAST(p.birth_datetime AS DATE) OR CAST(date_part('year', x."${date}") AS INTEGER) < p.year_of_birth`;
  }
  for (const [t, [concept, source]] of Object.entries(SOURCE_VALUES)) {
    checks[`${t}: concept 0 without source value`] = `SELECT count(*) AS n FROM ${cdm(t)} WHERE "${concept}" = 0 AND "${source}" IS NULL`;
  }
  for (const [domain, [t, id]] of Object.entries(COST_DOMAINS)) {
    checks[`cost: ${domain} event missing`] =
      `SELECT count(*) AS n FROM ${cdm("cost")} AS c WHERE c.cost_domain_id = '${domain}' ` +
      `AND NOT EXISTS (SELECT 1 FROM ${cdm(t)} AS e WHERE e."${id}" = c.cost_event_id)`;
  }
  checks["cost: unknown domain"] = `SELECT count(*) AS n FROM ${cdm("cost")} WHERE cost_domain_id NOT IN (${Object.keys(COST_DOMAINS).map((d) => `'${d}'`).join(", ")})`;
  checks["visit_occurrence without visit_detail"] =
    `SELECT count(*) AS n FROM ${cdm("visit_occurrence")} AS v WHERE NOT EXISTS (SELECT 1 FROM ${cdm("visit_detail")} AS d WHERE d.visit_occurrence_id = v.visit_occurrence_id)`;
  checks["visit_detail outside its visit"] =
    `SELECT count(*) AS n FROM ${cdm("visit_detail")} AS d JOIN ${cdm("visit_occurrence")} AS v ON v.visit_occurrence_id = d.visit_occurrence_id ` +
    `WHERE d.visit_detail_start_datetime < v.visit_start_datetime OR d.visit_detail_end_datetime > v.visit_end_datetime OR d.person_id <> v.person_id`;
  checks["event in another person's visit"] = DOMAIN_TABLES.map(
    (t) =>
      `SELECT count(*) AS n FROM ${cdm(t)} AS x JOIN ${cdm("visit_occurrence")} AS v ON v.visit_occurrence_id = x.visit_occurrence_id WHERE v.person_id <> x.person_id`,
  ).join(" UNION ALL ");
  checks["event in another person's visit"] = `SELECT sum(n) AS n FROM (${checks["event in another person's visit"]}) AS u`;
  // Inpatient stays separated by at most one day are one visit.
  checks["inpatient visits not merged"] =
    `SELECT count(*) AS n FROM ${cdm("visit_occurrence")} AS a JOIN ${cdm("visit_occurrence")} AS b ` +
    `ON a.person_id = b.person_id AND a.visit_occurrence_id <> b.visit_occurrence_id ` +
    `AND a.visit_concept_id IN (9201, 262) AND b.visit_concept_id IN (9201, 262) ` +
    `AND a.visit_start_datetime <= b.visit_start_datetime AND b.visit_start_date <= a.visit_end_date + 1`;
  // Every person-level event lies in one of its person's observation periods (enrolment periods excepted).
  for (const [t, date] of EVENT_DATES) {
    if (t === "observation_period" || t === "payer_plan_period") continue;
    checks[`${t}: ${date} outside observation period`] =
      `SELECT count(*) AS n FROM ${cdm(t)} AS x WHERE NOT EXISTS (SELECT 1 FROM ${cdm("observation_period")} AS o ` +
      `WHERE o.person_id = x.person_id AND x."${date}" BETWEEN o.observation_period_start_date AND o.observation_period_end_date)`;
  }
  return checks;
}

/** Runs every acceptance check; returns those with violations (name -> count). */
export async function failedChecks(conn: Connection, plan: CompiledWorkflowPlan, target: RunTarget): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [name, sql] of Object.entries(acceptanceChecks(plan, target))) {
    const n = await count(conn, sql);
    if (n !== 0) out[name] = n;
  }
  return out;
}

/**
 * The clinical-code lookups of staging.clinical_events: lookup name, the Synthea source table its branch reads, and
 * the vocabulary of its codes (allergies, whose vocabulary depends on the row, keep the staging maps).
 */
export const CLINICAL_LOOKUPS: readonly { lookup: string; source: string; vocabulary: string }[] = [
  { lookup: "condition", source: "conditions", vocabulary: "SNOMED" },
  { lookup: "procedure", source: "procedures", vocabulary: "SNOMED" },
  { lookup: "observation", source: "observations", vocabulary: "LOINC" },
  { lookup: "drug", source: "medications", vocabulary: "RxNorm" },
  { lookup: "vaccine", source: "immunizations", vocabulary: "CVX" },
  { lookup: "device", source: "devices", vocabulary: "SNOMED" },
  { lookup: "supply", source: "supplies", vocabulary: "SNOMED" },
];

/**
 * The coverage a direct count over a loaded source table gives, written independently of the lookup's joins: per
 * code, whether CONCEPT has it in `vocabulary` with a valid 'Maps to' to a valid standard concept; the unmapped
 * codes by rows (descending), ties in byte order of the code.
 */
export async function directCoverage(
  conn: Connection,
  plan: CompiledWorkflowPlan,
  target: RunTarget,
  source: string,
  vocabulary: string,
): Promise<Omit<LookupCoverageReport, "lookup" | "select">> {
  const v = (t: string) => qualify(plan, target, "vocab", t);
  const src = qualify(plan, target, "source", source);
  const hasMapping = `EXISTS (SELECT 1 FROM ${v("concept")} c
    JOIN ${v("concept_relationship")} r ON r.concept_id_1 = c.concept_id AND r.relationship_id = 'Maps to' AND r.invalid_reason IS NULL
    JOIN ${v("concept")} t ON t.concept_id = r.concept_id_2 AND t.standard_concept = 'S' AND t.invalid_reason IS NULL
    WHERE c.concept_code = x.code AND c.vocabulary_id = '${vocabulary}')`;
  const perCode = await conn.query<{ code: unknown; n: unknown; mapped: unknown }>(
    `SELECT x.code AS code, count(*) AS n, CASE WHEN ${hasMapping} THEN 1 ELSE 0 END AS mapped FROM ${src} AS x WHERE x.code IS NOT NULL GROUP BY x.code`,
  );
  const rows = perCode.map((r) => ({ code: String(r.code), n: Number(r.n), mapped: Number(r.mapped) === 1 }));
  const unmapped = rows.filter((r) => !r.mapped).sort((a, b) => b.n - a.n || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
  const sum = (xs: typeof rows) => xs.reduce((t, r) => t + r.n, 0);
  return {
    codes: rows.length,
    codesMapped: rows.length - unmapped.length,
    codesUnmapped: unmapped.length,
    rows: sum(rows),
    rowsMapped: sum(rows) - sum(unmapped),
    rowsUnmapped: sum(unmapped),
    rowsWithoutCode: await count(conn, `SELECT count(*) AS n FROM ${src} WHERE code IS NULL`),
    topUnmapped: unmapped.slice(0, 10).map((r) => ({ code: r.code, rows: r.n })),
  };
}

/**
 * Checks the run's coverage report of every clinical-code lookup against {@link directCoverage}; returns the
 * reports by lookup name. (The source tables hold the CSVs' rows as loaded: the loads check every value.)
 */
export async function clinicalCoverage(
  conn: Connection,
  plan: CompiledWorkflowPlan,
  target: RunTarget,
  run: RunResult,
): Promise<{ reports: Record<string, LookupCoverageReport>; expected: Record<string, Omit<LookupCoverageReport, "lookup" | "select">> }> {
  const coverage = run.steps.find((s) => s.name === "clinical_events")?.coverage ?? [];
  const reports: Record<string, LookupCoverageReport> = {};
  const expected: Record<string, Omit<LookupCoverageReport, "lookup" | "select">> = {};
  for (const l of CLINICAL_LOOKUPS) {
    const report = coverage.find((c) => c.lookup === l.lookup);
    if (report) reports[l.lookup] = report;
    expected[l.lookup] = await directCoverage(conn, plan, target, l.source, l.vocabulary);
  }
  return { reports, expected };
}
