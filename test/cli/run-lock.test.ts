import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Connection } from "../../src/providers/provider-api.js";
import { duckdbProvider } from "../../src/providers/duckdb/index.js";
import { postgresProvider } from "../../src/providers/postgres/index.js";
import type { CliResult } from "../helpers/cli.js";
import { repoRoot, specDir } from "../helpers/paths.js";
import { PG_URL } from "../helpers/postgres-server.js";

/**
 * One writer per target (issue 14, problem 1): two runs of one workflow on the same PostgreSQL schemas at once both
 * succeeded and multiplied the CDM (every row with its own id). Now the second run waits (--wait-for-lock) or stops
 * with TARGET_LOCKED naming the first, and the CDM equals a single run's, table for table; a holder killed with
 * SIGKILL leaves no lock behind. DuckDB's own file lock is reported the same way.
 */
const prefix = `rlock_${process.pid}_${Date.now().toString(36)}`;
const schemas = { source: `${prefix}_src`, staging: `${prefix}_stage`, cdm: `${prefix}_cdm`, vocab: `${prefix}_cdm` };
let dir: string;

/** Runs the CLI without blocking, so that two runs can overlap. */
function cliAsync(args: string[]): { done: Promise<CliResult>; pid: number | undefined; kill(): void } {
  const child = spawn(process.execPath, [path.join(repoRoot, "bin/omopetl.js"), ...args], { cwd: dir, env: { ...process.env, NO_COLOR: "1" } });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
  return { done, pid: child.pid, kill: () => child.kill("SIGKILL") };
}

async function withConn<T>(f: (c: Connection) => Promise<T>, engine: "pg" | "duckdb" = "pg"): Promise<T> {
  const c =
    engine === "pg"
      ? await postgresProvider.connect!({ provider: "postgres", url: PG_URL, retries: 0 })
      : await duckdbProvider.connect!({ provider: "duckdb", path: path.join(dir, "omop.duckdb") });
  try {
    return await f(c);
  } finally {
    await c.close();
  }
}

/** Row count and order-independent content hash of each CDM table the workflow writes. */
async function cdmState(): Promise<Record<string, string>> {
  return withConn(async (c) => {
    const out: Record<string, string> = {};
    for (const t of ["person", "visit_occurrence"]) {
      const rows = await c.query(`SELECT * FROM "${schemas.cdm}".${t}`);
      const lines = rows.map((r) => JSON.stringify(Object.keys(r).sort().map((k) => [k, r[k]]))).sort();
      out[t] = `${rows.length} ${createHash("sha256").update(lines.join("\n")).digest("hex")}`;
    }
    return out;
  });
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "omopetl-rlock-"));
  chmodSync(dir, 0o755); // the PostgreSQL server reads the files itself, as its own user
  mkdirSync(path.join(dir, "dml"));
  mkdirSync(path.join(dir, "data"));
  const patients = ["id,gender,birthdate"];
  const visits = ["id,patient,start"];
  for (let i = 0; i < 300; i++) {
    patients.push(`p${i},${i % 2 ? "M" : "F"},19${50 + (i % 50)}-0${1 + (i % 9)}-1${i % 10}`);
    for (let v = 0; v < 3; v++) visits.push(`v${i}_${v},p${i},2020-0${1 + v}-1${i % 10}`);
  }
  writeFileSync(path.join(dir, "data/patients.csv"), `${patients.join("\n")}\n`);
  writeFileSync(path.join(dir, "data/visits.csv"), `${visits.join("\n")}\n`);
  const steps = ["dml/cdm_tables.yaml", "dml/patients.yaml", "dml/visits.yaml", "dml/person.yaml", "dml/visit_occurrence.yaml"];
  writeFileSync(path.join(dir, "workflow.yaml"), `name: locks\ncdm_version: "5.4"\nsteps:\n${steps.map((s) => `  - dml: ${s}\n`).join("")}`);
  writeFileSync(
    path.join(dir, "slow.yaml"),
    `name: locks\ncdm_version: "5.4"\nsteps:\n${steps.map((s) => `  - dml: ${s}\n`).join("")}  - dml: dml/slow.yaml\n`,
  );
  writeFileSync(path.join(dir, "dml/cdm_tables.yaml"), "kind: ddl\npart: tables\ntables: [person, visit_occurrence]\n");
  writeFileSync(path.join(dir, "dml/patients.yaml"), "kind: load\ntarget: source.patients\nfiles: ../data/patients.csv\ncolumns: { id: varchar, gender: varchar, birthdate: date }\n");
  writeFileSync(path.join(dir, "dml/visits.yaml"), "kind: load\ntarget: source.visits\nfiles: ../data/visits.csv\ncolumns: { id: varchar, patient: varchar, start: date }\n");
  writeFileSync(
    path.join(dir, "dml/person.yaml"),
    [
      "kind: transform",
      "target: cdm.person",
      "mode: merge",
      "key: [person_id]",
      "from: source.patients AS p",
      "ids:",
      "  person_id: { source_key: [p.id] }",
      "columns:",
      "  gender_concept_id: \"CASE p.gender WHEN 'M' THEN 8507 ELSE 8532 END\"",
      "  year_of_birth: EXTRACT(YEAR FROM p.birthdate)",
      '  race_concept_id: "0"',
      '  ethnicity_concept_id: "0"',
      "  person_source_value: p.id",
      "",
    ].join("\n"),
  );
  writeFileSync(
    path.join(dir, "dml/visit_occurrence.yaml"),
    [
      "kind: transform",
      "target: cdm.visit_occurrence",
      "mode: replace",
      "from: source.visits AS v",
      "joins:",
      "  - { table: cdm.person, as: per, on: per.person_source_value = v.patient }",
      "ids:",
      "  visit_occurrence_id: { source_key: [v.id] }",
      "columns:",
      "  person_id: per.person_id",
      '  visit_concept_id: "9202"',
      "  visit_start_date: v.start",
      "  visit_end_date: v.start",
      '  visit_type_concept_id: "32817"',
      "  visit_source_value: v.id",
      "",
    ].join("\n"),
  );
  writeFileSync(
    path.join(dir, "dml/slow.yaml"),
    "kind: sql\nreads: [cdm.visit_occurrence]\nwrites: []\nsql: SELECT 1\ndialects: { postgres: SELECT pg_catalog.pg_sleep(60) }\n",
  );
  const targets = {
    pg: { provider: "postgres", url: PG_URL, retries: 0, schemas },
    duckdb: { provider: "duckdb", path: "./omop.duckdb" },
  };
  writeFileSync(path.join(dir, "omopetl.config.yaml"), `spec: { dir: ${JSON.stringify(specDir)} }\ntargets: ${JSON.stringify(targets)}\n`);
});

afterAll(async () => {
  await withConn(async (c) => {
    for (const s of new Set(Object.values(schemas))) await c.execute(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  });
});

describe("one writer per target at a time", () => {
  let single: Record<string, string>;

  it("a single run gives the reference CDM", async () => {
    const r = await cliAsync(["run", "workflow.yaml", "--target", "pg"]).done;
    expect(r.code, r.stderr).toBe(0);
    single = await cdmState();
    expect(single["person"]).toMatch(/^300 /);
    expect(single["visit_occurrence"]).toMatch(/^900 /);
  });

  it("two runs started together, 20 times over: one is refused (or runs after), and the CDM equals a single run's", async () => {
    let refused = 0;
    for (let i = 0; i < 20; i++) {
      const [a, b] = await Promise.all([cliAsync(["run", "workflow.yaml", "--target", "pg"]).done, cliAsync(["run", "workflow.yaml", "--target", "pg"]).done]);
      const codes = [a.code, b.code].sort();
      // Both succeed only when one had finished before the other took the lock: then it was a re-run.
      expect([[0, 0], [0, 2]], `${a.stderr}\n${b.stderr}`).toContainEqual(codes);
      for (const r of [a, b]) if (r.code === 2) expect(r.stderr).toMatch(/error TARGET_LOCKED: postgres .* is in use by run \S+ \(pid \d+ on .+, started .+\)/);
      if (codes[1] === 2) refused++;
      expect(await cdmState()).toEqual(single);
    }
    // Runs take a second or so and start within milliseconds of each other: most overlap.
    expect(refused).toBeGreaterThan(0);
  }, 180_000);

  it("with --wait-for-lock the second run waits for the first, then runs; the CDM equals a single run's", async () => {
    const [a, b] = await Promise.all([
      cliAsync(["run", "workflow.yaml", "--target", "pg", "--wait-for-lock"]).done,
      cliAsync(["run", "workflow.yaml", "--target", "pg", "--wait-for-lock=120"]).done,
    ]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(await cdmState()).toEqual(single);
  }, 120_000);

  it("a holder killed with SIGKILL leaves no lock: the next run proceeds", async () => {
    const holder = cliAsync(["run", "slow.yaml", "--target", "pg"]);
    // Wait until the holder sleeps in its last step (it holds the lock from its first statement on).
    const t0 = Date.now();
    for (;;) {
      const sleeping = await withConn((c) => c.query(`SELECT 1 FROM pg_catalog.pg_stat_activity WHERE query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()`));
      if (sleeping.length > 0) break;
      if (Date.now() - t0 > 30_000) throw new Error("the holder never reached its slow step");
      await new Promise((r) => setTimeout(r, 200));
    }
    const refused = await cliAsync(["run", "workflow.yaml", "--target", "pg"]).done;
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`(pid ${holder.pid} on ${os.hostname()}`);
    holder.kill();
    await holder.done;
    // The server ends the dead client's sessions (and with them the lock) once it sees the socket closed.
    const after = await cliAsync(["run", "workflow.yaml", "--target", "pg", "--wait-for-lock=20"]).done;
    expect(after.code, after.stderr).toBe(0);
    expect(await cdmState()).toEqual(single);
    await withConn((c) => c.query(`SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity WHERE query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()`));
  }, 90_000);

  it("duckdb: a second process on the same file stops with TARGET_LOCKED naming the first (the engine's file lock)", async () => {
    const first = await cliAsync(["run", "workflow.yaml", "--target", "duckdb"]).done;
    expect(first.code, first.stderr).toBe(0);
    let refused = 0;
    for (let i = 0; i < 5 && refused === 0; i++) {
      const [a, b] = await Promise.all([cliAsync(["run", "workflow.yaml", "--target", "duckdb"]).done, cliAsync(["run", "workflow.yaml", "--target", "duckdb"]).done]);
      const codes = [a.code, b.code].sort();
      expect([[0, 0], [0, 2]], `${a.stderr}\n${b.stderr}`).toContainEqual(codes);
      for (const r of [a, b]) {
        if (r.code !== 2) continue;
        refused++;
        expect(r.stderr).toMatch(/error TARGET_LOCKED: .*omop\.duckdb is in use by (run \S+ \(pid \d+ on .+\)|another process)/);
      }
    }
    expect(refused).toBeGreaterThan(0);
    const persons = await withConn((c) => c.query<{ n: number }>("SELECT CAST(count(*) AS INTEGER) AS n FROM cdm.person"), "duckdb");
    expect(persons).toEqual([{ n: 300 }]);
  }, 120_000);
});
