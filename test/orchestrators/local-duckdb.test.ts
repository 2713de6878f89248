import { appendFileSync, existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { CompiledWorkflowPlan } from "../../src/core/model/plan.js";
import { RunLedger } from "../../src/orchestrators/ledger/run-ledger.js";
import { localOrchestrator } from "../../src/orchestrators/local/local-orchestrator.js";
import type { RunEvent, RunResult, RunTarget } from "../../src/orchestrators/orchestrator-api.js";
import { selectSteps } from "../../src/orchestrators/selection.js";
import { duckdbProvider } from "../../src/providers/duckdb/index.js";
import { compilePlan, connect, dumpSchemas, duckTarget, eventLog, FAST_RETRY, tempDir, writeSyntheticSource } from "./helpers/harness.js";

/** Every step started only after each of its dependencies succeeded (by event order). */
function expectDagOrder(plan: CompiledWorkflowPlan, events: readonly RunEvent[]) {
  const index = (type: string, step: string) => events.findIndex((e) => e.type === type && "step" in e && e.step === step);
  for (const s of plan.steps) {
    const start = index("step-start", s.name);
    expect(start, `${s.name} started`).toBeGreaterThanOrEqual(0);
    for (const d of s.dependsOn) expect(index("step-success", d), `${d} done before ${s.name} starts`).toBeLessThan(start);
  }
}

async function ledgerOf(target: RunTarget, schema = "staging") {
  const conn = await connect(target);
  const ledger = new RunLedger(conn, schema, duckdbProvider.generator);
  return { conn, ledger, close: () => conn.close() };
}

const statusOf = (r: RunResult) => Object.fromEntries(r.steps.map((s) => [s.name, s.status]));

describe("local orchestrator on DuckDB", () => {
  it("runs the DAG: dependencies first, at any concurrency, and records start/end per step in the ledger", async () => {
    const plan = await compilePlan("dag");
    for (const concurrency of [1, 3]) {
      const target = duckTarget(path.join(tempDir(), "dag.duckdb"));
      const log = eventLog();
      const r = await localOrchestrator.execute(plan, target, { concurrency, onEvent: log.onEvent });
      expect(r.status).toBe("succeeded");
      expect(r.concurrency).toBe(concurrency);
      expectDagOrder(plan, log.events);
      const { conn, ledger, close } = await ledgerOf(target);
      try {
        const steps = await ledger.stepRuns(r.runId);
        expect(steps.map((s) => [s.step, s.status, s.attempts])).toEqual(plan.steps.map((s) => [s.name, "succeeded", 1]));
        // Ledger times agree with the DAG too: no step started before a dependency ended.
        const byName = new Map(steps.map((s) => [s.step, s]));
        for (const s of plan.steps) for (const d of s.dependsOn) expect(byName.get(d)!.endedAt! <= byName.get(s.name)!.startedAt!).toBe(true);
        expect(await conn.query("SELECT v FROM staging.d")).toEqual([{ v: 5 }]);
        expect(await conn.query("SELECT v FROM staging.f")).toEqual([{ v: 10 }]);
      } finally {
        await close();
      }
    }
  });

  it("a permanently failing step fails fast, skips only its dependents, and resume reruns only what is needed", async () => {
    const plan = await compilePlan("failing");
    const target = duckTarget(path.join(tempDir(), "failing.duckdb"));
    const log = eventLog();
    const r1 = await localOrchestrator.execute(plan, target, { onEvent: log.onEvent, retryBackoff: FAST_RETRY });
    expect(r1.status).toBe("failed");
    expect(statusOf(r1)).toEqual({
      setup: "succeeded",
      base: "succeeded",
      boom: "failed",
      side: "succeeded",
      after_boom: "skipped",
      side2: "succeeded",
      after_after: "skipped",
    });
    const boom = r1.steps.find((s) => s.name === "boom")!;
    // retries: 2 in the workflow, but a conversion error is permanent: one attempt, no retry events.
    expect(boom.attempts).toBe(1);
    expect(log.of("step-retry")).toEqual([]);
    expect(boom.error).toMatch(/Conversion Error: Could not convert string 'boom'/);
    expect(log.of("step-skip").map((e) => [e.step, e.dependency])).toEqual([
      ["after_boom", "boom"],
      ["after_after", "boom"],
    ]);
    expect(r1.totals).toMatchObject({ steps: 7, succeeded: 4, failed: 1, skipped: 2, reused: 0 });

    let db = await ledgerOf(target);
    try {
      const run = await db.ledger.getRun(r1.runId);
      expect(run).toMatchObject({ workflow: "orch_failing", status: "failed", planFingerprint: plan.fingerprint, totals: { steps: 7, succeeded: 4, failed: 1, skipped: 2 } });
      const steps = Object.fromEntries((await db.ledger.stepRuns(r1.runId)).map((s) => [s.step, s]));
      expect(steps["boom"]).toMatchObject({ status: "failed", attempts: 1, fingerprint: plan.steps.find((s) => s.name === "boom")!.fingerprint });
      expect(steps["boom"]!.error).toMatch(/Could not convert string 'boom'/);
      expect(steps["after_after"]).toMatchObject({ status: "skipped", attempts: 0, skippedBecause: "boom" });
      expect(steps["side2"]).toMatchObject({ status: "succeeded", attempts: 1 });
      expect(steps["side2"]!.startedAt).toBeDefined();
      // Fix the data boom depends on (its SQL, hence its fingerprint, is unchanged).
      await db.conn.execute("INSERT INTO staging.fix VALUES (1)");
    } finally {
      await db.close();
    }

    const log2 = eventLog();
    const r2 = await localOrchestrator.execute(plan, target, { resume: true, onEvent: log2.onEvent });
    expect(r2.status).toBe("succeeded");
    expect(r2.resumedFrom).toBe(r1.runId);
    expect(statusOf(r2)).toEqual({
      setup: "reused",
      base: "reused",
      boom: "succeeded",
      side: "reused",
      after_boom: "succeeded",
      side2: "reused",
      after_after: "succeeded",
    });
    expect(log2.of("step-start").map((e) => e.step)).toEqual(["boom", "after_boom", "after_after"]);
    expect(log2.of("run-start")[0]).toMatchObject({ resumedFrom: r1.runId, reused: ["base", "setup", "side", "side2"], steps: ["boom", "after_boom", "after_after"] });

    // A changed step reruns along with everything downstream of it; the rest is reused from the run that did it.
    const changed = await compilePlan("failing", { label: "two" });
    expect(changed.steps.find((s) => s.name === "side")!.fingerprint).not.toBe(plan.steps.find((s) => s.name === "side")!.fingerprint);
    const r3 = await localOrchestrator.execute(changed, target, { resume: r2.runId });
    expect(statusOf(r3)).toMatchObject({ base: "reused", boom: "reused", after_after: "reused", side: "succeeded", side2: "succeeded" });
    expect(r3.steps.find((s) => s.name === "base")!.reusedFrom).toBe(r1.runId);
    expect(r3.steps.find((s) => s.name === "boom")!.reusedFrom).toBe(r2.runId);

    // Nothing to resume after a success: a warning, and only what changed since that run runs (here: nothing).
    const log4 = eventLog();
    const r4 = await localOrchestrator.execute(changed, target, { resume: true, onEvent: log4.onEvent });
    expect(log4.of("warning")[0]!.message).toMatch(/nothing to resume: the last run of orch_failing \(.+\) succeeded; only steps changed since then run/);
    expect(r4.resumedFrom).toBe(r3.runId);
    expect(r4.totals).toMatchObject({ succeeded: 0, reused: 7 });
    expect(log4.of("step-start")).toEqual([]);

    db = await ledgerOf(target);
    try {
      expect(await db.conn.query("SELECT v FROM staging.after_after")).toEqual([{ v: 8 }]);
      expect(await db.conn.query("SELECT label FROM staging.side2")).toEqual([{ label: "two!" }]);
      const r3steps = await db.ledger.stepRuns(r3.runId);
      expect(r3steps.find((s) => s.step === "boom")).toMatchObject({ status: "reused", reusedFrom: r2.runId, attempts: 0 });
      expect((await db.ledger.getRun(r3.runId))!.resumedFrom).toBe(r2.runId);
      expect((await db.ledger.listRuns({ workflow: "orch_failing" })).map((r) => r.runId)).toEqual([r4.runId, r3.runId, r2.runId, r1.runId]);
    } finally {
      await db.close();
    }
  });

  it("--resume with an unknown run id, or another workflow's run, is a usage error", async () => {
    const target = duckTarget(path.join(tempDir(), "resume.duckdb"));
    const dag = await compilePlan("dag");
    const r = await localOrchestrator.execute(dag, target, {});
    await expect(localOrchestrator.execute(dag, target, { resume: "20990101T000000000Z-00000000" })).rejects.toThrow(/RUN_NOT_FOUND|is not in the run ledger/);
    await expect(localOrchestrator.execute(await compilePlan("failing"), target, { resume: r.runId })).rejects.toThrow(/ran workflow "orch_dag", not "orch_failing"/);
  });

  it("an ETL run loads, transforms and reports rows; rerunning it changes nothing (idempotent)", async () => {
    const src = writeSyntheticSource(tempDir(), 60);
    const plan = await compilePlan("etl", { source_dir: src });
    const target = duckTarget(path.join(tempDir(), "etl.duckdb"));
    const r1 = await localOrchestrator.execute(plan, target, {});
    expect(r1.status).toBe("succeeded");
    const rows = Object.fromEntries(r1.steps.map((s) => [s.name, s.rows]));
    expect(rows["patients"]).toMatchObject({ affected: 60, verb: "inserted", inserted: 60 });
    expect(rows["person"]).toMatchObject({ affected: 60, verb: "merged" });
    const conn = await connect(target);
    let first;
    try {
      const [{ n }] = (await conn.query<{ n: number }>("SELECT count(*)::INTEGER AS n FROM source.encounters WHERE stop IS NOT NULL")) as [{ n: number }];
      expect(rows["visit_occurrence"]).toMatchObject({ affected: n, verb: "merged" });
      first = await dumpSchemas(conn, ["source", "staging", "cdm"]);
      expect(first["cdm.person"]!.rows).toBe(60);
      const ledger = new RunLedger(conn, "staging", duckdbProvider.generator);
      const ls = await ledger.stepRuns(r1.runId);
      expect(ls.find((s) => s.step === "patients")!.rows).toMatchObject({ affected: 60, verb: "inserted", inserted: 60 });
      expect((await ledger.getRun(r1.runId))!.totals.rowsAffected).toBe(r1.totals.rowsAffected);
    } finally {
      await conn.close();
    }
    const r2 = await localOrchestrator.execute(plan, target, {});
    expect(r2.status).toBe("succeeded");
    // The merge rewrites nothing the second time.
    expect(r2.steps.find((s) => s.name === "person")!.rows.affected).toBe(0);
    const conn2 = await connect(target);
    try {
      expect(await dumpSchemas(conn2, ["source", "staging", "cdm"])).toEqual(first);
    } finally {
      await conn2.close();
    }
  });

  it("--resume after a successful run reruns a load whose file changed, and what depends on it", async () => {
    const src = writeSyntheticSource(tempDir(), 20);
    const plan = await compilePlan("etl", { source_dir: src });
    const target = duckTarget(path.join(tempDir(), "resume-files.duckdb"));
    expect((await localOrchestrator.execute(plan, target, {})).status).toBe("succeeded");
    const unchanged = await localOrchestrator.execute(plan, target, { resume: true });
    expect(unchanged.totals).toMatchObject({ succeeded: 0, reused: plan.steps.length });
    // One more patient: the patients load and everything downstream of it run; the encounters load is reused.
    appendFileSync(path.join(src, "patients.csv"), "pat-9999,1990-01-01,F\n");
    const r = await localOrchestrator.execute(plan, target, { resume: true });
    const downstream = selectSteps(plan, ["patients+"])!;
    expect(statusOf(r)).toEqual(Object.fromEntries(plan.steps.map((s) => [s.name, downstream.has(s.name) ? "succeeded" : "reused"])));
    expect(statusOf(r)["encounters"]).toBe("reused");
    const conn = await connect(target);
    try {
      expect(await conn.query("SELECT count(*)::INTEGER AS n FROM cdm.person")).toEqual([{ n: 21 }]);
    } finally {
      await conn.close();
    }
    // The compiled plan itself is untouched: its fingerprints do not depend on the files.
    expect(r.planFingerprint).toBe(plan.fingerprint);
  });

  it("a dry run emits every statement in execution order and touches no database", async () => {
    const src = writeSyntheticSource(tempDir(), 5);
    const plan = await compilePlan("etl", { source_dir: src });
    const file = path.join(tempDir(), "dry.duckdb");
    const log = eventLog();
    const r = await localOrchestrator.execute(plan, duckTarget(file), { dryRun: true, onEvent: log.onEvent });
    expect(r.dryRun).toBe(true);
    expect(existsSync(file)).toBe(false);
    const stmts = log.of("statement");
    const stepOrder = [...new Set(stmts.map((s) => s.step))];
    expect(stepOrder).toEqual(plan.steps.map((s) => s.name));
    for (const s of plan.steps) {
      const mine = stmts.filter((x) => x.step === s.name);
      expect(mine.map((x) => x.index)).toEqual(mine.map((_, i) => i));
      expect(mine.every((x) => x.count === mine.length)).toBe(true);
    }
    expect(stmts.some((s) => s.step === "slow_stats" && /generate_series\(1, 1000\)/.test(s.sql))).toBe(true);
    expect(log.of("step-start")).toEqual([]);
  });

  it("a step over its timeout fails (rolled back) and its downstream is skipped", async () => {
    const src = writeSyntheticSource(tempDir(), 5);
    const plan = await compilePlan("etl", { source_dir: src, slow_n: "300000000" });
    plan.steps.find((s) => s.name === "slow_stats")!.timeoutSeconds = 0.2;
    const target = duckTarget(path.join(tempDir(), "timeout.duckdb"));
    const r = await localOrchestrator.execute(plan, target, {});
    expect(r.status).toBe("failed");
    const slow = r.steps.find((s) => s.name === "slow_stats")!;
    expect(slow).toMatchObject({ status: "failed", attempts: 1 });
    expect(slow.error).toMatch(/timed out after 0.2s/);
    expect(r.steps.find((s) => s.name === "person_summary")!.status).toBe("skipped");
    const conn = await connect(target);
    try {
      // The DROP and the CREATE ran in one transaction that was rolled back: no table.
      expect(await conn.query("SELECT table_name FROM information_schema.tables WHERE table_name = 'slow_stats'")).toEqual([]);
    } finally {
      await conn.close();
    }
  });

  it("an interrupt stops scheduling, rolls the running step back, records the run as interrupted; resume finishes it", async () => {
    const src = writeSyntheticSource(tempDir(), 20);
    const plan = await compilePlan("etl", { source_dir: src, slow_n: "100000000" });
    const target = duckTarget(path.join(tempDir(), "interrupt.duckdb"));
    const ac = new AbortController();
    const log = eventLog();
    const r = await localOrchestrator.execute(plan, target, {
      signal: ac.signal,
      onEvent: (e) => {
        log.onEvent(e);
        if (e.type === "step-start" && e.step === "slow_stats") ac.abort();
      },
    });
    expect(r.status).toBe("interrupted");
    expect(statusOf(r)).toMatchObject({ person: "succeeded", slow_stats: "cancelled", person_summary: "cancelled" });
    expect(log.of("step-cancel").map((e) => [e.step, e.started])).toEqual([
      ["slow_stats", true],
      ["person_summary", false],
    ]);
    const db = await ledgerOf(target);
    try {
      expect((await db.ledger.getRun(r.runId))!.status).toBe("interrupted");
      const steps = Object.fromEntries((await db.ledger.stepRuns(r.runId)).map((s) => [s.step, s.status]));
      expect(steps).toMatchObject({ slow_stats: "cancelled", person_summary: "cancelled", visit_occurrence: "succeeded" });
      expect(await db.conn.query("SELECT table_name FROM information_schema.tables WHERE table_name = 'slow_stats'")).toEqual([]);
    } finally {
      await db.close();
    }
    const r2 = await localOrchestrator.execute(plan, target, { resume: true });
    expect(r2.status).toBe("succeeded");
    expect(r2.steps.filter((s) => s.status === "succeeded").map((s) => s.name)).toEqual(["slow_stats", "person_summary"]);
  });

  it("runs only the selected steps; unselected dependencies count as done", async () => {
    const plan = await compilePlan("dag");
    const target = duckTarget(path.join(tempDir(), "select.duckdb"));
    await localOrchestrator.execute(plan, target, {});
    const log = eventLog();
    const r = await localOrchestrator.execute(plan, target, { selection: selectSteps(plan, ["b+"])!, onEvent: log.onEvent });
    expect(r.steps.map((s) => s.name)).toEqual(["b", "d"]);
    expect(log.of("step-start").map((e) => e.step)).toEqual(["b", "d"]);
    const db = await ledgerOf(target);
    try {
      expect((await db.ledger.stepRuns(r.runId)).map((s) => s.step)).toEqual(["b", "d"]);
    } finally {
      await db.close();
    }
  });
});
