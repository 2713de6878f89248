import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { dropPgSchemas, ENGINES, engineSchemas, queryEngine, writeTwoEngineConfig, type EngineName } from "../helpers/two-engines.js";

/**
 * Loads read dates with formats by one grammar on every engine (issue 13): a date_format / datetime_format may be a
 * list, tried in order; every value is checked before a row is written (before, a column with a date_format was not
 * checked, and the engine failed with no row: DuckDB's strptime and PostgreSQL's to_date each accepted their own
 * extras, PostgreSQL reading '2020-01-05junk' as 2020-01-05); two-digit years follow one rule (69-99 -> 19xx, 00-68
 * -> 20xx, where PostgreSQL read 69 as 2069); a format the grammar refuses is a located compile error.
 */
const prefix = `ldfmt_${process.pid}_${Date.now().toString(36)}`;
let dir: string;

const schemasOf = (engine: EngineName) => engineSchemas(prefix, engine);
const query = (engine: EngineName, sql: string) => queryEngine(dir, engine, sql);
const cli = (args: string[]) => runCli(args, { cwd: dir });

const write = (rows: string[]) => writeFileSync(path.join(dir, "data/events.csv"), ["id,day,at", ...rows, ""].join("\n"));
const writeDml = (format: string) =>
  writeFileSync(
    path.join(dir, "dml/events.yaml"),
    ["kind: load", "target: source.events", "files: ../data/events.csv", `format: ${format}`, "columns: { id: varchar, day: date, at: datetime }", ""].join("\n"),
  );

const LISTS = '{ type: csv, date_format: ["%m/%d/%Y", "%d/%m/%Y", "%Y%m%d"], datetime_format: ["%y%m%d %H:%M", "%Y-%m-%dT%H:%M:%S.%f"] }';

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "omopetl-ldfmt-"));
  chmodSync(dir, 0o755); // the PostgreSQL server reads the file itself, as its own user
  mkdirSync(path.join(dir, "dml"));
  mkdirSync(path.join(dir, "data"));
  writeFileSync(path.join(dir, "workflow.yaml"), 'name: date_formats\ncdm_version: "5.4"\nsteps:\n  - dml: dml/events.yaml\n');
  writeTwoEngineConfig(dir, prefix);
});

afterAll(() => dropPgSchemas(dir, prefix));

const GOOD = [
  "a,01/02/2020,690105 10:05", // the first date format reads it (January 2nd); %y 69 is 1969
  "b,13/02/2020,680105 7:05", // month 13: the second format (February 13th); %y 68 is 2068, a 1-digit hour
  "c,2/3/1850,000229 23:59", // 1- and 2-digit fields; %y 00 is 2000, a leap year
  "d,20200105,2020-01-05T10:00:00.5", // the third date format; the second datetime format with a fraction
  "e,,", // empty: NULL
];
const EXPECTED = [
  { id: "a", day: "2020-01-02", at: "1969-01-05 10:05:00" },
  { id: "b", day: "2020-02-13", at: "2068-01-05 07:05:00" },
  { id: "c", day: "1850-02-03", at: "2000-02-29 23:59:00" },
  { id: "d", day: "2020-01-05", at: "2020-01-05 10:00:00.5" },
  { id: "e", day: null, at: null },
];

describe("date formats: lists tried in order, one grammar on every engine", () => {
  for (const engine of ENGINES) {
    it(`${engine}: the first format that reads a value wins; values no format reads fail naming file, row, column and the formats`, async () => {
      writeDml(LISTS);
      write(GOOD);
      const ok = cli(["run", "workflow.yaml", "--target", engine]);
      expect(ok.code, ok.stderr).toBe(0);
      const src = schemasOf(engine).source;
      const read = () =>
        query(engine, `SELECT id, CAST(day AS VARCHAR) AS day, CAST("at" AS VARCHAR) AS "at" FROM ${src}.events ORDER BY id`);
      // DuckDB prints a fraction of .5 as .5, PostgreSQL too: compared as written.
      expect(await read()).toEqual(EXPECTED);
      const file = path.join(dir, "data/events.csv");
      const dayFormats = '"%m/%d/%Y", "%d/%m/%Y", "%Y%m%d"';
      const bad: [string, string, string][] = [
        ["2020-01-05", "day", `matches none of the date_format formats tried in order, ${dayFormats}`],
        ["20200230", "day", `matches none of the date_format formats tried in order, ${dayFormats}`], // not a day of the calendar
        ["13/13/2020", "day", `matches none of the date_format formats tried in order, ${dayFormats}`],
        ["01/02/2020junk", "day", `matches none of the date_format formats tried in order, ${dayFormats}`],
        ["01/02/20", "day", `matches none of the date_format formats tried in order, ${dayFormats}`], // %Y is 4 digits
        ["202015", "day", `matches none of the date_format formats tried in order, ${dayFormats}`], // %Y%m%d reads 2 digits each
        ["00000105", "day", `matches none of the date_format formats tried in order, ${dayFormats}`], // no year 0
      ];
      for (const [value, column, reason] of bad) {
        write(["a,01/02/2020,690105 10:05", column === "day" ? `x,${value},690105 10:05` : `x,01/02/2020,${value}`]);
        const r = cli(["run", "workflow.yaml", "--target", engine]);
        expect(r.code, value).toBe(1);
        expect(r.stderr, value).toContain(
          `LOAD_BAD_DATE: ${file} row 2 (data rows counted from 1, after the header), column ${column}: "${value}" ${reason} (or is not a day of the calendar or a time of the clock). Fix the value in the file`,
        );
        expect(r.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
        expect(await read(), value).toEqual(EXPECTED);
      }
      for (const value of ["690105 24:00", "690105 10:60", "2020-01-05 10:00:00", "2020-01-05T10:00:00.1234567"]) {
        write([`x,01/02/2020,${value}`]);
        const r = cli(["run", "workflow.yaml", "--target", engine]);
        expect(r.code, value).toBe(1);
        expect(r.stderr, value).toContain(
          `column at: "${value}" matches none of the datetime_format formats tried in order, "%y%m%d %H:%M", "%Y-%m-%dT%H:%M:%S.%f" (or is not`,
        );
        expect(await read(), value).toEqual(EXPECTED);
      }
    });
  }

  it("one format: the message names it; PostgreSQL no longer reads trailing text, DuckDB no longer reads a 2-digit %Y", () => {
    writeDml('{ type: csv, date_format: "%Y-%m-%d", datetime_format: "%Y-%m-%d %H:%M:%S" }');
    for (const engine of ENGINES) {
      for (const value of ["2020-01-05junk", "20-1-5", " 2020-01-05"]) {
        write([`x,${value},`]);
        const r = cli(["run", "workflow.yaml", "--target", engine]);
        expect(r.code, `${engine} ${value}`).toBe(1);
        expect(r.stderr, `${engine} ${value}`).toContain(`column day: "${value}" does not match the date_format "%Y-%m-%d" (or is not a day of the calendar or a time of the clock)`);
      }
    }
  });
});

describe("date formats with on_error: reject", () => {
  for (const engine of ENGINES) {
    it(`${engine}: a value no format reads is a rejects row naming the formats tried; the others load`, async () => {
      writeDml(`${LISTS}\non_error: reject`);
      write(["a,01/02/2020,690105 10:05", "x,2020-13-45,690105 10:05", "y,01/02/2020,2020-01-05 10:00"]);
      const r = cli(["run", "workflow.yaml", "--target", engine]);
      expect(r.code, r.stderr).toBe(0);
      const src = schemasOf(engine).source;
      expect(await query(engine, `SELECT id, CAST(day AS VARCHAR) AS day FROM ${src}.events ORDER BY id`)).toEqual([{ id: "a", day: "2020-01-02" }]);
      const rejects = await query(engine, `SELECT CAST("row" AS VARCHAR) AS "row", "column", value, reason FROM ${src}.events_rejects ORDER BY "row"`);
      expect(rejects).toEqual([
        { row: "2", column: "day", value: "2020-13-45", reason: 'matches none of the date_format formats tried in order, "%m/%d/%Y", "%d/%m/%Y", "%Y%m%d" (or is not a day of the calendar or a time of the clock)' },
        { row: "3", column: "at", value: "2020-01-05 10:00", reason: 'matches none of the datetime_format formats tried in order, "%y%m%d %H:%M", "%Y-%m-%dT%H:%M:%S.%f" (or is not a day of the calendar or a time of the clock)' },
      ]);
    });
  }
});

describe("INVALID_DATE_FORMAT: formats the grammar refuses are located compile errors", () => {
  const cases: [string, string][] = [
    ['{ date_format: "%Y-%m-%Q" }', 'dml/events.yaml:4:31 error INVALID_DATE_FORMAT: the date_format "%Y-%m-%Q" has "%Q", which is not a supported directive. Use %Y (year, 4 digits), %y (year, 2 digits: 69-99 are 1969-1999, 00-68 are 2000-2068), %m'],
    ['{ date_format: ["%Y%m%d", "%d/%m"] }', 'dml/events.yaml:4:36 error INVALID_DATE_FORMAT: the date_format "%d/%m" has no year (%Y or %y).'],
    ['{ datetime_format: "%Y-%m-%d %M" }', 'dml/events.yaml:4:38 error INVALID_DATE_FORMAT: the datetime_format "%Y-%m-%d %M" reads the minute without the hour. Add %H.'],
    ['{ date_format: "%Y-%m-%d %y" }', 'dml/events.yaml:4:34 error INVALID_DATE_FORMAT: the date_format "%Y-%m-%d %y" sets the year twice (%Y and %y). Keep one of them.'],
    ['{ date_format: "%Y%m%d%" }', 'dml/events.yaml:4:31 error INVALID_DATE_FORMAT: the date_format "%Y%m%d%" ends with a lone "%". Write "%%" for a percent sign.'],
  ];
  for (const [format, expected] of cases) {
    it(`${format}`, () => {
      writeDml(format);
      write(["a,2020-01-05,"]);
      const r = cli(["validate", "workflow.yaml"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(expected);
      expect(r.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
    });
  }
});
