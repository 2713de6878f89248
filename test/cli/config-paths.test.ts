import { existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { specDir } from "../helpers/paths.js";

/**
 * Which paths are relative to what (issue 13, README "Which paths are relative to what"): a project laid out as
 * proj/omopetl.config.yaml, wf/workflow.yaml + wf/dml/*.yaml, data in three folders, run from a third working directory.
 * Each kind of relative path must land where the README says, or a file is missing / the database is elsewhere.
 */
let root: string;

beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), "omopetl-paths-"));
  for (const d of ["proj", "proj/config-data", "wf/dml", "wf/default-data", "wf/dml/beside-dml", "cwd/cli-data"]) mkdirSync(path.join(root, d), { recursive: true });
  // The spec folder is named relative to the configuration file.
  symlinkSync(specDir, path.join(root, "proj/spec"));
  writeFileSync(
    path.join(root, "proj/omopetl.config.yaml"),
    [
      "spec: { dir: ./spec }",
      "params: { from_config: ./config-data }",
      "targets:",
      "  default: { provider: duckdb, path: ./db/omop.duckdb }",
      "",
    ].join("\n"),
  );
  writeFileSync(
    path.join(root, "wf/workflow.yaml"),
    [
      "name: paths",
      'cdm_version: "5.4"',
      "params:",
      "  from_default: { type: path, default: ./default-data }",
      "  from_config: { type: path, default: ./nowhere }",
      "  from_cli: { type: path, default: ./nowhere }",
      "steps:",
      "  - dml: dml/*.yaml",
      "",
    ].join("\n"),
  );
  const load = (name: string, file: string) =>
    writeFileSync(path.join(root, `wf/dml/${name}.yaml`), `kind: load\ntarget: staging.${name}\nfiles: "${file}"\ncolumns: { v: varchar }\n`);
  load("by_default", "${params.from_default}/a.csv");
  load("by_config", "${params.from_config}/a.csv");
  load("by_cli", "${params.from_cli}/a.csv");
  load("by_dml", "beside-dml/a.csv");
  writeFileSync(path.join(root, "wf/default-data/a.csv"), "v\ndefault\n");
  writeFileSync(path.join(root, "proj/config-data/a.csv"), "v\nconfig\n");
  writeFileSync(path.join(root, "cwd/cli-data/a.csv"), "v\ncli\n");
  writeFileSync(path.join(root, "wf/dml/beside-dml/a.csv"), "v\ndml\n");
});

describe("relative paths", () => {
  it("resolve against the config file, the workflow file, the DML file or the working directory as documented", async () => {
    const r = runCli(["run", "../wf/workflow.yaml", "--config", "../proj/omopetl.config.yaml", "--param", "from_cli=./cli-data"], {
      cwd: path.join(root, "cwd"),
    });
    expect(r.code, r.stderr).toBe(0);
    // The DuckDB file is relative to the configuration's folder, not to the working directory.
    const db = path.join(root, "proj/db/omop.duckdb");
    expect(existsSync(db)).toBe(true);
    expect(existsSync(path.join(root, "cwd/db"))).toBe(false);
    const instance = await DuckDBInstance.create(db);
    const conn = await instance.connect();
    try {
      const got: Record<string, unknown> = {};
      for (const t of ["by_default", "by_config", "by_cli", "by_dml"]) {
        const rows = (await conn.runAndReadAll(`SELECT v FROM staging.${t}`)).getRowObjects();
        got[t] = rows.map((x) => x.v);
      }
      expect(got).toEqual({ by_default: ["default"], by_config: ["config"], by_cli: ["cli"], by_dml: ["dml"] });
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
  });
});
