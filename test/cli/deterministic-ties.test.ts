import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { dropPgSchemas, ENGINES, engineSchemas, queryEngine, writeTwoEngineConfig, type EngineName } from "../helpers/two-engines.js";

/**
 * Ties pick the same rows on every engine (issue 13, problem 8): a `qualify row_number() ... = 1` whose ORDER BY
 * leaves rows tied (one claim, two diagnoses, same date) kept concept 260139 on DuckDB and 320128 on PostgreSQL.
 * The compiler now appends a tie-breaker — the rows' declared key, or every column the select reads, text in byte
 * order — and warns (NONDETERMINISTIC_WINDOW) when no key is declared; `--strict` makes the warning an error.
 */
const prefix = `ties_${process.pid}_${Date.now().toString(36)}`;
let dir: string;
const query = (engine: EngineName, sql: string) => queryEngine(dir, engine, sql);

/**
 * 60 claims, each with two or three diagnoses on one date, listed in the file in an order that differs from claim to
 * claim (so no engine gets the expected row by reading the file in order). Codes differ in case: byte order puts
 * 'B..' before 'a..' (a locale collation would not).
 */
function claimRows(): { claim_id: string; dx_date: string; dx_code: string; concept_id: number }[] {
  const rows: { claim_id: string; dx_date: string; dx_code: string; concept_id: number }[] = [];
  const codes = [
    ["a250", 201826],
    ["B250", 260139],
    ["c401", 320128],
  ] as const;
  for (let i = 0; i < 60; i++) {
    const n = i % 2 === 0 ? 3 : 2;
    const picked = codes.slice(0, n).map(([code, concept]) => ({ claim_id: `cl${String(i).padStart(3, "0")}`, dx_date: "2010-03-30", dx_code: code, concept_id: concept }));
    // A different order per claim: rotated by i.
    for (let k = 0; k < n; k++) rows.push(picked[(k + i) % n]!);
    // An earlier diagnosis on some claims: the ORDER BY decides those without a tie.
    if (i % 5 === 0) rows.push({ claim_id: `cl${String(i).padStart(3, "0")}`, dx_date: "2010-03-29", dx_code: "z999", concept_id: 444 });
  }
  return rows;
}

/** What every engine must keep: the earliest date, then (a tie) the smallest code in byte order ('B250' < 'a250'). */
function expected(): { claim_id: string; dx_code: string; concept_id: number }[] {
  const best = new Map<string, { claim_id: string; dx_date: string; dx_code: string; concept_id: number }>();
  const bytes = (s: string) => Buffer.from(s, "utf8");
  for (const r of claimRows()) {
    const b = best.get(r.claim_id);
    if (!b || r.dx_date < b.dx_date || (r.dx_date === b.dx_date && Buffer.compare(bytes(r.dx_code), bytes(b.dx_code)) < 0)) best.set(r.claim_id, r);
  }
  return [...best.values()].map(({ claim_id, dx_code, concept_id }) => ({ claim_id, dx_code, concept_id })).sort((a, b) => (a.claim_id < b.claim_id ? -1 : 1));
}

const FIRST_DX = [
  "kind: transform",
  "description: the first diagnosis of each claim",
  "target: staging.first_dx",
  "mode: rebuild",
  "from: source.claim_dx AS c",
  "qualify: row_number() OVER (PARTITION BY c.claim_id ORDER BY c.dx_date) = 1",
  "columns:",
  "  claim_id: c.claim_id",
  "  dx_code: c.dx_code",
  "  concept_id: c.concept_id",
  "",
].join("\n");
const LOAD = "kind: load\ntarget: source.claim_dx\nfiles: ../data/claim_dx.csv\ncolumns: { claim_id: varchar, dx_date: date, dx_code: varchar, concept_id: integer }\n";

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "omopetl-ties-"));
  chmodSync(dir, 0o755); // the PostgreSQL server reads the files itself, as its own user
  mkdirSync(path.join(dir, "dml"));
  mkdirSync(path.join(dir, "data"));
  const rows = claimRows();
  writeFileSync(path.join(dir, "data/claim_dx.csv"), ["claim_id,dx_date,dx_code,concept_id", ...rows.map((r) => `${r.claim_id},${r.dx_date},${r.dx_code},${r.concept_id}`), ""].join("\n"));
  writeFileSync(path.join(dir, "workflow.yaml"), 'name: ties\ncdm_version: "5.4"\nsteps:\n  - dml: dml/claim_dx.yaml\n  - dml: dml/first_dx.yaml\n');
  writeFileSync(path.join(dir, "dml/claim_dx.yaml"), LOAD);
  writeFileSync(path.join(dir, "dml/first_dx.yaml"), FIRST_DX);
  writeTwoEngineConfig(dir, prefix);
});

afterAll(() => dropPgSchemas(dir, prefix));

describe("windows over ties pick the same rows on every engine", () => {
  it("validate warns where the window's ORDER BY leaves rows tied and no key is declared, at file:line:col with a fix", () => {
    const r = runCli(["validate", "workflow.yaml"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      'dml/first_dx.yaml:6:10 warning NONDETERMINISTIC_WINDOW: row_number() OVER (...) in qualify depends on the order of rows its PARTITION BY/ORDER BY leave tied, and the rows of source.claim_dx have no key the compiler knows: ties are broken by the other columns the select reads (c.dx_code, c.concept_id), in byte order',
    );
    expect(r.stderr).toContain("declare key: on the step that writes source.claim_dx");
  });

  it("--strict makes the warning an error: validate, compile and run exit 1, and run writes nothing", async () => {
    const v = runCli(["validate", "workflow.yaml", "--strict"], { cwd: dir });
    expect(v.code).toBe(1);
    expect(v.stderr).toContain("dml/first_dx.yaml:6:10 error NONDETERMINISTIC_WINDOW:");
    expect(v.stderr).toContain("(a warning, made an error by --strict)");
    const c = runCli(["compile", "workflow.yaml", "--strict"], { cwd: dir });
    expect(c.code).toBe(1);
    expect(c.stdout).toBe("");
    for (const engine of ENGINES) {
      const r = runCli(["run", "workflow.yaml", "--target", engine, "--strict"], { cwd: dir });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      const s = engineSchemas(prefix, engine);
      const tables = await query(
        engine,
        `SELECT table_name FROM information_schema.tables WHERE table_schema IN ('${s.source}', '${s.staging}')`,
      );
      expect(tables, "nothing written").toEqual([]);
    }
  });

  const kept: Partial<Record<EngineName, unknown[]>> = {};
  for (const engine of ENGINES) {
    it(`${engine}: qualify keeps the earliest diagnosis, ties broken by the code in byte order`, async () => {
      const r = runCli(["run", "workflow.yaml", "--target", engine], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      const rows = await query(engine, `SELECT claim_id, dx_code, concept_id FROM ${engineSchemas(prefix, engine).staging}.first_dx ORDER BY claim_id`);
      kept[engine] = rows;
      expect(rows).toEqual(expected());
    });
  }

  it("both engines kept the same rows", () => {
    expect(kept.duckdb).toHaveLength(60);
    expect(kept.pg).toEqual(kept.duckdb);
  });

  it("a declared key is the tie-breaker: no warning, and a load whose files repeat a key fails on both engines", async () => {
    writeFileSync(path.join(dir, "dml/claim_dx.yaml"), `${LOAD}key: [claim_id, dx_code]\n`);
    const v = runCli(["validate", "workflow.yaml", "--strict"], { cwd: dir });
    expect(v.code, v.stderr).toBe(0);
    expect(v.stderr).not.toContain("NONDETERMINISTIC_WINDOW");
    const c = runCli(["compile", "workflow.yaml", "--dialect", "postgres"], { cwd: dir });
    expect(c.code, c.stderr).toBe(0);
    // The key is appended to the ORDER BY, text in byte order.
    expect(c.stdout).toContain('ORDER BY c.dx_date NULLS LAST, c.dx_code COLLATE \\"C\\" NULLS LAST)');
    for (const engine of ENGINES) {
      const r = runCli(["run", "workflow.yaml", "--target", engine], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      const rows = await query(engine, `SELECT claim_id, dx_code, concept_id FROM ${engineSchemas(prefix, engine).staging}.first_dx ORDER BY claim_id`);
      expect(rows).toEqual(expected());
    }
    const csv = path.join(dir, "data/claim_dx.csv");
    const good = readFileSync(csv, "utf8");
    writeFileSync(csv, `${good}cl007,2011-01-01,a250,201826\n`);
    try {
      for (const engine of ENGINES) {
        const s = engineSchemas(prefix, engine);
        const r = runCli(["run", "workflow.yaml", "--target", engine], { cwd: dir });
        expect(r.code).toBe(1);
        expect(r.stderr).toContain(`duplicate key in ${s.source}.claim_dx: claim_id = cl007, dx_code = a250 occurs 2 times; the step's rows were not written.`);
        // The table keeps its rows from before.
        const [count] = await query(engine, `SELECT count(*) AS n FROM ${s.source}.claim_dx`);
        expect(Number(count!.n)).toBe(claimRows().length);
      }
    } finally {
      writeFileSync(csv, good);
      writeFileSync(path.join(dir, "dml/claim_dx.yaml"), LOAD);
    }
  });
});
