/**
 * Shared pieces of the orchestrator tests: compiling the fixture workflows, synthetic source files, targets on a
 * temporary DuckDB file or a per-test-file PostgreSQL schema set, and order-independent table dumps.
 */
import { createHash } from "node:crypto";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { CompiledWorkflowPlan } from "../../../src/core/model/plan.js";
import type { RunEvent, RunTarget } from "../../../src/orchestrators/orchestrator-api.js";
import { duckdbProvider } from "../../../src/providers/duckdb/index.js";
import { postgresProvider } from "../../../src/providers/postgres/index.js";
import type { Connection } from "../../../src/providers/provider-api.js";
import { compileFixture } from "../../helpers/compile.js";
import { PG_URL } from "../../helpers/postgres-server.js";

export const orchestratorFixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../fixtures");
/** The test Postgres (test/helpers/postgres-server.ts: the server at OMOPETL_TEST_PG_URL, or PGlite). */
export { PG_URL };

/** A fresh temporary directory. */
export function tempDir(prefix = "omopetl-orch-"): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Compiles test/orchestrators/fixtures/<name>/workflow.yaml; fails the test on diagnostics. */
export async function compilePlan(name: string, params: Record<string, string> = {}): Promise<CompiledWorkflowPlan> {
  const wf = path.join(orchestratorFixtures, name, "workflow.yaml");
  const r = await compileFixture(wf, orchestratorFixtures, params);
  if (!r.plan) throw new Error(`fixture ${name} does not compile:\n${r.diagnostics.map((d) => `${d.code}: ${d.message}`).join("\n")}`);
  return r.plan;
}

/**
 * Writes patients.csv and encounters.csv (deterministic, `patients` patients with 0-4 encounters each, some
 * without an end) into `dir`.
 */
export function writeSyntheticSource(dir: string, patients = 60): string {
  const p = ["id,birthdate,gender"];
  const e = ["id,start,stop,patient,encounterclass"];
  const classes = ["ambulatory", "inpatient", "emergency", "wellness"];
  for (let i = 1; i <= patients; i++) {
    const id = `pat-${String(i).padStart(4, "0")}`;
    p.push(`${id},${1940 + (i % 60)}-${String((i % 12) + 1).padStart(2, "0")}-${String((i % 28) + 1).padStart(2, "0")},${i % 3 === 0 ? "F" : i % 3 === 1 ? "M" : "U"}`);
    for (let k = 0; k < i % 5; k++) {
      const day = String(((i + k) % 28) + 1).padStart(2, "0");
      const stop = (i + k) % 7 === 0 ? "" : `2020-0${(k % 9) + 1}-${day} 12:30:00`;
      e.push(`enc-${i}-${k},2020-0${(k % 9) + 1}-${day} 08:00:00,${stop},${id},${classes[(i + k) % classes.length]}`);
    }
  }
  writeFileSync(path.join(dir, "patients.csv"), p.join("\n") + "\n", { mode: 0o644 });
  writeFileSync(path.join(dir, "encounters.csv"), e.join("\n") + "\n", { mode: 0o644 });
  // PostgreSQL reads load files server-side, as its own OS user.
  chmodSync(dir, 0o755);
  return dir;
}

/** A target on a DuckDB file. */
export function duckTarget(file: string): RunTarget {
  return { name: "test", provider: duckdbProvider, config: { provider: "duckdb", path: file }, description: `duckdb ${file}`, secrets: [] };
}

/** Logical -> physical schema names unique to one test file (PostgreSQL tests share one database). */
export function pgSchemas(prefix: string): Record<string, string> {
  return { source: `${prefix}_source`, staging: `${prefix}_staging`, cdm: `${prefix}_cdm`, vocab: `${prefix}_cdm` };
}

/** A target on the test PostgreSQL database with its own schemas. */
export function pgTarget(prefix: string, extra: Record<string, unknown> = {}): RunTarget {
  return {
    name: "test",
    provider: postgresProvider,
    config: { provider: "postgres", url: PG_URL, schemas: pgSchemas(prefix), ...extra },
    description: `postgres ${PG_URL}`,
    secrets: [],
  };
}

/** Opens a connection to a target (for setting up and checking tables). */
export async function connect(target: RunTarget): Promise<Connection> {
  return target.provider.connect!(target.config);
}

/** Drops the schemas of a PostgreSQL test prefix. */
export async function dropPgSchemas(prefix: string): Promise<void> {
  const conn = await postgresProvider.connect!({ provider: "postgres", url: PG_URL });
  try {
    for (const s of new Set(Object.values(pgSchemas(prefix)))) await conn.execute(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  } finally {
    await conn.close();
  }
}

/**
 * sha256 over every row of `table`, independent of row order (rows are serialised as JSON and sorted), plus the
 * row count for readable failures.
 */
export async function tableHash(conn: Connection, qualified: string): Promise<{ rows: number; sha256: string }> {
  const rows = await conn.query(`SELECT * FROM ${qualified}`);
  const lines = rows.map((r) => JSON.stringify(Object.keys(r).sort().map((k) => [k, r[k]]))).sort();
  return { rows: lines.length, sha256: createHash("sha256").update(lines.join("\n")).digest("hex") };
}

/** Hashes of every table in the given schemas except the run ledger's, keyed by schema.table. */
export async function dumpSchemas(conn: Connection, schemas: readonly string[]): Promise<Record<string, { rows: number; sha256: string }>> {
  const list = schemas.map((s) => `'${s}'`).join(", ");
  const tables = await conn.query<{ table_schema: string; table_name: string }>(
    `SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema IN (${list}) AND table_name NOT IN ('omopetl_run', 'omopetl_step_run', 'omopetl_lookup_coverage', 'omopetl_step_rows') ORDER BY 1, 2`,
  );
  const out: Record<string, { rows: number; sha256: string }> = {};
  for (const t of tables) out[`${t.table_schema}.${t.table_name}`] = await tableHash(conn, `"${t.table_schema}"."${t.table_name}"`);
  return out;
}

/** Collects run events in order. */
export function eventLog(): { events: RunEvent[]; onEvent: (e: RunEvent) => void; of: <T extends RunEvent["type"]>(type: T) => Extract<RunEvent, { type: T }>[] } {
  const events: RunEvent[] = [];
  return {
    events,
    onEvent: (e) => events.push(e),
    of: (type) => events.filter((e) => e.type === type) as never,
  };
}

/** Fast retries for tests: the backoff's shape is p-retry's business, not what these tests check. */
export const FAST_RETRY = { minTimeoutMs: 20, factor: 2, maxTimeoutMs: 100 };
