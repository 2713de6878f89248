import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { dropPgSchemas, ENGINES, engineSchemas, queryEngine, writeTwoEngineConfig, type EngineName } from "../helpers/two-engines.js";

/**
 * Exact values on every engine (issue 13, problem 1): CDM float columns were NUMERIC, which DuckDB reads as
 * DECIMAL(18,3), so 0.0167 was stored as 0.017 and 0.0004 as 0.000 while PostgreSQL kept them. Awkward values are
 * loaded from a file and transformed into cdm.measurement on DuckDB and PostgreSQL; every value is compared with
 * what it must be and between the engines. A database made by an older omopetl (a NUMERIC float column) is refused
 * by the ddl step with the statement that migrates it, on both engines.
 */
const prefix = `exv_${process.pid}_${Date.now().toString(36)}`;
const engines = ENGINES;
let dir: string;

const longText = "z".repeat(50); // measurement.value_source_value is varchar(50)
const CSV = [
  "id,v,s,d",
  "a,0.0004,x,1850-03-01",
  "b,1e-9,,2150-12-31",
  `c,123456789.123456,${longText},2020-02-29`,
  'd,-0.5,"",1900-01-01',
  "e,0.0167,y,2000-01-01",
  "f,0.33333333333333331,é,1899-12-31",
  "",
].join("\n");

/** What every engine must store: value_as_number verbatim, range_low = v / 3 in IEEE doubles, range_high = round(v, 5). */
const EXPECTED = [
  { id: 1, date: "1850-03-01", v: 0.0004, low: 0.0004 / 3, high: 0.0004, s: "x" },
  { id: 2, date: "2150-12-31", v: 1e-9, low: 1e-9 / 3, high: 0, s: null },
  { id: 3, date: "2020-02-29", v: 123456789.123456, low: 123456789.123456 / 3, high: 123456789.12346, s: longText },
  { id: 4, date: "1900-01-01", v: -0.5, low: -0.5 / 3, high: -0.5, s: "" },
  { id: 5, date: "2000-01-01", v: 0.0167, low: 0.0167 / 3, high: 0.0167, s: "y" },
  { id: 6, date: "1899-12-31", v: 0.3333333333333333, low: 0.3333333333333333 / 3, high: 0.33333, s: "é" },
];

const schemasOf = (engine: EngineName) => engineSchemas(prefix, engine);
const query = (engine: EngineName, sql: string) => queryEngine(dir, engine, sql);

async function measurements(engine: EngineName): Promise<Record<string, unknown>[]> {
  const cdm = schemasOf(engine).cdm;
  return query(
    engine,
    `SELECT measurement_id AS id, measurement_date AS date, value_as_number AS v, range_low AS low, range_high AS high, ` +
      `value_source_value AS s FROM ${cdm}.measurement ORDER BY measurement_id`,
  );
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "omopetl-exv-"));
  chmodSync(dir, 0o755); // the PostgreSQL server reads the file itself, as its own user
  mkdirSync(path.join(dir, "dml"));
  mkdirSync(path.join(dir, "data"));
  writeFileSync(path.join(dir, "data/awkward.csv"), CSV);
  writeFileSync(
    path.join(dir, "workflow.yaml"),
    'name: exact\ncdm_version: "5.4"\nsteps:\n  - dml: dml/cdm_tables.yaml\n  - dml: dml/awkward.yaml\n  - dml: dml/measurement.yaml\n',
  );
  writeFileSync(path.join(dir, "dml/cdm_tables.yaml"), "kind: ddl\npart: tables\ntables: [measurement]\n");
  writeFileSync(
    path.join(dir, "dml/awkward.yaml"),
    "kind: load\ntarget: source.awkward\nfiles: ../data/awkward.csv\ncolumns: { id: varchar, v: float, s: varchar, d: date }\n",
  );
  writeFileSync(
    path.join(dir, "dml/measurement.yaml"),
    [
      "kind: transform",
      "target: cdm.measurement",
      "mode: replace",
      "from: source.awkward AS a",
      "ids:",
      "  measurement_id: { source_key: [a.id] }",
      "columns:",
      '  person_id: "1"',
      '  measurement_concept_id: "0"',
      "  measurement_date: a.d",
      '  measurement_type_concept_id: "32817"',
      "  value_as_number: a.v",
      "  range_low: a.v / 3",
      "  range_high: ROUND(a.v, 5)",
      "  value_source_value: a.s",
      "",
    ].join("\n"),
  );
  writeTwoEngineConfig(dir, prefix);
});

afterAll(() => dropPgSchemas(dir, prefix));

const cli = (args: string[]) => runCli(args, { cwd: dir });

describe("exact values on every engine", () => {
  const stored: Partial<Record<EngineName, Record<string, unknown>[]>> = {};

  for (const engine of engines) {
    it(`${engine}: CDM float columns keep every digit, dates outside 1900..2100 and '' vs NULL round-trip`, async () => {
      const r = cli(["run", "workflow.yaml", "--target", engine]);
      expect(r.code, r.stderr).toBe(0);
      const rows = await measurements(engine);
      expect(rows).toEqual(EXPECTED);
      stored[engine] = rows;
    });
  }

  it("both engines stored the same values, bit for bit", () => {
    expect(stored.duckdb).toBeDefined();
    expect(stored.pg).toEqual(stored.duckdb);
  });

  for (const engine of engines) {
    it(`${engine}: a float column made NUMERIC by an older omopetl is refused with the ALTER that migrates it`, async () => {
      const cdm = schemasOf(engine).cdm;
      await query(engine, `ALTER TABLE ${cdm}.measurement ALTER COLUMN value_as_number TYPE NUMERIC`);
      const r = cli(["run", "workflow.yaml", "--target", engine]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/cdm_tables failed: .*DDL_OUTDATED: CDM float columns of this database have an older type/);
      const alter = `ALTER TABLE ${cdm}.measurement ALTER COLUMN value_as_number TYPE DOUBLE PRECISION;`;
      expect(r.stderr).toContain(alter);
      expect(r.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);

      await query(engine, alter.slice(0, -1));
      const again = cli(["run", "workflow.yaml", "--target", engine]);
      expect(again.code, again.stderr).toBe(0);
      expect(await measurements(engine)).toEqual(EXPECTED);
    });
  }
});
