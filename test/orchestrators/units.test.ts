import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { OmopetlError } from "../../src/core/diagnostics/diagnostic.js";
import { isoFromDb } from "../../src/orchestrators/ledger/ledger-values.js";
import { BaseLedgerSql } from "../../src/providers/base/ledger-sql.js";
import { ANSI_QUOTING } from "../../src/providers/base/sql-quoting.js";
import type { LedgerStepRun } from "../../src/orchestrators/ledger/run-ledger.js";
import { scheduleDag, type DagNode } from "../../src/orchestrators/local/dag-scheduler.js";
import { stepRows } from "../../src/orchestrators/metrics.js";
import { maskSecrets, redactUrl } from "../../src/orchestrators/redact.js";
import { loadOrchestratorModule, resolveOrchestrator } from "../../src/orchestrators/registry.js";
import { reusableSteps } from "../../src/orchestrators/resume.js";
import { isValidRunId, newRunId } from "../../src/orchestrators/run-id.js";
import { parseSelector, selectSteps } from "../../src/orchestrators/selection.js";
import { isTransientError } from "../../src/orchestrators/transient.js";
import { SqlExecutionError } from "../../src/providers/provider-api.js";
import { compilePlan, tempDir } from "./helpers/harness.js";

describe("selectors", () => {
  it("parses step, step+, +step, +step+ and rejects the rest", () => {
    expect(parseSelector("b")).toEqual({ step: "b", upstream: false, downstream: false });
    expect(parseSelector("b+")).toEqual({ step: "b", upstream: false, downstream: true });
    expect(parseSelector("+b")).toEqual({ step: "b", upstream: true, downstream: false });
    expect(parseSelector("+b+")).toEqual({ step: "b", upstream: true, downstream: true });
    for (const bad of ["", "+", "++b", "b++", "a b", "1x"]) expect(() => parseSelector(bad)).toThrow(OmopetlError);
  });

  it("expands over the compiled DAG (a -> b, c -> d; e -> f)", async () => {
    const plan = await compilePlan("dag");
    const sorted = (s: Set<string> | undefined) => [...(s ?? [])].sort();
    expect(selectSteps(plan)).toBeUndefined();
    expect(sorted(selectSteps(plan, ["b"]))).toEqual(["b"]);
    expect(sorted(selectSteps(plan, ["b+"]))).toEqual(["b", "d"]);
    expect(sorted(selectSteps(plan, ["+d"]))).toEqual(["a", "b", "c", "d"]);
    expect(sorted(selectSteps(plan, ["+b+", "e"]))).toEqual(["a", "b", "d", "e"]);
    expect(sorted(selectSteps(plan, [], ["a+"]))).toEqual(["e", "f"]);
    expect(sorted(selectSteps(plan, ["a+"], ["d"]))).toEqual(["a", "b", "c"]);
    // A closure is walked in full even when part of it was selected by an earlier selector.
    expect(sorted(selectSteps(plan, ["b", "+d"]))).toEqual(["a", "b", "c", "d"]);
  });

  it("unknown steps and empty selections are usage errors (exit 2) with a suggestion", async () => {
    const plan = await compilePlan("dag");
    const e = (() => {
      try {
        selectSteps(plan, ["dd+"]);
      } catch (x) {
        return x as OmopetlError;
      }
      throw new Error("no error");
    })();
    expect(e.exitCode).toBe(2);
    expect(e.diagnostic.code).toBe("UNKNOWN_STEP");
    expect(e.message).toMatch(/Did you mean "d"\?/);
    expect(() => selectSteps(plan, ["a"], ["a"])).toThrow(/no step to run/);
  });
});

describe("transient errors", () => {
  const wrap = (driver: unknown) => new SqlExecutionError("s", 0, "SELECT 1", driver);
  it("retries lost connections, serialization failures, deadlocks and DuckDB write conflicts", () => {
    expect(isTransientError(wrap(Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" })))).toBe(true);
    expect(isTransientError(wrap(Object.assign(new Error("could not serialize access"), { code: "40001" })))).toBe(true);
    expect(isTransientError(wrap(Object.assign(new Error("deadlock detected"), { code: "40P01" })))).toBe(true);
    expect(isTransientError(wrap(Object.assign(new Error("connection failure"), { code: "08006" })))).toBe(true);
    expect(isTransientError(wrap(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" })))).toBe(true);
    expect(isTransientError(wrap(new Error("Connection terminated unexpectedly")))).toBe(true);
    expect(isTransientError(wrap(new Error("TransactionContext Error: Catalog write-write conflict on create with \"x\"")))).toBe(true);
    expect(isTransientError(Object.assign(new Error("anything"), { transient: true }))).toBe(true);
    // Two concurrent CREATE SCHEMA IF NOT EXISTS on PostgreSQL.
    expect(isTransientError(wrap(Object.assign(new Error('duplicate key value violates unique constraint "pg_namespace_nspname_index"'), { code: "23505" })))).toBe(true);
  });
  it("fails fast on everything else", () => {
    expect(isTransientError(wrap(Object.assign(new Error('syntax error at or near "selec"'), { code: "42601" })))).toBe(false);
    expect(isTransientError(wrap(Object.assign(new Error("duplicate key"), { code: "23505" })))).toBe(false);
    expect(isTransientError(wrap(new Error("Conversion Error: Could not convert string 'boom' to INT32")))).toBe(false);
    expect(isTransientError(wrap(new Error("Catalog Error: Table with name nope does not exist!")))).toBe(false);
    // The SQL text quoted in a wrapper's message does not count.
    expect(isTransientError(new SqlExecutionError("s", 0, "SELECT 'deadlock detected'", new Error("Parser Error: x")))).toBe(false);
    expect(isTransientError(Object.assign(new Error("connection reset"), { permanent: true }))).toBe(false);
  });
});

describe("run ids, SQL literals, secrets", () => {
  it("run ids sort by start time and are unique", () => {
    const a = newRunId(new Date("2025-01-02T03:04:05.006Z"));
    const b = newRunId(new Date("2025-01-02T03:04:05.007Z"));
    expect(a).toMatch(/^20250102T030405006Z-[0-9a-f]{8}$/);
    expect(a < b).toBe(true);
    const many = new Set(Array.from({ length: 1000 }, () => newRunId(new Date(0))));
    expect(many.size).toBe(1000);
    expect(isValidRunId(a)).toBe(true);
    expect(isValidRunId("x'; DROP TABLE t; --")).toBe(false);
  });
  it("quotes identifiers and strings portably", () => {
    const sql = new BaseLedgerSql(ANSI_QUOTING);
    expect(sql.insert({ schema: "s", name: 'we"ird' }, ["a", "b", "c"], [["it's\u0000", new Date("2025-01-02T03:04:05.006Z"), null]])).toBe(
      `INSERT INTO "s"."we""ird" ("a", "b", "c")\nVALUES\n('it''s\uFFFD', TIMESTAMP '2025-01-02 03:04:05.006', NULL)`,
    );
    expect(isoFromDb("2025-01-02 03:04:05.006789")).toBe("2025-01-02T03:04:05.006Z");
    expect(isoFromDb("2025-01-02 03:04:05")).toBe("2025-01-02T03:04:05.000Z");
  });
  it("masks secrets and URL passwords", () => {
    expect(redactUrl("postgres://etl:s3cr3t@db:5432/omop")).toBe("postgres://etl:***@db:5432/omop");
    expect(maskSecrets("could not log in with s3cr3t", ["s3cr3t"])).toBe("could not log in with ***");
  });
});

describe("row counts", () => {
  it("reports the result statement and per-verb sums, not the id map's inserts", () => {
    const rendered = {
      statements: ["CREATE TABLE IF NOT EXISTS x (a int)", "INSERT INTO idmap SELECT 1", "DELETE FROM t", "WITH s AS (SELECT 1) INSERT INTO t SELECT * FROM s"],
      transactional: true,
      resultStatement: 3,
    };
    expect(stepRows(rendered, { rowCounts: [undefined, 5, 7, 27], rowCount: 27 })).toEqual({ affected: 27, verb: "inserted", inserted: 27, deleted: 7 });
    expect(stepRows({ statements: ["MERGE INTO t USING s ON x WHEN NOT MATCHED THEN INSERT VALUES (1)"], transactional: true, resultStatement: 0 }, { rowCounts: [4], rowCount: 4 })).toEqual({
      affected: 4,
      verb: "merged",
    });
    expect(stepRows({ statements: ["UPDATE t SET a = 1", "INSERT INTO u VALUES (1)"], transactional: false }, { rowCounts: [2, 1] })).toEqual({ affected: 3, updated: 2, inserted: 1 });
  });

  it("leaves bookkeeping statements out and counts a merge's rows whose source is gone", () => {
    const rendered = {
      statements: ["DELETE FROM idkeys", "MERGE INTO t USING s ON x WHEN NOT MATCHED THEN INSERT VALUES (1)", "CREATE TEMPORARY TABLE n AS SELECT 1", "DELETE FROM t", "DELETE FROM ledger", "INSERT INTO ledger SELECT 1"],
      transactional: true,
      resultStatement: 1,
      staleRowsStatement: 3,
      bookkeepingStatements: [0, 4, 5],
    };
    expect(stepRows(rendered, { rowCounts: [9, 4, undefined, 2, 3, 1], rowCount: 4 })).toEqual({ affected: 4, verb: "merged", deleted: 2, sourceGone: 2 });
  });
});

describe("resume: which steps are reused", () => {
  it("reuses unchanged completed steps whose upstream is reused; a rerun step reruns its downstream", async () => {
    const plan = await compilePlan("dag");
    const fp = new Map(plan.steps.map((s) => [s.name, s.fingerprint]));
    const row = (step: string, status: LedgerStepRun["status"], fingerprint = fp.get(step)!): LedgerStepRun => ({
      runId: "r1",
      step,
      fingerprint,
      kind: "sql",
      level: 0,
      status,
      attempts: 1,
      rows: {},
    });
    // a ok, b failed, c ok, d skipped, e ok with another fingerprint, f ok.
    const prev = [row("a", "succeeded"), row("b", "failed"), row("c", "succeeded"), row("d", "skipped"), row("e", "succeeded", "old"), row("f", "succeeded")];
    const reused = reusableSteps(plan, prev, "r1");
    expect([...reused.keys()].sort()).toEqual(["a", "c"]);
    // Reuse chains point at the run that did the work.
    const chained = reusableSteps(plan, [{ ...row("a", "reused"), reusedFrom: "r0" }, row("c", "succeeded")], "r1");
    expect(Object.fromEntries(chained)).toEqual({ a: "r0", c: "r1" });
    // Outside the selection, a dependency does not force a rerun.
    expect([...reusableSteps(plan, [row("c", "succeeded")], "r1", new Set(["c", "d"])).keys()]).toEqual(["c"]);
  });
});

describe("DAG scheduler", () => {
  /** Nodes whose completion the test controls, recording what was running when each started. */
  function controlled(nodes: DagNode[]) {
    const gates = new Map<string, { resolve: (o: "succeeded" | "failed") => void }>();
    const started: string[] = [];
    let running = 0;
    let maxRunning = 0;
    const run = (n: DagNode) =>
      new Promise<"succeeded" | "failed">((resolve) => {
        started.push(n.name);
        running++;
        maxRunning = Math.max(maxRunning, running);
        gates.set(n.name, {
          resolve: (o) => {
            running--;
            resolve(o);
          },
        });
      });
    const finish = async (name: string, o: "succeeded" | "failed" = "succeeded") => {
      for (let i = 0; i < 50 && !gates.has(name); i++) await new Promise((r) => setImmediate(r));
      gates.get(name)!.resolve(o);
      await new Promise((r) => setImmediate(r));
    };
    return { run, finish, started, max: () => maxRunning, nodes };
  }

  const diamond: DagNode[] = [
    { name: "a", dependsOn: [] },
    { name: "e", dependsOn: [] },
    { name: "b", dependsOn: ["a"] },
    { name: "c", dependsOn: ["a"] },
    { name: "f", dependsOn: ["e"] },
    { name: "d", dependsOn: ["b", "c"] },
  ];

  it("starts ready steps at once up to the concurrency and never before their dependencies", async () => {
    const c = controlled(diamond);
    const skipped: string[] = [];
    const done = scheduleDag({
      nodes: diamond,
      satisfied: new Set(),
      concurrency: 2,
      signal: new AbortController().signal,
      run: c.run,
      onSkip: async (n) => void skipped.push(n.name),
      onNotStarted: async () => undefined,
    });
    await c.finish("a");
    expect(c.started).toEqual(["a", "e", "b"]);
    await c.finish("e");
    expect(c.started).toEqual(["a", "e", "b", "c"]);
    await c.finish("b");
    expect(c.started).toEqual(["a", "e", "b", "c", "f"]);
    await c.finish("c");
    expect(c.started.at(-1)).toBe("d");
    await c.finish("f");
    await c.finish("d");
    await done;
    expect(c.max()).toBe(2);
    expect(skipped).toEqual([]);
  });

  it("a failure skips only what depends on it; an abort leaves the rest unstarted", async () => {
    const c = controlled(diamond);
    const skipped: string[] = [];
    const notStarted: string[] = [];
    const ac = new AbortController();
    const done = scheduleDag({
      nodes: diamond,
      satisfied: new Set(),
      concurrency: 1,
      signal: ac.signal,
      run: c.run,
      onSkip: async (n, dep) => void skipped.push(`${n.name}<-${dep}`),
      onNotStarted: async (n) => void notStarted.push(n.name),
    });
    await c.finish("a");
    await c.finish("e");
    await c.finish("b", "failed");
    expect(skipped).toEqual(["d<-b"]);
    ac.abort();
    await c.finish("c");
    await done;
    expect(c.started).toEqual(["a", "e", "b", "c"]);
    expect(notStarted).toEqual(["f"]);
  });
});

describe("orchestrator resolution", () => {
  it("finds the built-in local orchestrator and loads and validates modules from the project directory", async () => {
    expect((await resolveOrchestrator("local", { projectDir: process.cwd() })).name).toBe("local");
    const dir = tempDir();
    writeFileSync(path.join(dir, "good.mjs"), "export default { name: 'echo', apiVersion: 1, async execute() { return null; } };\n");
    writeFileSync(path.join(dir, "bad.mjs"), "export const orchestrator = { name: 'bad', apiVersion: 2 };\n");
    expect((await loadOrchestratorModule("./good.mjs", dir)).name).toBe("echo");
    await expect(loadOrchestratorModule("./bad.mjs", dir)).rejects.toThrow(/apiVersion must be 1.*execute must be a function/);
    await expect(resolveOrchestrator("airflow", { projectDir: dir })).rejects.toThrow(/omopetl-orchestrator-airflow/);
    // Configured modules are known by their exported name.
    expect((await resolveOrchestrator("echo", { projectDir: dir, configured: ["./good.mjs"] })).name).toBe("echo");
  });
});
