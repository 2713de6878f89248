import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { dropPgSchemas, ENGINES, engineSchemas, queryEngine, writeTwoEngineConfig, type EngineName } from "../helpers/two-engines.js";

/**
 * Parsing in transforms is as strict on every engine (issue 13): CAST(text AS date/datetime) accepts the ISO grammar
 * of loads (an ISO datetime's time dropped for a date, as the Synthea workflow needs) and to_date/to_timestamp the
 * grammar of load date formats. Before, DuckDB's CAST read '2020-01-05junk' as 2020-01-05 and PostgreSQL's read
 * '20200105'; PostgreSQL's to_date read '2020-01-05junk' with '%Y-%m-%d' and '69' of '%y' as 2069. Now the same rows
 * on both engines, or the same failure, located at the same column and source row.
 */
const prefix = `tdate_${process.pid}_${Date.now().toString(36)}`;
let dir: string;

const write = (rows: string[]) => writeFileSync(path.join(dir, "data/events.csv"), ["id,iso,ymd", ...rows, ""].join("\n"));

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "omopetl-tdate-"));
  chmodSync(dir, 0o755); // the PostgreSQL server reads the file itself, as its own user
  mkdirSync(path.join(dir, "dml"));
  mkdirSync(path.join(dir, "data"));
  writeFileSync(path.join(dir, "workflow.yaml"), 'name: tdates\ncdm_version: "5.4"\nsteps:\n  - dml: dml/events.yaml\n  - dml: dml/parsed.yaml\n');
  writeFileSync(path.join(dir, "dml/events.yaml"), "kind: load\ntarget: source.events\nfiles: ../data/events.csv\ncolumns: { id: varchar, iso: varchar, ymd: varchar }\n");
  writeFileSync(
    path.join(dir, "dml/parsed.yaml"),
    [
      "kind: transform",
      "target: staging.parsed",
      "mode: rebuild",
      "from: source.events AS e",
      "columns:",
      "  id: e.id",
      "  day: CAST(e.iso AS date)",
      "  at: CAST(e.iso AS datetime)",
      "  ymd: to_date(e.ymd, '%y%m%d')",
      "",
    ].join("\n"),
  );
  writeTwoEngineConfig(dir, prefix);
});

afterAll(() => dropPgSchemas(dir, prefix));

const located = (stderr: string) =>
  stderr
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.startsWith("at dml/") || l.startsWith("a source row it fails for:"));

describe("casts and to_date read text by one grammar on every engine", () => {
  const failures: Partial<Record<EngineName, string[][]>> = {};
  for (const engine of ENGINES) {
    it(`${engine}: ISO dates and datetimes, %y by the POSIX rule; other text fails with the same located lines`, async () => {
      write(["a,2019-02-17T05:07:38Z,690105", "b,2020-02-29,680105", "c,1850-03-01 10:30,000229", "d,,"]);
      const ok = runCli(["run", "workflow.yaml", "--target", engine], { cwd: dir });
      expect(ok.code, ok.stderr).toBe(0);
      const stage = engineSchemas(prefix, engine).staging;
      const rows = await queryEngine(
        dir,
        engine,
        `SELECT id, CAST(day AS VARCHAR) AS day, CAST("at" AS VARCHAR) AS "at", CAST(ymd AS VARCHAR) AS ymd FROM ${stage}.parsed ORDER BY id`,
      );
      expect(rows).toEqual([
        { id: "a", day: "2019-02-17", at: "2019-02-17 05:07:38", ymd: "1969-01-05" },
        { id: "b", day: "2020-02-29", at: "2020-02-29 00:00:00", ymd: "2068-01-05" },
        { id: "c", day: "1850-03-01", at: "1850-03-01 10:30:00", ymd: "2000-02-29" },
        { id: "d", day: null, at: null, ymd: null },
      ]);
      const seen: string[][] = [];
      for (const [row, message] of [
        ["x,2020-01-05junk,690105", 'invalid input syntax for type date: "2020-01-05junk"'], // DuckDB read 2020-01-05
        ["x,20200105,690105", 'invalid input syntax for type date: "20200105"'], // PostgreSQL read 2020-01-05
        ["x,2020-01-05,69015", 'to_date: "69015" does not match the format "%y%m%d"'], // compact fields at full width
        ["x,2020-01-05,690230", 'to_date: "690230" does not match the format "%y%m%d"'], // no such day
      ] as const) {
        write(["a,2019-02-17T05:07:38Z,690105", row]);
        const r = runCli(["run", "workflow.yaml", "--target", engine], { cwd: dir });
        expect(r.code, row).toBe(1);
        expect(r.stderr, row).toContain(message);
        expect(r.stderr).not.toMatch(/\n\s+at .*\.js:\d+/); // no stack trace
        seen.push(located(r.stderr));
      }
      expect(seen[0]).toEqual(["at dml/parsed.yaml:7:8: column day cannot be computed for every row", "a source row it fails for: e.iso = '2020-01-05junk'"]);
      expect(seen[2]).toEqual(["at dml/parsed.yaml:9:8: column ymd cannot be computed for every row", "a source row it fails for: e.ymd = '69015'"]);
      failures[engine] = seen;
    });
  }

  it("both engines print the same located lines", () => {
    expect(failures.duckdb).toBeDefined();
    expect(failures.pg).toEqual(failures.duckdb);
  });
});

describe("INVALID_DATE_FORMAT in expressions", () => {
  it("a to_date format the grammar refuses is located at the format", () => {
    writeFileSync(
      path.join(dir, "dml/parsed.yaml"),
      ["kind: transform", "target: staging.parsed", "mode: rebuild", "from: source.events AS e", "columns:", "  id: e.id", "  ymd: to_date(e.ymd, '%Y%j')", ""].join("\n"),
    );
    const r = runCli(["validate", "workflow.yaml"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('dml/parsed.yaml:7:23 error INVALID_DATE_FORMAT: the format of to_date() "%Y%j" has "%j", which is not a supported directive.');
  });
});
