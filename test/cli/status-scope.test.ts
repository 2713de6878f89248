import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { specDir } from "../helpers/paths.js";

/**
 * `status` shows the runs of the workflow and schemas it is asked about (issue 13, problem 6): it listed runs
 * recorded under another workflow's schemas in the same database. Two workflows with their own staging schemas run
 * on one DuckDB file; `status --workflow`, a target naming its staging schema, and `--all` each list what they say.
 */
let dir: string;
const cli = (args: string[]) => runCli(args, { cwd: dir });

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "omopetl-status-"));
  mkdirSync(path.join(dir, "dml"));
  for (const [name, staging] of [["alpha", "stage_a"], ["beta", "stage_b"]] as const) {
    writeFileSync(
      path.join(dir, `${name}.yaml`),
      `name: ${name}\ncdm_version: "5.4"\nschemas: { staging: ${staging} }\nsteps:\n  - dml: dml/${name}.yaml\n`,
    );
    writeFileSync(
      path.join(dir, `dml/${name}.yaml`),
      `kind: sql\nwrites: [{ table: staging.t_${name}, columns: { x: integer } }]\nsql:\n  - DROP TABLE IF EXISTS \${schemas.staging}.t_${name}\n  - CREATE TABLE \${schemas.staging}.t_${name} AS SELECT 1 AS x\n`,
    );
  }
  const targets = {
    default: { provider: "duckdb", path: "./omop.duckdb" },
    alpha_only: { provider: "duckdb", path: "./omop.duckdb", schemas: { staging: "stage_a" } },
  };
  writeFileSync(path.join(dir, "omopetl.config.yaml"), `spec: { dir: ${JSON.stringify(specDir)} }\ntargets: ${JSON.stringify(targets)}\n`);
});

describe("status shows the runs it is asked about", () => {
  it("runs both workflows on one database", () => {
    for (const w of ["alpha.yaml", "beta.yaml"]) {
      const r = cli(["run", w]);
      expect(r.code, r.stderr).toBe(0);
    }
  });

  it("--workflow lists only that workflow's runs, from its staging schema", () => {
    const r = cli(["status", "--workflow", "alpha.yaml"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ alpha /);
    expect(r.stdout).not.toMatch(/ beta /);
  });

  it("a target naming its staging schema lists that ledger's runs only", () => {
    const r = cli(["status", "--target", "alpha_only"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ alpha /);
    expect(r.stdout).not.toMatch(/ beta /);
  });

  it("without a scope every ledger is listed and stderr says how to narrow it; --all lists everything too", () => {
    const r = cli(["status"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ alpha /);
    expect(r.stdout).toMatch(/ beta /);
    expect(r.stderr).toMatch(/runs of 2 ledgers \(schemas stage_a, stage_b\): narrow with --workflow <file>/);
    const all = cli(["status", "--all", "--target", "alpha_only"]);
    expect(all.stdout).toMatch(/ alpha /);
    expect(all.stdout).toMatch(/ beta /);
  });
});
