import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { dropPgSchemas, ENGINES, engineSchemas, queryEngine, writeTwoEngineConfig, type EngineName } from "../helpers/two-engines.js";

/**
 * Engines accept the same dates (issue 13, problem 9): without a date_format, 20100330 loaded on PostgreSQL and failed
 * on DuckDB, while DuckDB read 2020-01-05junk as 2020-01-05 and 20-1-5 as the year 20. Now only ISO dates load,
 * and every other value fails the load on both engines, naming the column and the value, with the table unchanged.
 */
const prefix = `ldate_${process.pid}_${Date.now().toString(36)}`;
const engines = ENGINES;
let dir: string;

const schemasOf = (engine: EngineName) => engineSchemas(prefix, engine);
const query = (engine: EngineName, sql: string) => queryEngine(dir, engine, sql);

const write = (rows: string[]) => writeFileSync(path.join(dir, "data/events.csv"), ["id,day", ...rows, ""].join("\n"));

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "omopetl-ldate-"));
  chmodSync(dir, 0o755); // the PostgreSQL server reads the file itself, as its own user
  mkdirSync(path.join(dir, "dml"));
  mkdirSync(path.join(dir, "data"));
  writeFileSync(path.join(dir, "workflow.yaml"), 'name: dates\ncdm_version: "5.4"\nsteps:\n  - dml: dml/events.yaml\n');
  writeFileSync(path.join(dir, "dml/events.yaml"), "kind: load\ntarget: source.events\nfiles: ../data/events.csv\ncolumns: { id: varchar, day: date }\n");
  writeTwoEngineConfig(dir, prefix);
});

afterAll(() => dropPgSchemas(dir, prefix));

describe("dates without a date_format are ISO dates on every engine", () => {
  for (const engine of engines) {
    it(`${engine}: ISO dates load (before 1900, after 2100, empty = NULL); 20100330, 2020-01-05junk and 20-1-5 fail`, async () => {
      write(["a,2020-01-05", "b,1850-12-31", "c,2150-02-28", "d,"]);
      const ok = runCli(["run", "workflow.yaml", "--target", engine], { cwd: dir });
      expect(ok.code, ok.stderr).toBe(0);
      const src = schemasOf(engine).source;
      const read = () => query(engine, `SELECT id, CAST(day AS VARCHAR) AS day FROM ${src}.events ORDER BY id`);
      const before = await read();
      expect(before).toEqual([
        { id: "a", day: "2020-01-05" },
        { id: "b", day: "1850-12-31" },
        { id: "c", day: "2150-02-28" },
        { id: "d", day: null },
      ]);
      for (const bad of ["20100330", "2020-01-05junk", "20-1-5", "2020-1-5"]) {
        write(["a,2020-01-05", `x,${bad}`]);
        const r = runCli(["run", "workflow.yaml", "--target", engine], { cwd: dir });
        expect(r.code, bad).toBe(1);
        expect(r.stderr).toContain(
          `LOAD_BAD_DATE: ${path.join(dir, "data/events.csv")} row 2 (data rows counted from 1, after the header), column day: "${bad}" is not an ISO date (YYYY-MM-DD, a day of the calendar); give the load a date_format if the file writes dates another way`,
        );
        expect(await read()).toEqual(before);
      }
    });
  }
});
