import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { fixturesDir } from "../helpers/paths.js";
import { dropPgSchemas, ENGINES, engineSchemas, queryEngine, writeTwoEngineConfig, type EngineName } from "../helpers/two-engines.js";

/**
 * `on_error: reject` (issue 13, "a user can choose to divert bad rows to a rejects table with counts"): a load
 * diverts each row holding a value that does not convert to `<target>_rejects` (file, data row, column, value,
 * reason: one row per bad value) and loads the others; the run prints and records the count. The same rows on
 * DuckDB and PostgreSQL; the rows are numbered as LOAD_BAD_VALUE numbers them; a re-run replaces the rejects of the
 * previous run (re-run equals fresh run). Fixture: test/fixtures/loads/rejects (claims.csv: rows 2, 3 and 5 bad, row
 * 4 a quoted field over two lines; claims_2.csv: row 1 bad), copied to a folder the PostgreSQL server can read.
 */
const stamp = `${process.pid}_${Date.now().toString(36)}`;
const dirs: { main: string; fresh: string } = { main: "", fresh: "" };
const prefixOf = (which: "main" | "fresh") => `lrej_${which}_${stamp}`;

function setUp(which: "main" | "fresh"): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `omopetl-lrej-${which}-`));
  cpSync(path.join(fixturesDir, "loads/rejects"), dir, { recursive: true });
  chmodSync(dir, 0o755); // the PostgreSQL server reads the files itself, as its own user
  chmodSync(path.join(dir, "data"), 0o755);
  writeTwoEngineConfig(dir, prefixOf(which));
  return dir;
}

beforeAll(() => {
  dirs.main = setUp("main");
  dirs.fresh = setUp("fresh");
});

afterAll(async () => {
  await dropPgSchemas(dirs.main, prefixOf("main"));
  await dropPgSchemas(dirs.fresh, prefixOf("fresh"));
});

const source = (which: "main" | "fresh", engine: EngineName) => engineSchemas(prefixOf(which), engine).source;

async function loaded(which: "main" | "fresh", engine: EngineName): Promise<Record<string, unknown>[]> {
  return queryEngine(dirs[which], engine, `SELECT CAST(id AS VARCHAR) AS id, code, amount, CAST(day AS VARCHAR) AS day FROM ${source(which, engine)}.claims ORDER BY id`);
}

/** The rejects table, its file names relative to the data folder (the folders differ per test run). */
async function rejects(which: "main" | "fresh", engine: EngineName): Promise<Record<string, unknown>[]> {
  const rows = await queryEngine(
    dirs[which],
    engine,
    `SELECT file, CAST("row" AS VARCHAR) AS "row", "column", value, reason FROM ${source(which, engine)}.claims_rejects ORDER BY file, "row", "column"`,
  );
  const data = path.join(dirs[which], "data") + path.sep;
  return rows.map((r) => ({ ...r, file: String(r.file).replace(data, "") }));
}

const INTEGER = "is not an integer (-2147483648 to 2147483647)";
const FLOAT = "is not a decimal number (digits, a point, an optional exponent) within the range of a double";
const DATE = "is not an ISO date (YYYY-MM-DD, a day of the calendar); give the load a date_format if the file writes dates another way";
const VARCHAR5 = "is longer than 5 characters (value too long for type character varying(5))";

describe("on_error: reject diverts bad rows to a rejects table", () => {
  for (const engine of ENGINES) {
    it(`${engine}: good rows load, each bad value is a row of src.claims_rejects, counted in the output, metrics and ledger`, async () => {
      const r = runCli(["run", "workflow.yaml", "--target", engine, "--metrics-out", `metrics-${engine}.json`], { cwd: dirs.main });
      expect(r.code, r.stderr).toBe(0);
      const table = `${source("main", engine)}.claims_rejects`;
      expect(r.stderr).toContain("claims  8 read · 4 inserted · 4 not written (rejected: 4)");
      expect(r.stderr).toContain(`4 rows rejected -> ${table} (5 values)`);
      expect(await loaded("main", engine)).toEqual([
        { id: "1", code: "A", amount: 1.5, day: "2001-01-01" },
        { id: "4", code: "a\nb", amount: 3, day: "2001-01-04" },
        { id: "6", code: "E", amount: null, day: null },
        { id: "8", code: "G", amount: 8, day: "2001-01-08" },
      ]);
      // Row 5 is on line 7 of the file: row 4 has a quoted field over two lines (rows are data rows, as in LOAD_BAD_VALUE).
      expect(await rejects("main", engine)).toEqual([
        { file: "claims.csv", row: "2", column: "amount", value: "x", reason: FLOAT },
        { file: "claims.csv", row: "3", column: "day", value: "2001-02-30", reason: DATE },
        { file: "claims.csv", row: "5", column: "code", value: "DDDDDDD", reason: VARCHAR5 },
        { file: "claims.csv", row: "5", column: "id", value: "five", reason: INTEGER },
        { file: "claims_2.csv", row: "1", column: "amount", value: "1e400", reason: FLOAT },
      ]);
      const metrics = JSON.parse(readFileSync(path.join(dirs.main, `metrics-${engine}.json`), "utf8")) as { steps: { name: string; rows: Record<string, unknown> }[] };
      const step = metrics.steps.find((s) => s.name === "claims")!;
      expect(step.rows).toMatchObject({ read: 8, affected: 4, notWritten: [{ reason: "rejected", rows: 4 }], rejected: { rows: 4, values: 5, table } });
      const stage = engineSchemas(prefixOf("main"), engine).staging;
      const ledger = await queryEngine(
        dirs.main,
        engine,
        `SELECT effect, reason, CAST("rows" AS INTEGER) AS n FROM ${stage}.omopetl_step_rows WHERE step_name = 'claims' AND run_id = (SELECT max(run_id) FROM ${stage}.omopetl_step_run)`,
      );
      expect(ledger).toEqual([{ effect: "not_written", reason: "rejected", n: 4 }]);
    });
  }

  it("the same rows and rejects on DuckDB and PostgreSQL", async () => {
    expect(await loaded("main", "pg")).toEqual(await loaded("main", "duckdb"));
    expect(await rejects("main", "pg")).toEqual(await rejects("main", "duckdb"));
  });

  it("rows are numbered as LOAD_BAD_VALUE numbers them: without on_error the first bad row fails the load", () => {
    const dml = path.join(dirs.fresh, "dml/claims.yaml");
    const original = readFileSync(dml, "utf8");
    writeFileSync(dml, original.replace("on_error: reject\n", ""));
    try {
      for (const engine of ENGINES) {
        const r = runCli(["run", "workflow.yaml", "--target", engine], { cwd: dirs.fresh });
        expect(r.code).toBe(1);
        expect(r.stderr).toContain(`LOAD_BAD_VALUE: ${path.join(dirs.fresh, "data", "claims.csv")} row 2 (data rows counted from 1, after the header), column amount: "x" ${FLOAT}`);
        expect(r.stderr).toContain("or set on_error: reject on the load to divert bad rows to a rejects table");
      }
    } finally {
      writeFileSync(dml, original);
    }
  });

  for (const engine of ENGINES) {
    it(`${engine}: a re-run replaces the previous run's rejects, and equals a fresh run`, async () => {
      // Other rows are bad now: row 2 of claims.csv converts, row 3 has another bad date, claims_2.csv is gone.
      writeFileSync(path.join(dirs.main, "data/claims.csv"), "id,code,amount,day\n1,A,1.5,2001-01-01\n2,B,2,2001-01-02\n3,C,2,2001-13-01\n");
      rmSync(path.join(dirs.main, "data/claims_2.csv"), { force: true });
      const rerun = runCli(["run", "workflow.yaml", "--target", engine], { cwd: dirs.main });
      expect(rerun.code, rerun.stderr).toBe(0);
      expect(rerun.stderr).toContain(`1 row rejected -> ${source("main", engine)}.claims_rejects`);
      cpSync(path.join(dirs.main, "data"), path.join(dirs.fresh, "data"), { recursive: true });
      rmSync(path.join(dirs.fresh, "data/claims_2.csv"), { force: true });
      const fresh = runCli(["run", "workflow.yaml", "--target", engine], { cwd: dirs.fresh });
      expect(fresh.code, fresh.stderr).toBe(0);
      expect(await rejects("main", engine)).toEqual([{ file: "claims.csv", row: "3", column: "day", value: "2001-13-01", reason: DATE }]);
      expect(await rejects("main", engine)).toEqual(await rejects("fresh", engine));
      expect(await loaded("main", engine)).toEqual(await loaded("fresh", engine));

      // No bad value: the rejects table is emptied, not left with the previous run's rows.
      writeFileSync(path.join(dirs.main, "data/claims.csv"), "id,code,amount,day\n1,A,1.5,2001-01-01\n");
      const clean = runCli(["run", "workflow.yaml", "--target", engine], { cwd: dirs.main });
      expect(clean.code, clean.stderr).toBe(0);
      expect(clean.stderr).toContain(`0 rows rejected -> ${source("main", engine)}.claims_rejects`);
      expect(await rejects("main", engine)).toEqual([]);
      expect(await loaded("main", engine)).toEqual([{ id: "1", code: "A", amount: 1.5, day: "2001-01-01" }]);
    });
  }
});
