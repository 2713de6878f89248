import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uniqueTag } from "../../src/providers/conformance/conformance-harness.js";
import { runCli } from "../helpers/cli.js";
import { dqdDir, specDir } from "../helpers/paths.js";
import { dropPgSchemas, ENGINES, engineSchemas, queryEngine, writeTwoEngineConfig, type EngineName } from "../helpers/two-engines.js";

const prefix = `chk_${uniqueTag()}`;
let dir: string;
const CHECKS = ["cdmTable", "cdmField", "measureValueCompleteness", "isRequired", "isPrimaryKey"];

function check(engine: EngineName, extra: string[] = []) {
  return runCli(["check", "--target", engine, "--dqd-dir", dqdDir, "--checks", ...CHECKS, ...extra], { cwd: dir });
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "omopetl-check-"));
  writeTwoEngineConfig(dir, prefix);
  for (const engine of ENGINES) {
    const s = engineSchemas(prefix, engine);
    const ddl = runCli(["ddl", "--target", engine, "--schema", s.cdm, "--part", "tables"], { cwd: dir });
    expect(ddl.code, ddl.stderr).toBe(0);
    await queryEngine(
      dir,
      engine,
      `INSERT INTO ${s.cdm}.person (person_id, gender_concept_id, year_of_birth, race_concept_id, ethnicity_concept_id) VALUES (1, 8507, 1970, 0, 0), (2, 8532, 1980, 0, 0)`,
    );
  }
}, 120_000);

afterAll(() => dropPgSchemas(dir, prefix));

describe.each(ENGINES)("omopetl check (%s)", (engine) => {
  it("passes a clean CDM, appends one dq_result row per check and run, and writes DQD-shaped JSON", async () => {
    const r = check(engine, ["--json-out", `${engine}.json`, "--fail-on", "threshold"]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const json = JSON.parse(readFileSync(path.join(dir, `${engine}.json`), "utf8"));
    expect(Object.keys(json).sort()).toEqual(["CheckResults", "Metadata", "Overview", "endTimestamp", "executionTime", "omopetl", "startTimestamp"]);
    const person = json.CheckResults.find((c: { checkId: string }) => c.checkId === "field_isprimarykey_person_person_id");
    expect(person).toMatchObject({ numViolatedRows: 0, numDenominatorRows: 2, pctViolatedRows: 0, failed: 0, passed: 1, isError: 0, notApplicable: 0, category: "Conformance", subcategory: "Relational", context: "Verification" });
    // Every table exists (ddl made them all); PERSON is the only filled one, so the others' checks are not applicable.
    expect(json.Overview.countOverallFailed).toBe(0);
    expect(json.Overview.countErrorFailed).toBe(0);
    expect(json.CheckResults.find((c: { checkId: string }) => c.checkId === "field_isrequired_death_person_id").notApplicableReason).toBe("Table DEATH is empty.");
    expect(r.stdout).toMatch(/^total\s+\d+\s+0\s+\d+\s+0$/m);

    const staging = engineSchemas(prefix, engine).staging;
    const runId = json.omopetl.checkRunId;
    const rows = await queryEngine(dir, engine, `SELECT check_id, status, num_violated_rows, num_denominator_rows FROM ${staging}.dq_result WHERE check_run_id = '${runId}' ORDER BY check_id`);
    // The checks', and each table's row count drift (omopetl's own check, kept out of DQD's CheckResults).
    expect(rows).toHaveLength(json.CheckResults.length + json.omopetl.rowCountDrift.length);
    expect(json.omopetl.rowCountDrift.length).toBeGreaterThan(0);
    // BIGINT columns come back as text (the Connection contract), alike on both engines.
    expect(rows.find((x) => x.check_id === "field_isprimarykey_person_person_id")).toEqual({ check_id: "field_isprimarykey_person_person_id", status: "passed", num_violated_rows: "0", num_denominator_rows: "2" });
  });

  it("a duplicate primary key fails isPrimaryKey (fatal): exit 1 with --fail-on fatal, the sample rows on request", async () => {
    const s = engineSchemas(prefix, engine);
    await queryEngine(dir, engine, `INSERT INTO ${s.cdm}.person (person_id, gender_concept_id, year_of_birth, race_concept_id, ethnicity_concept_id) VALUES (2, 8532, 1981, 0, 0)`);
    try {
      const r = check(engine, ["--fail-on", "fatal", "--samples", "5"]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stdout).toContain("fatal            field_isprimarykey_person_person_id: 2 of 3 violate (66.67%, threshold 0%)");
      expect(r.stdout.match(/"person_id":2/g)).toHaveLength(2);
      expect(r.stdout).toMatch(/^total\s+\d+\s+1\s+\d+\s+0$/m);
      // --fail-on error: a failed check is no error.
      expect(check(engine, ["--fail-on", "error"]).code).toBe(0);
      // Each run has its own rows: the clean run's, then these two.
      const runs = await queryEngine(dir, engine, `SELECT check_run_id, count(*) AS n FROM ${s.staging}.dq_result GROUP BY check_run_id`);
      expect(runs.length).toBe(3);
      expect(new Set(runs.map((x) => Number(x.n))).size).toBe(1);
    } finally {
      await queryEngine(dir, engine, `DELETE FROM ${s.cdm}.person WHERE year_of_birth = 1981`);
    }
  });
});

describe("omopetl check: bad input", () => {
  it("DQD definitions that are not there: exit 2, the file named, a fix, no stack trace, nothing written", async () => {
    const r = runCli(["check", "--target", "duckdb", "--dqd-dir", path.join(dir, "nowhere")], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error DQD_NOT_FOUND: the Data Quality Dashboard check definitions are not readable: ${path.join(dir, "nowhere", "OMOP_CDMv5.4_Check_Descriptions.csv")}`);
    expect(r.stderr).toContain("OMOPETL_DQD_DIR");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("omopetl run --check", () => {
  it("runs the checks after a successful run; --fail-on decides whether a failed check fails the run", async () => {
    const wf = mkdtempSync(path.join(os.tmpdir(), "omopetl-run-check-"));
    const { mkdirSync, writeFileSync } = await import("node:fs");
    mkdirSync(path.join(wf, "dml"));
    writeFileSync(path.join(wf, "workflow.yaml"), 'name: run_check\ncdm_version: "5.4"\nsteps:\n  - dml: dml/cdm_tables.yaml\n  - dml: dml/person.yaml\n');
    writeFileSync(path.join(wf, "dml/cdm_tables.yaml"), "kind: ddl\npart: tables\ntables: [person, concept]\n");
    writeFileSync(path.join(wf, "dml/person.yaml"), "kind: load\ntarget: cdm.person\nfiles: ../person.csv\n");
    // 1800 is below PERSON.YEAR_OF_BIRTH's plausibleValueLow (1850); no concept exists, so every concept id is an
    // orphan foreign key (fatal).
    writeFileSync(path.join(wf, "person.csv"), "person_id,gender_concept_id,year_of_birth,race_concept_id,ethnicity_concept_id\n1,8507,1800,0,0\n2,8532,1980,0,0\n");
    writeFileSync(path.join(wf, "omopetl.config.yaml"), `checks: { dqd_dir: ${JSON.stringify(dqdDir)} }\ntargets: { default: { provider: duckdb, path: ./omop.duckdb } }\n`);
    const spec = ["--spec-dir", specDir];

    const plain = runCli(["run", "workflow.yaml", ...spec], { cwd: wf });
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).not.toContain("check run");

    const none = runCli(["run", "workflow.yaml", ...spec, "--check", "--fail-on", "none"], { cwd: wf });
    expect(none.code, none.stderr).toBe(0);
    expect(none.stdout).toMatch(/check run \S+: 2374 checks run\n/);
    expect(none.stdout).toContain("field_plausiblevaluelow_person_year_of_birth: 1 of 2 violate (50.00%, threshold 1%)");

    const fatal = runCli(["run", "workflow.yaml", ...spec, "--check"], { cwd: wf });
    expect(fatal.code, "a fatal check failed: the run fails").toBe(1);
    expect(fatal.stdout).toMatch(/fatal\s+field_isforeignkey_person_gender_concept_id: 2 of 2 violate/);
  }, 120_000);
});
