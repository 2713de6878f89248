import { chmodSync, cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { fixturesDir } from "../helpers/paths.js";
import { dropPgSchemas, ENGINES, engineSchemas, queryEngine, writeTwoEngineConfig, type EngineName } from "../helpers/two-engines.js";

/**
 * Values that do not convert to their declared type (issue 13, problem 6 and 9: `Could not convert string 'E8791' to
 * INT32`, `invalid input syntax for type integer: "Y"`, `Date out of range: 2008-4-31`, naming no file row) fail the
 * load with LOAD_BAD_VALUE naming the file, the data row and the column, the same text on DuckDB and PostgreSQL,
 * before any row is written. Both engines accept exactly the same values (DuckDB's CAST alone reads '1.5' into an
 * integer as 2 and '1e400' as infinity, PostgreSQL refuses them), so a file loads the same everywhere.
 * Fixture: test/fixtures/loads/values (copied to a temporary folder the PostgreSQL server can read).
 */
const prefix = `lval_${process.pid}_${Date.now().toString(36)}`;
let dir: string;

const schemasOf = (engine: EngineName) => engineSchemas(prefix, engine);
const query = (engine: EngineName, sql: string) => queryEngine(dir, engine, sql);
const HEADER = "id,code,note,amount,big,day,at,paid";
const GOOD = "9,Z,n,1,1,2001-01-01,2001-01-01,t";
const MULTI_LINE = '10,Z,"two\nlines",1,1,2001-01-01,2001-01-01,t';
const dataFile = (name: string) => path.join(dir, "data", name);

async function rows(engine: EngineName): Promise<Record<string, unknown>[]> {
  return query(
    engine,
    `SELECT CAST(id AS VARCHAR) AS id, code, note, amount, CAST(big AS VARCHAR) AS big, CAST(day AS VARCHAR) AS day, ` +
      `CAST("at" AS VARCHAR) AS "at", paid FROM ${schemasOf(engine).source}.claims ORDER BY id`,
  );
}

/** The LOAD_BAD_* message of a failed run's output, without what the CLI adds (the SQLSTATE, the attempt). */
const badLine = (stderr: string): string | undefined =>
  /(LOAD_BAD_(?:VALUE|DATE): .*)/.exec(stderr)?.[1]?.replace(/( \[[0-9A-Z]{5}\])? \(attempt \d+\/\d+\)$/, "");

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "omopetl-lval-"));
  cpSync(path.join(fixturesDir, "loads/values"), dir, { recursive: true });
  chmodSync(dir, 0o755); // the PostgreSQL server reads the files itself, as its own user
  chmodSync(path.join(dir, "data"), 0o755);
  writeTwoEngineConfig(dir, prefix);
});

afterAll(() => dropPgSchemas(dir, prefix));

describe("loads accept the same values on every engine", () => {
  it("the fixture's awkward but valid values load identically on DuckDB and PostgreSQL", async () => {
    const loaded: Record<string, unknown>[][] = [];
    for (const engine of ENGINES) {
      const r = runCli(["run", "workflow.yaml", "--target", engine], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      loaded.push(await rows(engine));
    }
    expect(loaded[0]).toEqual([
      { id: "-2147483648", code: "E8791", note: "x", amount: 1500, big: "0", day: "2150-02-28", at: "2019-02-17 00:00:00", paid: true },
      { id: "1", code: "A1", note: "a note\nover two lines", amount: 12.5, big: "9223372036854775807", day: "2000-02-29", at: "2019-02-17 05:07:38", paid: true },
      { id: "2", code: null, note: "", amount: 0.5, big: "-9223372036854775808", day: "1850-12-31", at: "2019-02-17 05:07:00", paid: false },
      { id: "2147483647", code: "ABCDE", note: "y", amount: -0.0004, big: "7", day: null, at: null, paid: false },
      { id: "3", code: "B", note: "z", amount: 1e-300, big: "-1", day: "2024-12-31", at: "2024-12-31 23:59:59.123456", paid: false },
    ]);
    expect(loaded[1]).toEqual(loaded[0]);
  });

  // Each value is refused on both engines, with the same message, and the table keeps its rows.
  const BAD: { column: number; value: string; reason: string }[] = [
    { column: 0, value: "E8791", reason: "is not an integer (-2147483648 to 2147483647)" },
    { column: 0, value: "1.5", reason: "is not an integer" },
    { column: 0, value: "0x10", reason: "is not an integer" },
    { column: 0, value: "2147483648", reason: "is not an integer" },
    { column: 4, value: "9223372036854775808", reason: "is not a bigint" },
    { column: 3, value: "1e400", reason: "is not a decimal number" },
    { column: 3, value: "1e-400", reason: "is not a decimal number" },
    { column: 1, value: "ABCDEF", reason: "is longer than 5 characters (value too long for type character varying(5))" },
    { column: 5, value: "2008-4-31", reason: "is not an ISO date (YYYY-MM-DD, a day of the calendar)" },
    { column: 5, value: "2008-04-31", reason: "is not an ISO date (YYYY-MM-DD, a day of the calendar)" },
    { column: 5, value: "1900-02-29", reason: "is not an ISO date" },
    { column: 6, value: "2019-02-17T24:00:00", reason: "is not an ISO datetime" },
    { column: 6, value: "2019-02-17T05:07:38+02", reason: "is not an ISO datetime" },
    { column: 7, value: "maybe", reason: "is not a boolean" },
  ];
  const names = HEADER.split(",");
  for (const { column, value, reason } of BAD) {
    it(`${names[column]} = ${JSON.stringify(value)}: LOAD_BAD_* naming the file, row 3 and the column on both engines, nothing written`, async () => {
      const messages: string[] = [];
      for (const engine of ENGINES) {
        const before = await rows(engine); // the fixture's rows, loaded by the first test
        const fields = GOOD.split(",");
        fields[column] = value;
        // Row 3 is on lines 5-6 of the file: row 2 has a quoted field over two lines.
        writeFileSync(dataFile("claims.csv"), `${HEADER}\n${GOOD}\n${MULTI_LINE}\n${fields.join(",")}\n${GOOD}\n`);
        const r = runCli(["run", "workflow.yaml", "--target", engine], { cwd: dir });
        expect(r.code, r.stdout).toBe(1);
        const line = badLine(r.stderr);
        expect(line, r.stderr).toBeDefined();
        expect(line).toContain(
          `${dataFile("claims.csv")} row 3 (data rows counted from 1, after the header), column ${names[column]}: "${value}" ${reason}`,
        );
        expect(line).toContain("Fix the value in the file, or declare the column varchar and convert it in a transform");
        expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
        expect(await rows(engine)).toEqual(before);
        messages.push(line!);
      }
      expect(messages[1]).toBe(messages[0]);
    });
  }

  it("a field spanning lines counts as one row", async () => {
    const messages: string[] = [];
    for (const engine of ENGINES) {
      writeFileSync(dataFile("claims.csv"), `${HEADER}\n${GOOD}\n"multi\nline",,,,,,,\n`);
      const r = runCli(["run", "workflow.yaml", "--target", engine], { cwd: dir });
      expect(r.code, r.stderr).toBe(1);
      messages.push(badLine(r.stderr)!);
    }
    expect(messages[0]).toContain(`claims.csv row 2 (data rows counted from 1, after the header), column id: "multi\\nline" is not an integer`);
    expect(messages[1]).toBe(messages[0]);
  });

  it("row numbers count each file's data rows, in a long file (parallel scan) and in the second of two files", async () => {
    const lines = [HEADER];
    for (let i = 0; i < 300_000; i++) lines.push(`${i},C,n,1.5,1,2001-01-01,2001-01-01,t`);
    lines[250_001] = "250000,C,n,1.5,1,2001-01-01,2001-01-01,perhaps";
    writeFileSync(dataFile("claims.csv"), `${lines.join("\n")}\n`);
    writeFileSync(dataFile("claims_2.csv"), `${HEADER}\n${GOOD}\n`);
    const messages: string[] = [];
    for (const engine of ENGINES) {
      const r = runCli(["run", "workflow.yaml", "--target", engine], { cwd: dir });
      expect(r.code).toBe(1);
      messages.push(badLine(r.stderr)!);
    }
    expect(messages[0]).toContain(`${dataFile("claims.csv")} row 250001 (data rows counted from 1, after the header), column paid: "perhaps" is not a boolean`);
    expect(messages[1]).toBe(messages[0]);

    writeFileSync(dataFile("claims.csv"), `${HEADER}\n${GOOD}\n${GOOD}\n${GOOD}\n`);
    writeFileSync(dataFile("claims_2.csv"), `${HEADER}\n${GOOD}\n9,Z,n,1,1,2001-13-01,2001-01-01,t\n`);
    messages.length = 0;
    for (const engine of ENGINES) {
      const r = runCli(["run", "workflow.yaml", "--target", engine], { cwd: dir });
      expect(r.code).toBe(1);
      messages.push(badLine(r.stderr)!);
    }
    expect(messages[0]).toContain(`LOAD_BAD_DATE: ${dataFile("claims_2.csv")} row 2 (data rows counted from 1, after the header), column day: "2001-13-01"`);
    expect(messages[1]).toBe(messages[0]);
    rmSync(dataFile("claims_2.csv"));
  });
});
