import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { dropPgSchemas, ENGINES, engineSchemas, queryEngine, writeTwoEngineConfig, type EngineName } from "../helpers/two-engines.js";

/**
 * Runtime errors located (issue 13, item 9): when a transform fails on a value — NULL for a NOT NULL column, a string
 * that is not an integer, a date that does not exist — the CLI names the step, the DML file:line:col of the failing
 * column's expression, the union branch, and one source row it fails for, found by re-running the select piece by
 * piece. The engines word their errors differently; the located lines are the same on both. Exit 1, nothing written.
 */
const prefix = `loc_${process.pid}_${Date.now().toString(36)}`;
let dir: string;

// c4's visit does not exist; c2's flag is not a number; c1's day does not exist in April.
const CHARGES = ["id,kind,visit,flag,y,m,d", "c1,drug,v1,1,2008,4,31", "c2,drug,v2,Y,2008,5,1", "c3,proc,v1,1,2009,1,1", "c4,proc,v9,0,2010,2,2", ""].join("\n");
const VISITS = ["id,num", "v1,101", "v2,102", ""].join("\n");

/** One branch of the cost step: the charges of one kind, their visit's number as the event. */
const costBranch = (kind: string) =>
  [
    `  - from: source.charges AS c`,
    `    joins:`,
    `      - { table: source.visits, as: v, on: v.id = c.visit, type: left }`,
    `    where: c.kind = '${kind}'`,
    `    ids:`,
    `      cost_id: { source_key: [c.id] }`,
    `    columns:`,
    `      cost_event_id: v.num`,
    `      cost_domain_id: "'${kind === "drug" ? "Drug" : "Procedure"}'"`,
    `      cost_type_concept_id: "32817"`,
  ].join("\n");

const FILES: Record<string, string> = {
  "dml/cdm_tables.yaml": "kind: ddl\npart: tables\ntables: [cost]\n",
  "dml/charges.yaml": "kind: load\ntarget: source.charges\nfiles: ../data/charges.csv\ncolumns: { id: varchar, kind: varchar, visit: varchar, flag: varchar, y: integer, m: integer, d: integer }\n",
  "dml/visits.yaml": "kind: load\ntarget: source.visits\nfiles: ../data/visits.csv\ncolumns: { id: varchar, num: integer }\n",
  "dml/cost.yaml": ["kind: transform", "target: cdm.cost", "mode: replace", "union_all:", costBranch("drug"), costBranch("proc"), ""].join("\n"),
  "dml/flags.yaml": ["kind: transform", "target: staging.flags", "mode: rebuild", "from: source.charges AS c", "columns:", "  id: c.id", "  flag: CAST(c.flag AS integer)", ""].join("\n"),
  "dml/dates.yaml": ["kind: transform", "target: staging.dates", "mode: rebuild", "from: source.charges AS c", "columns:", "  id: c.id", "  day: make_date(c.y, c.m, c.d)", ""].join("\n"),
};

/** The failing step of each workflow, and the lines every engine must print under its error. */
const CASES = {
  cost: {
    table: "cdm.cost",
    located: ["at dml/cost.yaml:22:22: column cost_event_id (union branch 2) is NULL, and cdm.cost.cost_event_id is NOT NULL", "a source row it fails for: v.num = NULL, c.visit = 'v9'"],
  },
  flags: {
    table: "staging.flags",
    located: ["at dml/flags.yaml:7:9: column flag cannot be computed for every row", "a source row it fails for: c.flag = 'Y'"],
  },
  dates: {
    table: "staging.dates",
    located: ["at dml/dates.yaml:7:8: column day cannot be computed for every row", "a source row it fails for: c.y = 2008, c.m = 4, c.d = 31"],
  },
} as const;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "omopetl-loc-"));
  chmodSync(dir, 0o755); // the PostgreSQL server reads the files itself, as its own user
  mkdirSync(path.join(dir, "dml"));
  mkdirSync(path.join(dir, "data"));
  writeFileSync(path.join(dir, "data/charges.csv"), CHARGES);
  writeFileSync(path.join(dir, "data/visits.csv"), VISITS);
  for (const [f, text] of Object.entries(FILES)) writeFileSync(path.join(dir, f), text);
  for (const step of Object.keys(CASES)) {
    const steps = ["cdm_tables", "charges", "visits", step].map((s) => `  - dml: dml/${s}.yaml\n`);
    writeFileSync(path.join(dir, `${step}.yaml`), `name: ${step}_fails\ncdm_version: "5.4"\nsteps:\n${steps.join("")}`);
  }
  writeTwoEngineConfig(dir, prefix);
});

afterAll(() => dropPgSchemas(dir, prefix));

/** The lines under a failed step's error that locate it (indented, in the text output). */
const locatedLines = (stderr: string) =>
  stderr
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.startsWith("at dml/") || l.startsWith("a source row it fails for:"));

describe("a transform failing on a value names the column's file:line:col, the union branch and a source row", () => {
  const printed: Partial<Record<EngineName, Record<string, string[]>>> = {};
  for (const engine of ENGINES) {
    for (const [step, want] of Object.entries(CASES)) {
      it(`${engine}: ${step}`, async () => {
        const r = runCli(["run", `${step}.yaml`, "--target", engine], { cwd: dir });
        expect(r.code, r.stderr).toBe(1);
        expect(r.stderr).toMatch(new RegExp(`^✖ ${step} failed: `, "m"));
        expect(r.stderr).not.toMatch(/\n\s+at .*\.js:\d+/); // no stack trace
        expect(locatedLines(r.stderr)).toEqual(want.located);
        expect(r.stderr).toContain(`    in dml/${step}.yaml`);
        (printed[engine] ??= {})[step] = locatedLines(r.stderr);
        // The step's transaction rolled back: its table has no row.
        const schemas = engineSchemas(prefix, engine);
        const [schema, table] = want.table.split(".") as ["cdm" | "staging", string];
        const physical = schemas[schema];
        const exists = await queryEngine(dir, engine, `SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = '${physical}' AND table_name = '${table}'`);
        if (Number(exists[0]!["n"]) > 0) {
          const [{ n }] = (await queryEngine(dir, engine, `SELECT count(*) AS n FROM ${physical}.${table}`)) as [{ n: unknown }];
          expect(Number(n)).toBe(0);
        }
        // The JSON step-failure event carries it as data.
        const json = runCli(["run", `${step}.yaml`, "--target", engine, "--log-format", "json"], { cwd: dir });
        const failure = json.stdout
          .split("\n")
          .filter((l) => l.startsWith("{"))
          .map((l) => JSON.parse(l) as { type: string; located?: { file: string; line: number; column: number; target?: string } })
          .find((ev) => ev.type === "step-failure");
        const [, file, line, column] = /^at (\S+):(\d+):(\d+):/.exec(want.located[0])!;
        expect(failure?.located).toMatchObject({ file, line: Number(line), column: Number(column) });
        // The ledger keeps the located error, so status shows it too.
        const status = runCli(["status", "--target", engine, "--workflow", `${step}.yaml`, "--json"], { cwd: dir });
        const runId = (JSON.parse(status.stdout) as { runs: { runId: string }[] }).runs[0]!.runId;
        const detail = runCli(["status", runId, "--target", engine], { cwd: dir });
        expect(detail.stdout).toContain(want.located[0]);
      });
    }
  }

  it("both engines print the same located lines", () => {
    expect(printed.duckdb).toBeDefined();
    expect(printed.pg).toEqual(printed.duckdb);
  });
});
