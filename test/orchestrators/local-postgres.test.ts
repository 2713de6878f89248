import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { OmopetlError } from "../../src/core/diagnostics/diagnostic.js";
import { RunLedger } from "../../src/orchestrators/ledger/run-ledger.js";
import { localOrchestrator } from "../../src/orchestrators/local/local-orchestrator.js";
import type { RunEvent, RunResult } from "../../src/orchestrators/orchestrator-api.js";
import { postgresProvider } from "../../src/providers/postgres/index.js";
import { compilePlan, connect, dropPgSchemas, dumpSchemas, eventLog, FAST_RETRY, PG_URL, pgSchemas, pgTarget, tempDir, writeSyntheticSource } from "./helpers/harness.js";

/** Schema prefixes of this file (one per test); all dropped at the end. */
const base = `orchpg_${randomBytes(3).toString("hex")}`;
const prefixes: string[] = [];
const prefix = (name: string) => {
  const p = `${base}_${name}`;
  prefixes.push(p);
  return p;
};
afterAll(async () => {
  for (const p of prefixes) await dropPgSchemas(p);
});

/** The errors of a run's failed steps, for assertion messages. */
const failures = (r: RunResult) => r.steps.filter((s) => s.error).map((s) => `${s.name}: ${s.error!.slice(0, 300)}`).join("\n");

/** A dump keyed by logical schema (the physical names differ between prefixes). */
async function logicalDump(p: string) {
  const conn = await connect(pgTarget(p));
  try {
    const schemas = pgSchemas(p);
    const dump = await dumpSchemas(conn, [...new Set(Object.values(schemas))]);
    return Object.fromEntries(Object.entries(dump).map(([k, v]) => [k.replace(`${p}_`, ""), v]));
  } finally {
    await conn.close();
  }
}

describe("local orchestrator on PostgreSQL", () => {
  it("runs independent steps in parallel without breaking the DAG; parallel and serial runs give the same tables", async () => {
    const src = writeSyntheticSource(tempDir(), 80);
    const plan = await compilePlan("etl", { source_dir: src });
    const serial = prefix("serial");
    const parallel = prefix("parallel");
    const r1 = await localOrchestrator.execute(plan, pgTarget(serial), { concurrency: 1 });
    const log = eventLog();
    const r4 = await localOrchestrator.execute(plan, pgTarget(parallel), { onEvent: log.onEvent });
    expect(r1.status, failures(r1)).toBe("succeeded");
    expect(r4.status, failures(r4)).toBe("succeeded");
    // Default concurrency on PostgreSQL.
    expect(r4.concurrency).toBe(4);
    const idx = (type: RunEvent["type"], step: string) => log.events.findIndex((e) => e.type === type && "step" in e && e.step === step);
    for (const s of plan.steps) for (const d of s.dependsOn) expect(idx("step-success", d)).toBeLessThan(idx("step-start", s.name));
    const a = await logicalDump(serial);
    expect(a["cdm.person"]!.rows).toBe(80);
    expect(await logicalDump(parallel)).toEqual(a);
    // The ledger lives in the target's staging schema.
    const conn = await connect(pgTarget(parallel));
    try {
      const ledger = new RunLedger(conn, `${parallel}_staging`, postgresProvider.generator);
      expect((await ledger.getRun(r4.runId))!).toMatchObject({ status: "succeeded", concurrency: 4, totals: { succeeded: plan.steps.length } });
      const steps = await ledger.stepRuns(r4.runId);
      expect(steps.find((s) => s.step === "patients")!.rows).toMatchObject({ affected: 80, inserted: 80 });
    } finally {
      await conn.close();
    }
  });

  it("a step failing twice with a transient error (SQLSTATE 40001) is retried and succeeds", async () => {
    const p = prefix("flaky");
    const plan = await compilePlan("flaky");
    const log = eventLog();
    const r = await localOrchestrator.execute(plan, pgTarget(p), { onEvent: log.onEvent, retryBackoff: FAST_RETRY });
    expect(r.status).toBe("succeeded");
    expect(r.steps.find((s) => s.name === "flaky")).toMatchObject({ status: "succeeded", attempts: 3 });
    const retries = log.of("step-retry");
    expect(retries.map((e) => [e.step, e.attempt, e.maxAttempts])).toEqual([
      ["flaky", 1, 4],
      ["flaky", 2, 4],
    ]);
    expect(retries[0]!.error).toMatch(/not yet: attempt 1/);
    expect(log.of("step-start").filter((e) => e.step === "flaky").map((e) => e.attempt)).toEqual([1, 2, 3]);
    const conn = await connect(pgTarget(p));
    try {
      expect(await conn.query(`SELECT n FROM "${p}_staging".after_flaky`)).toEqual([{ n: "3" }]);
      const steps = await new RunLedger(conn, `${p}_staging`, postgresProvider.generator).stepRuns(r.runId);
      expect(steps.find((s) => s.step === "flaky")).toMatchObject({ status: "succeeded", attempts: 3 });
      expect(steps.find((s) => s.step === "after_flaky")).toMatchObject({ status: "succeeded", attempts: 1 });
    } finally {
      await conn.close();
    }
  });

  it("a permanent error (invalid integer, 22P02) is not retried; only its dependents are skipped", async () => {
    const p = prefix("failing");
    const plan = await compilePlan("failing");
    const r = await localOrchestrator.execute(plan, pgTarget(p), { retryBackoff: FAST_RETRY });
    expect(r.status).toBe("failed");
    expect(Object.fromEntries(r.steps.map((s) => [s.name, [s.status, s.attempts]]))).toEqual({
      setup: ["succeeded", 1],
      base: ["succeeded", 1],
      boom: ["failed", 1],
      side: ["succeeded", 1],
      after_boom: ["skipped", 0],
      side2: ["succeeded", 1],
      after_after: ["skipped", 0],
    });
    expect(r.steps.find((s) => s.name === "boom")!.error).toMatch(/invalid input syntax for type integer: "boom" \[22P02\]/);
  });

  it("a connection killed mid-step (pg_terminate_backend) is retried and the run completes without duplicates", async () => {
    const p = prefix("killed");
    const src = writeSyntheticSource(tempDir(), 50);
    const plan = await compilePlan("etl", { source_dir: src, slow_n: "30000000" });
    plan.steps.find((s) => s.name === "slow_stats")!.retries = 2;
    const admin = await postgresProvider.connect!({ provider: "postgres", url: PG_URL });
    let killed = 0;
    try {
      const run = localOrchestrator.execute(plan, pgTarget(p), { retryBackoff: FAST_RETRY });
      // Kill the backend running the slow statement, once, as soon as it shows up.
      const killer = (async () => {
        for (let i = 0; i < 600 && killed === 0; i++) {
          const rows = await admin.query<{ ok: boolean }>(
            `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
             WHERE pid <> pg_backend_pid() AND application_name = 'omopetl' AND state = 'active' AND query LIKE '%generate_series(1, 30000000)%' AND query LIKE '%${p}_staging%'`,
          );
          killed += rows.filter((r) => r.ok).length;
          if (killed === 0) await new Promise((r) => setTimeout(r, 50));
        }
      })();
      const [r] = await Promise.all([run, killer]);
      expect(killed).toBe(1);
      expect(r.status, failures(r)).toBe("succeeded");
      const conn = await connect(pgTarget(p));
      try {
        const one = async (sql: string) => Object.values((await conn.query(sql))[0]!)[0];
        expect(await one(`SELECT count(*) FROM "${p}_cdm".person`)).toBe("50");
        expect(await one(`SELECT count(*) - count(DISTINCT person_id) FROM "${p}_cdm".person`)).toBe("0");
        expect(await one(`SELECT count(*) - count(DISTINCT visit_occurrence_id) FROM "${p}_cdm".visit_occurrence`)).toBe("0");
        expect(await one(`SELECT count(*) - count(DISTINCT (domain, source_key)) FROM "${p}_staging".omopetl_id_map`)).toBe("0");
        expect(await conn.query(`SELECT n, h FROM "${p}_staging".slow_stats`)).toEqual([{ n: "30000000", h: "14985000000" }]);
        expect(await one(`SELECT count(*) FROM "${p}_staging".person_summary`)).toBe("50");
      } finally {
        await conn.close();
      }
    } finally {
      await admin.close();
    }
  });

  it("a ledger that cannot be written stops the run with LEDGER_FAILED (exit code 1), not a crash", async () => {
    const p = prefix("ledger");
    const conn = await connect(pgTarget(p));
    try {
      // Someone else's table under the ledger's name: the ledger's INSERT fails for real.
      await conn.execute(`CREATE SCHEMA "${p}_staging"`);
      await conn.execute(`CREATE TABLE "${p}_staging".omopetl_run (something_else integer)`);
    } finally {
      await conn.close();
    }
    const err = await localOrchestrator.execute(await compilePlan("dag"), pgTarget(p), {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OmopetlError);
    expect((err as OmopetlError).diagnostic.code).toBe("LEDGER_FAILED");
    expect((err as OmopetlError).exitCode).toBe(1);
    expect((err as OmopetlError).message).toMatch(/column "run_id" of relation "omopetl_run" does not exist/);
  });
});
