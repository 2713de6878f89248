/**
 * `omopetl run --check`: the checks of each table run as a step right after the steps writing what they read; a
 * failed blocking check fails its step and skips the steps reading the table, the ledger says so, and `--resume`
 * continues once the data is fixed. On DuckDB and PostgreSQL, whose check results must be equal.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uniqueTag } from "../../src/providers/conformance/conformance-harness.js";
import { runCli } from "../helpers/cli.js";
import { dqdDir } from "../helpers/paths.js";
import { dropPgSchemas, ENGINES, engineSchemas, queryEngine, writeTwoEngineConfig, type EngineName } from "../helpers/two-engines.js";

const prefix = `rck_${uniqueTag()}`;
const dirs = new Map<EngineName, string>();

const PERSONS_OK = "person_id,gender_concept_id,year_of_birth,race_concept_id,ethnicity_concept_id\n1,8507,1970,0,0\n2,8532,1980,0,0\n";
// A gender concept that is not in CONCEPT: isForeignKey, a fatal check, fails (a duplicate key would not load).
const PERSONS_ORPHAN = "person_id,gender_concept_id,year_of_birth,race_concept_id,ethnicity_concept_id\n1,8507,1970,0,0\n2,9999,1980,0,0\n";
// 1800 is below PERSON.YEAR_OF_BIRTH's plausibleValueLow (1850): a failed check that is not fatal.
const PERSONS_IMPLAUSIBLE = "person_id,gender_concept_id,year_of_birth,race_concept_id,ethnicity_concept_id\n1,8507,1800,0,0\n2,8532,1980,0,0\n";

function writeWorkflow(dir: string, persons: string): void {
  mkdirSync(path.join(dir, "dml"), { recursive: true });
  writeFileSync(
    path.join(dir, "workflow.yaml"),
    'name: run_check_steps\ncdm_version: "5.4"\nsteps:\n  - dml: dml/cdm_tables.yaml\n  - dml: dml/concept.yaml\n  - dml: dml/person.yaml\n  - dml: dml/observation_period.yaml\n',
  );
  writeFileSync(path.join(dir, "dml/cdm_tables.yaml"), "kind: ddl\npart: tables\ntables: all\n");
  writeFileSync(path.join(dir, "dml/concept.yaml"), "kind: load\ntarget: vocab.concept\nfiles: ../concept.csv\n");
  writeFileSync(path.join(dir, "dml/person.yaml"), "kind: load\ntarget: cdm.person\nfiles: ../person.csv\n");
  writeFileSync(
    path.join(dir, "dml/observation_period.yaml"),
    [
      "kind: transform",
      "target: cdm.observation_period",
      "mode: replace",
      "from: cdm.person AS p",
      "columns:",
      "  observation_period_id: p.person_id",
      "  person_id: p.person_id",
      "  observation_period_start_date: \"DATE '2000-01-01'\"",
      "  observation_period_end_date: \"DATE '2001-01-01'\"",
      '  period_type_concept_id: "32817"',
      "",
    ].join("\n"),
  );
  writeFileSync(
    path.join(dir, "concept.csv"),
    "concept_id,concept_name,domain_id,vocabulary_id,concept_class_id,standard_concept,concept_code,valid_start_date,valid_end_date,invalid_reason\n" +
      "0,No matching concept,Metadata,None,Undefined,,0,1970-01-01,2099-12-31,\n" +
      "8507,MALE,Gender,Gender,Gender,S,M,1970-01-01,2099-12-31,\n" +
      "8532,FEMALE,Gender,Gender,Gender,S,F,1970-01-01,2099-12-31,\n" +
      "32817,EHR,Type Concept,Type Concept,Type Concept,S,OMOP4976890,1970-01-01,2099-12-31,\n",
  );
  writeFileSync(path.join(dir, "person.csv"), persons);
}

const run = (engine: EngineName, extra: string[] = []) => runCli(["run", "workflow.yaml", "--target", engine, "--check", ...extra], { cwd: dirs.get(engine)!, env: { OMOPETL_DQD_DIR: dqdDir } });

async function ledgerSteps(engine: EngineName, runId: string): Promise<Record<string, { status: string; kind: string; skipped: unknown; error: string }>> {
  const s = engineSchemas(prefix, engine);
  const rows = await queryEngine(dirs.get(engine)!, engine, `SELECT step_name, step_kind, status, skipped_because, error_message FROM ${s.staging}.omopetl_step_run WHERE run_id = '${runId}'`);
  return Object.fromEntries(rows.map((r) => [String(r.step_name), { status: String(r.status), kind: String(r.step_kind), skipped: r.skipped_because, error: String(r.error_message ?? "") }]));
}

const runIdOf = (out: string): string => /^check run (\S+):/m.exec(out)?.[1] ?? "";

/** A run's DQD check results in dq_result (with `drift`, its row count drift rows instead, with their counts). */
async function dqResults(engine: EngineName, runId: string, drift = false): Promise<string[]> {
  const s = engineSchemas(prefix, engine);
  const rows = await queryEngine(
    dirs.get(engine)!,
    engine,
    `SELECT check_id, status, num_violated_rows, num_denominator_rows, row_count, baseline_run_id FROM ${s.staging}.dq_result WHERE check_run_id = '${runId}' AND check_name ${drift ? "=" : "<>"} 'rowCountDrift' ORDER BY check_id`,
  );
  return rows.map((r) => `${String(r.check_id)} ${String(r.status)} ${String(r.num_violated_rows)}/${String(r.num_denominator_rows)}${drift ? ` ${String(r.row_count)} ${String(r.baseline_run_id)}` : ""}`);
}

/** Per engine: the dq_result rows of its clean run, compared across engines at the end. */
const cleanResults = new Map<EngineName, string[]>();

beforeAll(() => {
  for (const engine of ENGINES) {
    const dir = mkdtempSync(path.join(os.tmpdir(), `omopetl-run-check-${engine}-`));
    // PostgreSQL's server reads the load files as its own user.
    chmodSync(dir, 0o755);
    writeTwoEngineConfig(dir, prefix);
    dirs.set(engine, dir);
  }
});

afterAll(() => dropPgSchemas(dirs.get("pg")!, prefix));

describe.each(ENGINES)("run --check runs the checks as steps (%s)", (engine) => {
  it("a failed blocking check fails its step, skips the steps reading the table, and --resume continues once the data is fixed", async () => {
    const dir = dirs.get(engine)!;
    writeWorkflow(dir, PERSONS_ORPHAN);
    const bad = run(engine);
    expect(bad.code, bad.stderr).toBe(1);
    expect(bad.stderr).toMatch(/✖ check:person failed: 1 blocking check of cdm\.person failed \(--fail-on fatal\)/);
    expect(bad.stderr).toContain("fatal field_isforeignkey_person_gender_concept_id: 1 of 2 violate (50.00%, threshold 0%)");
    expect(bad.stderr).toContain("↷ observation_period skipped (depends on check:person)");
    const badRun = runIdOf(bad.stdout);
    const steps = await ledgerSteps(engine, badRun);
    expect(steps["person"]).toMatchObject({ status: "succeeded", kind: "load" });
    expect(steps["check:person"]).toMatchObject({ status: "failed", kind: "check" });
    expect(steps["check:person"]!.error).toContain("field_isforeignkey_person_gender_concept_id");
    expect(steps["observation_period"]).toMatchObject({ status: "skipped", skipped: "check:person" });
    // The checks of a table nothing reads after it ran all the same: CONCEPT's are excluded by DQD, CDM_SOURCE's are here.
    expect(steps["check:cdm_source"]).toMatchObject({ status: "succeeded", kind: "check" });
    const s = engineSchemas(prefix, engine);
    expect(Number((await queryEngine(dir, engine, `SELECT count(*) AS n FROM ${s.cdm}.observation_period`))[0]!.n)).toBe(0);
    expect(await dqResults(engine, badRun)).toContain("field_isforeignkey_person_gender_concept_id failed 1/2");

    // Fixed: the changed file reloads person, its checks run again and pass, the skipped step runs.
    writeFileSync(path.join(dir, "person.csv"), PERSONS_OK);
    const resumed = run(engine, ["--resume"]);
    expect(resumed.code, resumed.stderr + resumed.stdout).toBe(0);
    const resumedRun = runIdOf(resumed.stdout);
    const after = await ledgerSteps(engine, resumedRun);
    expect(after["cdm_tables"]!.status).toBe("reused");
    expect(after["concept"]!.status).toBe("reused");
    expect(after["check:cdm_source"]!.status).toBe("reused");
    expect(after["person"]!.status).toBe("succeeded");
    expect(after["check:person"]!.status).toBe("succeeded");
    expect(after["observation_period"]!.status).toBe("succeeded");
    expect(after["check:observation_period"]!.status).toBe("succeeded");
    expect(resumed.stdout).toMatch(/check steps reused: their results are in dq_result under the run that did them/);
    expect(Number((await queryEngine(dir, engine, `SELECT count(*) AS n FROM ${s.cdm}.observation_period`))[0]!.n)).toBe(2);
    expect(await dqResults(engine, resumedRun)).toContain("field_isforeignkey_person_gender_concept_id passed 0/2");
  }, 300_000);

  it("a failed check that does not block is a warning; a re-run on the old database gives the results of a fresh run", async () => {
    const dir = dirs.get(engine)!;
    writeWorkflow(dir, PERSONS_IMPLAUSIBLE);
    const first = run(engine);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/warning: check:person: 1 check failed, not blocking \(--fail-on fatal\): characterization field_plausiblevaluelow_person_year_of_birth: 1 of 2 violate \(50\.00%, threshold 1%\)/);
    expect(first.stdout).toMatch(/check run \S+: 2374 checks run\n/);
    expect(first.stdout).toMatch(/^total\s+\d+\s+1\s+\d+\s+0$/m);
    const again = run(engine);
    expect(again.code, again.stderr).toBe(0);
    const firstResults = await dqResults(engine, runIdOf(first.stdout));
    expect(firstResults).toHaveLength(2374);
    expect(await dqResults(engine, runIdOf(again.stdout))).toEqual(firstResults);
    cleanResults.set(engine, firstResults);
    // With --fail-on threshold the same check blocks.
    const strict = run(engine, ["--fail-on", "threshold"]);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain("↷ observation_period skipped (depends on check:person)");

    // Row count drift: a third person is 50% more than the previous *successful* run's two (the strict run failed).
    const againRun = runIdOf(again.stdout);
    writeFileSync(path.join(dir, "person.csv"), PERSONS_IMPLAUSIBLE + "3,8507,1990,0,0\n");
    const grown = run(engine, ["--drift-threshold", "40"]);
    expect(grown.code, grown.stderr).toBe(0);
    expect(grown.stderr).toContain(`warning: check:person: row count drift: PERSON: 2 -> 3 rows (+50.00%, threshold 40%, against run ${againRun})`);
    expect(grown.stdout).toContain(`row counts: 31 tables compared with run ${againRun}, 2 changed by more than 40%:`);
    expect(grown.stdout).toContain(`  OBSERVATION_PERIOD: 2 -> 3 rows (+50.00%, threshold 40%, against run ${againRun})`);
    const grownDrift = await dqResults(engine, runIdOf(grown.stdout), true);
    expect(grownDrift).toContain(`table_rowcountdrift_person failed 1/2 3 ${againRun}`);
    expect(grownDrift).toContain(`table_rowcountdrift_death passed 0/0 0 ${againRun}`);
    // The threshold from the configuration, and the standalone check compares with the run too.
    writeFileSync(path.join(dir, "omopetl.config.yaml"), readFileSync(path.join(dir, "omopetl.config.yaml"), "utf8") + "checks: { row_count_drift_percent: 30 }\n");
    const standalone = runCli(["check", "workflow.yaml", "--target", engine, "--checks", "isRequired", "--json-out", "dq.json"], { cwd: dir, env: { OMOPETL_DQD_DIR: dqdDir } });
    expect(standalone.code, standalone.stderr).toBe(0);
    expect(standalone.stdout).toContain(`row counts: 31 tables compared with run ${runIdOf(grown.stdout)}, 0 changed by more than 30%`);
    const json = JSON.parse(readFileSync(path.join(dir, "dq.json"), "utf8"));
    expect(json.omopetl.rowCountDrift.find((r: { checkId: string }) => r.checkId === "table_rowcountdrift_person")).toMatchObject({ status: "passed", rowCount: 3, numDenominatorRows: 3, baselineRunId: runIdOf(grown.stdout) });
    expect(json.CheckResults.some((r: { checkName: string }) => r.checkName === "rowCountDrift")).toBe(false);
  }, 300_000);
});

describe("run --check on every engine", () => {
  it("gives the same result for every check on DuckDB and PostgreSQL", () => {
    expect(cleanResults.get("duckdb")).toHaveLength(2374);
    expect(cleanResults.get("pg")).toEqual(cleanResults.get("duckdb"));
  });
});
