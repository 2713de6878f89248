import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { dropPgSchemas, ENGINES, engineSchemas, queryEngine, writeTwoEngineConfig, type EngineName } from "../helpers/two-engines.js";

/**
 * A load of several tables (`kind: load` with `tables:`): one plan step replacing each table with its files, the
 * step's format the default of each table (a table overrides it field by field). The same rows on DuckDB and
 * PostgreSQL as separate loads give, a re-run equal to a fresh run, the tables replaced together (a bad value in the
 * second table leaves the first as it was), and misuse located at the entry that wrote it.
 */
const prefix = `ltb_${process.pid}_${Date.now().toString(36)}`;
let dir: string;

const PEOPLE = ["id\tborn", "1\t19800105", "2\t19911231"].join("\n");
const VISITS = ["id\tperson_id\tday", "10\t1\t05/01/2020", "11\t1\t06/01/2020", "12\t2\t31/12/2021"].join("\n");
const BAD_VISITS = ["id\tperson_id\tday", "10\t1\t05/01/2020", "11\t1\tnot a date"].join("\n");

const LOADS = `kind: load
description: the people and their visits
format: { delimiter: tab, date_format: "%Y%m%d" }
tables:
  - target: source.people
    files: ../data/people.tsv
    columns: { id: integer, born: date }
    key: [id]
  - target: source.visits
    files: ../data/visits.tsv
    format: { date_format: "%d/%m/%Y" }
    columns: { id: integer, person_id: integer, day: date }
`;

const SEPARATE_PEOPLE = `kind: load
format: { delimiter: tab, date_format: "%Y%m%d" }
target: source.people
files: ../data/people.tsv
columns: { id: integer, born: date }
key: [id]
`;
const SEPARATE_VISITS = `kind: load
format: { delimiter: tab, date_format: "%d/%m/%Y" }
target: source.visits
files: ../data/visits.tsv
columns: { id: integer, person_id: integer, day: date }
`;

const JOINED = `kind: transform
target: staging.person_visits
mode: rebuild
from: source.visits AS v
joins:
  - { table: source.people, as: p, on: p.id = v.person_id }
columns:
  visit_id: v.id
  person_id: p.id
  born: p.born
  day: v.day
`;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "omopetl-ltb-"));
  chmodSync(dir, 0o755); // the PostgreSQL server reads the files itself, as its own user
  mkdirSync(path.join(dir, "dml"));
  mkdirSync(path.join(dir, "data"));
  writeFileSync(path.join(dir, "data/people.tsv"), PEOPLE);
  writeFileSync(path.join(dir, "data/visits.tsv"), VISITS);
  writeFileSync(path.join(dir, "dml/joined.yaml"), JOINED);
  writeFileSync(path.join(dir, "dml/people.yaml"), SEPARATE_PEOPLE);
  writeFileSync(path.join(dir, "dml/visits.yaml"), SEPARATE_VISITS);
  writeFileSync(path.join(dir, "dml/sources.yaml"), LOADS);
  writeFileSync(path.join(dir, "one-step.yaml"), 'name: ltb\ncdm_version: "5.4"\nsteps:\n  - dml: dml/sources.yaml\n  - dml: dml/joined.yaml\n');
  writeFileSync(path.join(dir, "two-steps.yaml"), 'name: ltb\ncdm_version: "5.4"\nsteps:\n  - dml: dml/people.yaml\n  - dml: dml/visits.yaml\n  - dml: dml/joined.yaml\n');
  writeTwoEngineConfig(dir, prefix);
});

afterAll(() => dropPgSchemas(dir, prefix));

const cli = (args: string[]) => runCli(args, { cwd: dir });
const query = (engine: EngineName, sql: string) => queryEngine(dir, engine, sql);

const EXPECTED = [
  { visit_id: 10, person_id: 1, born: "1980-01-05", day: "2020-01-05" },
  { visit_id: 11, person_id: 1, born: "1980-01-05", day: "2020-01-06" },
  { visit_id: 12, person_id: 2, born: "1991-12-31", day: "2021-12-31" },
];

async function joined(engine: EngineName) {
  const s = engineSchemas(prefix, engine);
  const rows = await query(engine, `SELECT * FROM ${s.staging}.person_visits ORDER BY visit_id`);
  return rows.map((r) => ({ visit_id: Number(r["visit_id"]), person_id: Number(r["person_id"]), born: String(r["born"]).slice(0, 10), day: String(r["day"]).slice(0, 10) }));
}

describe("a load of several tables", () => {
  it("compiles to one load step writing both tables, each with the step's format under its own", () => {
    const r = cli(["compile", "one-step.yaml", "-o", "plan.json"]);
    expect(r.code, r.stderr).toBe(0);
    const plan = JSON.parse(readFileSync(path.join(dir, "plan.json"), "utf8")) as { steps: { name: string; kind: string; writes: unknown; body: { kind: string; loads: { target: unknown; format: { delimiter: string; dateFormat: string } }[] } }[] };
    const step = plan.steps.find((s) => s.name === "sources")!;
    expect(step.kind).toBe("load");
    expect(step.writes).toEqual([{ schema: "source", name: "people" }, { schema: "source", name: "visits" }]);
    expect(step.body.kind).toBe("loads");
    expect(step.body.loads.map((l) => [l.target, l.format.delimiter, l.format.dateFormat])).toEqual([
      [{ schema: "source", name: "people" }, "\t", "%Y%m%d"],
      [{ schema: "source", name: "visits" }, "\t", "%d/%m/%Y"],
    ]);
    expect(plan.steps.find((s) => s.name === "joined")).toMatchObject({ dependsOn: ["sources"] });
  });

  const tables: Partial<Record<EngineName, unknown>> = {};
  for (const engine of ENGINES) {
    it(`${engine}: the same rows as two load steps, the step's count the sum of both, a re-run equal to a fresh run`, async () => {
      writeFileSync(path.join(dir, "data/visits.tsv"), VISITS);
      const separate = cli(["run", "two-steps.yaml", "--target", engine]);
      expect(separate.code, separate.stderr).toBe(0);
      const before = await joined(engine);
      expect(before).toEqual(EXPECTED);
      const first = cli(["run", "one-step.yaml", "--target", engine]);
      expect(first.code, first.stderr).toBe(0);
      // 2 people + 3 visits, reported as the step's result.
      expect(first.stdout + first.stderr).toMatch(/sources\b.*\b5 inserted/);
      expect(await joined(engine)).toEqual(before);
      const again = cli(["run", "one-step.yaml", "--target", engine]);
      expect(again.code, again.stderr).toBe(0);
      const s = engineSchemas(prefix, engine);
      expect(Number((await query(engine, `SELECT count(*) AS n FROM ${s.source}.people`))[0]!["n"])).toBe(2);
      expect(Number((await query(engine, `SELECT count(*) AS n FROM ${s.source}.visits`))[0]!["n"])).toBe(3);
      tables[engine] = await joined(engine);
      expect(tables[engine]).toEqual(EXPECTED);
    });

    it(`${engine}: a bad value in the second table fails the step and leaves the first table as it was`, async () => {
      const s = engineSchemas(prefix, engine);
      writeFileSync(path.join(dir, "data/people.tsv"), [...PEOPLE.split("\n"), "3\t20000101"].join("\n"));
      writeFileSync(path.join(dir, "data/visits.tsv"), BAD_VISITS);
      try {
        const r = cli(["run", "one-step.yaml", "--target", engine]);
        expect(r.code).toBe(1);
        expect(r.stderr).toContain("LOAD_BAD_VALUE");
        expect(r.stderr).toContain("not a date");
        expect(r.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
        // The people table still holds the last run's 2 rows, not the 3 of its new file.
        expect(Number((await query(engine, `SELECT count(*) AS n FROM ${s.source}.people`))[0]!["n"])).toBe(2);
        expect(Number((await query(engine, `SELECT count(*) AS n FROM ${s.source}.visits`))[0]!["n"])).toBe(3);
      } finally {
        writeFileSync(path.join(dir, "data/people.tsv"), PEOPLE);
        writeFileSync(path.join(dir, "data/visits.tsv"), VISITS);
      }
    });
  }

  it("both engines wrote the same rows", () => {
    expect(tables.pg).toBeDefined();
    expect(tables.pg).toEqual(tables.duckdb);
  });

  it("validate: misuse is located at the entry that wrote it, an inherited value at the step's field", () => {
    const bad = `kind: load
format: { delimiter: tab, date_format: "%Y%q%d" }
on_error: reject
tables:
  - target: source.people
    files: ../data/people.tsv
    columns: { id: integer, born: date }
    key: [idd]
  - target: source.people
    files: ../data/visits.tsv
    format: { datetime_format: "%Y" }
    columns: { id: integer, person_id: integer, day: date }
`;
    writeFileSync(path.join(dir, "dml/sources.yaml"), bad);
    try {
      const r = cli(["validate", "one-step.yaml"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('dml/sources.yaml:9:13 error INVALID_VALUE: invalid value for "target": "source.people" is already loaded by table 1 of this step');
      expect(r.stderr).toContain('dml/sources.yaml:3:11 error INVALID_VALUE: invalid value for "on_error": reject is for a load of one table');
      expect(r.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
      writeFileSync(path.join(dir, "dml/sources.yaml"), bad.replace("on_error: reject\n", "").replace("  - target: source.people\n    files: ../data/visits.tsv", "  - target: source.visits\n    files: ../data/visits.tsv"));
      const s = cli(["validate", "one-step.yaml"]);
      expect(s.code).toBe(1);
      // The key is the first table's (line 7); the bad date format is the step's, inherited by both tables (line 2).
      expect(s.stderr).toMatch(/dml\/sources\.yaml:7:\d+ error UNKNOWN_KEY_COLUMN: .*"idd"/);
      expect(s.stderr).toMatch(/dml\/sources\.yaml:2:\d+ error INVALID_DATE_FORMAT/);
      writeFileSync(path.join(dir, "dml/sources.yaml"), "kind: load\ntables:\n  - target: source.people\n    columns: { id: integer }\n");
      const m = cli(["validate", "one-step.yaml"]);
      expect(m.code).toBe(1);
      expect(m.stderr).toMatch(/dml\/sources\.yaml:3:\d+ error MISSING_FIELD: .*files/);
    } finally {
      writeFileSync(path.join(dir, "dml/sources.yaml"), LOADS);
    }
  });
});
