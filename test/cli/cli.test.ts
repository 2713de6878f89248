import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { fixturesDir, repoRoot, specDir } from "../helpers/paths.js";

const basic = path.join(fixturesDir, "compile/basic/workflow.yaml");
const spec = ["--spec-dir", specDir];
const noStack = (s: string) => expect(s).not.toMatch(/^\s+at .+\(.+:\d+:\d+\)$/m);

describe("omopetl CLI", () => {
  it("--version prints the package version and loads no heavy module", () => {
    const log = path.join(mkdtempSync(path.join(os.tmpdir(), "omopetl-imports-")), "imports.txt");
    writeFileSync(log, "");
    const r = runCli(["--version"], { env: { OMOPETL_IMPORT_LOG: log }, nodeArgs: ["--import", path.join(repoRoot, "test/helpers/record-imports.mjs")] });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")).version);
    const loaded = readFileSync(log, "utf8");
    expect(loaded).toContain("commander");
    for (const heavy of ["@octokit", "duckdb", "node_modules/pg/", "knex", "cosmiconfig", "zod", "yaml"]) expect(loaded).not.toContain(heavy);
  });

  it("validate: exit 0 and a summary for a clean workflow", () => {
    const r = runCli(["validate", basic, ...spec, "-p", "source_dir=s3://bucket/synthea"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/6 steps OK/);
  });

  it("validate: exit 1, every error with file:line:col and a code frame, no stack trace", () => {
    const r = runCli(["validate", path.join(fixturesDir, "errors/many-errors-collected/workflow.yaml"), ...spec]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/dml\/person\.yaml:10:3 error UNKNOWN_COLUMN: "year_of_brith" is not a column of CDM table "person"\. Did you mean "year_of_birth"\?/);
    expect(r.stderr).toMatch(/> 10 \|   year_of_brith:/);
    expect(r.stderr).toMatch(/3 errors, 0 warnings/);
    noStack(r.stderr);
  });

  it("compile: -o writes byte-identical plans on repeated runs", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "omopetl-cli-"));
    const a = runCli(["compile", basic, "-o", path.join(dir, "a.json"), ...spec, "-p", "source_dir=/data/synthea"]);
    const b = runCli(["compile", basic, "-o", path.join(dir, "b.json"), ...spec, "-p", "source_dir=/data/synthea"]);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    const pa = readFileSync(path.join(dir, "a.json"), "utf8");
    expect(pa).toBe(readFileSync(path.join(dir, "b.json"), "utf8"));
    const plan = JSON.parse(pa);
    expect(plan.params.source_dir).toBe("/data/synthea");
    expect(plan.steps.find((s: { name: string }) => s.name === "patients").body.files).toEqual(["/data/synthea/patients.csv"]);
  });

  it("usage errors exit 2", () => {
    expect(runCli(["compile"]).code).toBe(2);
    expect(runCli(["frobnicate"]).code).toBe(2);
    const bad = runCli(["compile", basic, ...spec, "-p", "novalue"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--param expects key=value/);
    noStack(bad.stderr);
  });

  it("a missing workflow file is a diagnostic, not a crash", () => {
    const r = runCli(["validate", "nope/workflow.yaml", ...spec]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/FILE_NOT_FOUND/);
    noStack(r.stderr);
  });

  it("reads spec dir and params from omopetl.config.yaml (cosmiconfig), --param wins", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "omopetl-config-"));
    writeFileSync(path.join(dir, "omopetl.config.yaml"), `spec: { dir: ${JSON.stringify(specDir)} }\nparams: { source_dir: ./from-config }\n`);
    const r = runCli(["compile", basic], { cwd: dir });
    // The configured folder does not exist: a warning, not an error.
    expect(r.stderr).toMatch(/warning DATA_FILE_NOT_FOUND: ".*\/from-config\/patients\.csv"/);
    expect(r.stderr).not.toMatch(/ error /);
    expect(JSON.parse(r.stdout).params.source_dir).toBe(path.join(dir, "from-config"));
    const r2 = runCli(["compile", basic, "-p", "source_dir=/x"], { cwd: dir });
    expect(JSON.parse(r2.stdout).params.source_dir).toBe("/x");
  });

  it("an invalid config file is a configuration error (exit 2)", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "omopetl-config-"));
    writeFileSync(path.join(dir, "omopetl.config.yaml"), "spec: { directory: x }\n");
    const r = runCli(["validate", basic], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/CONFIG_INVALID/);
  });

  it("graph prints Mermaid and DOT edges from the inferred DAG", () => {
    const m = runCli(["graph", basic, ...spec]);
    expect(m.code).toBe(0);
    expect(m.stdout).toMatch(/^flowchart LR/);
    expect(m.stdout).toContain("s_person --> s_visit_occurrence");
    const d = runCli(["graph", basic, "--format", "dot", ...spec]);
    expect(d.stdout).toContain('"stage_visits" -> "visit_occurrence";');
  });

  it("spec show lists tables and a table's columns", () => {
    const all = runCli(["spec", "show", ...spec]);
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(/OMOP CDM 5\.4 .*: 39 tables/);
    const person = runCli(["spec", "show", "person", ...spec]);
    expect(person.stdout).toMatch(/person_id\s+integer\s+NOT NULL PK/);
    const typo = runCli(["spec", "show", "persn", ...spec]);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toMatch(/Did you mean "person"/);
  });

  it("without a spec source and offline, says how to fix it", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "omopetl-offline-"));
    writeFileSync(path.join(dir, "omopetl.config.yaml"), `spec: { offline: true, cache_dir: ./cache }\n`);
    const r = runCli(["validate", basic], { cwd: dir, env: { OMOPETL_SPEC_DIR: "" } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/SPEC_UNAVAILABLE/);
    expect(r.stderr).toMatch(/--spec-dir/);
    noStack(r.stderr);
  });
});
