import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { RunLedger } from "../../src/orchestrators/ledger/run-ledger.js";
import { localOrchestrator } from "../../src/orchestrators/local/local-orchestrator.js";
import type { RunTarget } from "../../src/orchestrators/orchestrator-api.js";
import type { Connection } from "../../src/providers/provider-api.js";
import { runCli } from "../helpers/cli.js";
import { compilePlan, connect, dropPgSchemas, duckTarget, pgSchemas, pgTarget, tempDir } from "./helpers/harness.js";

/**
 * Ledger write failures (issue 14, "Faults"): with the disk full the ledger write failed with a misleading hint and
 * the run stayed "running" forever. Now the run ends as failed with the real cause (LEDGER_FAILED), the ledger
 * records host and pid so `status` can tell a run whose process is gone, and older ledgers gain the new columns in
 * place.
 */
const DISK_FULL = 'IO Error: Could not write file "omop.duckdb.wal": No space left on device';
const prefix = `ledgerf_${process.pid}_${Date.now().toString(36)}`;

afterAll(() => dropPgSchemas(prefix));

/**
 * The target, with ledger writes (plain `execute` calls on the run's connection that touch the ledger tables)
 * failing as a full disk does once `failAfter` of them went through, for the tables `failing` names.
 */
function faulty(target: RunTarget, failAfter: number, failing: RegExp): RunTarget {
  const provider = target.provider;
  let writes = 0;
  const connectFaulty = async (config: RunTarget["config"]): Promise<Connection> => {
    const conn = await provider.connect!(config);
    return new Proxy(conn, {
      get(obj, prop, receiver) {
        if (prop !== "execute") {
          const v = Reflect.get(obj, prop, receiver);
          return typeof v === "function" ? v.bind(obj) : v;
        }
        return async (sql: string) => {
          if (/\bomopetl_(step_)?run\b/.test(sql) && /^(INSERT|UPDATE)/.test(sql)) {
            writes += 1;
            if (writes > failAfter && failing.test(sql)) throw new Error(DISK_FULL);
          }
          return obj.execute(sql);
        };
      },
    });
  };
  return { ...target, provider: { ...provider, connect: connectFaulty } };
}

const engines: Array<{ name: string; target: () => RunTarget; staging: string }> = [
  { name: "duckdb", target: () => duckTarget(path.join(tempDir(), "ledger.duckdb")), staging: "staging" },
  { name: "postgres", target: () => pgTarget(prefix, { retries: 0 }), staging: pgSchemas(prefix)["staging"]! },
];

async function runRow(target: RunTarget, staging: string, runId: string) {
  const conn = await connect(target);
  try {
    return await new RunLedger(conn, staging, target.provider.generator).getRun(runId);
  } finally {
    await conn.close();
  }
}

describe("ledger write failures", () => {
  for (const e of engines) {
    it(`${e.name}: a step's ledger write failing (disk full) ends the run as failed with the real cause, not "running"`, async () => {
      const plan = await compilePlan("dag");
      const target = e.target();
      const runId = `ledger-fault-${e.name}-1`;
      // Run start and the first step's marks go through; then every step write fails; the run's own row still can.
      const err = await localOrchestrator.execute(plan, faulty(target, 3, /\bomopetl_step_run\b/), { runId }).then(
        () => undefined,
        (x: unknown) => x,
      );
      expect(err).toMatchObject({ diagnostic: { code: "LEDGER_FAILED", message: expect.stringContaining("No space left on device") } });
      expect((err as { diagnostic: { hint: string } }).diagnostic.hint).not.toMatch(/may create tables/);
      const run = await runRow(target, e.staging, runId);
      expect(run).toMatchObject({ status: "failed", host: os.hostname(), pid: process.pid, error: expect.stringContaining("No space left on device") });
    });
  }

  it("when even the run's end cannot be written, status shows the run as running (process gone)", async () => {
    const plan = await compilePlan("dag");
    const dir = tempDir();
    const file = path.join(dir, "gone.duckdb");
    const target = duckTarget(file);
    const runId = "ledger-fault-gone";
    const err = await localOrchestrator.execute(plan, faulty(target, 2, /./), { runId }).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(err).toMatchObject({ diagnostic: { code: "LEDGER_FAILED" } });
    expect(await runRow(target, "staging", runId)).toMatchObject({ status: "running", pid: process.pid });
    // This process is alive; pretend the run was recorded by one that has exited since.
    const dead = spawnSync(process.execPath, ["-e", ""]).pid!;
    const conn = await connect(target);
    try {
      await conn.execute(`UPDATE staging.omopetl_run SET pid = ${dead} WHERE run_id = '${runId}'`);
    } finally {
      await conn.close();
    }
    writeFileSync(path.join(dir, "omopetl.config.yaml"), "targets:\n  default: { provider: duckdb, path: ./gone.duckdb }\n");
    const list = runCli(["status"], { cwd: dir });
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`${runId}\\s+orch_dag\\s+running \\(process gone\\)`));
    const detail = runCli(["status", runId], { cwd: dir });
    expect(detail.stdout).toMatch(/running \(process gone\)/);
    expect(detail.stdout).toContain(`process ${dead} on ${os.hostname()}`);
    const json = runCli(["status", "--json"], { cwd: dir });
    expect(JSON.parse(json.stdout).runs[0]).toMatchObject({ runId, status: "running", processGone: true });
  });
});

/** The omopetl_run table as versions before host/pid/error_message created it. */
const OLD_RUN_TABLE = (schema: string) => `CREATE TABLE "${schema}"."omopetl_run" (
  "run_id" VARCHAR NOT NULL, "workflow_name" VARCHAR NOT NULL, "plan_fingerprint" VARCHAR NOT NULL, "status" VARCHAR NOT NULL,
  "started_at" TIMESTAMP NOT NULL, "ended_at" TIMESTAMP, "duration_ms" BIGINT, "target" VARCHAR, "orchestrator" VARCHAR,
  "resumed_from" VARCHAR, "concurrency" INTEGER, "invocation" VARCHAR, "steps_total" INTEGER, "steps_succeeded" INTEGER,
  "steps_failed" INTEGER, "steps_skipped" INTEGER, "steps_reused" INTEGER, "steps_cancelled" INTEGER, "attempts" INTEGER,
  "rows_affected" BIGINT, PRIMARY KEY ("run_id"))`;

describe("an older ledger is migrated in place", () => {
  for (const e of engines) {
    it(`${e.name}: the run table gains host, pid and error_message; old runs stay readable`, async () => {
      const plan = await compilePlan("dag");
      const target = e.target();
      const conn = await connect(target);
      try {
        await conn.execute(`DROP SCHEMA IF EXISTS "${e.staging}" CASCADE`);
        await conn.execute(`CREATE SCHEMA "${e.staging}"`);
        await conn.execute(OLD_RUN_TABLE(e.staging));
        await conn.execute(
          `INSERT INTO "${e.staging}"."omopetl_run" ("run_id", "workflow_name", "plan_fingerprint", "status", "started_at", "ended_at", "duration_ms", "target", "orchestrator") VALUES ('20200101T000000000Z-old', 'orch_dag', 'x', 'succeeded', TIMESTAMP '2020-01-01 00:00:00', TIMESTAMP '2020-01-01 00:00:01', 1000, 'duckdb old', 'local')`,
        );
      } finally {
        await conn.close();
      }
      const r = await localOrchestrator.execute(plan, target, { runId: `20990101T000000000Z-migrated-${e.name}` });
      expect(r.status).toBe("succeeded");
      const check = await connect(target);
      try {
        const runs = await new RunLedger(check, e.staging, target.provider.generator).listRuns({ limit: 5 });
        expect(runs.map((x) => [x.runId, x.status, x.host, x.pid])).toEqual([
          [r.runId, "succeeded", os.hostname(), process.pid],
          ["20200101T000000000Z-old", "succeeded", undefined, undefined],
        ]);
      } finally {
        await check.close();
      }
    });
  }
});
