import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunLedger } from "../../src/orchestrators/ledger/run-ledger.js";
import type { RunResult } from "../../src/orchestrators/orchestrator-api.js";
import { duckdbProvider } from "../../src/providers/duckdb/index.js";
import { postgresProvider } from "../../src/providers/postgres/index.js";
import type { Connection } from "../../src/providers/provider-api.js";
import { specDir } from "../helpers/paths.js";
import { ensureBuilt, jsonEvents, runCli, spawnCli, STACK_TRACE } from "./helpers/cli.js";
import { dropPgSchemas, dumpSchemas, orchestratorFixtures, PG_URL, pgSchemas, tempDir, writeSyntheticSource } from "./helpers/harness.js";

const wf = (name: string) => path.join(orchestratorFixtures, name, "workflow.yaml");

/** A project folder with a config naming DuckDB targets (and optionally more). */
function project(targets: Record<string, unknown> = {}): string {
  const dir = tempDir("omopetl-cli-");
  const all = { default: { provider: "duckdb", path: "./omop.duckdb" }, ...targets };
  writeFileSync(path.join(dir, "omopetl.config.yaml"), `spec: { dir: ${JSON.stringify(specDir)} }\ntargets: ${JSON.stringify(all)}\n`);
  return dir;
}

async function withDuck<T>(file: string, fn: (c: Connection) => Promise<T>): Promise<T> {
  const conn = await duckdbProvider.connect!({ provider: "duckdb", path: file });
  try {
    return await fn(conn);
  } finally {
    await conn.close();
  }
}

const pgBase = `orchcli_${randomBytes(3).toString("hex")}`;
const pgPrefixes: string[] = [];
const pgPrefix = (name: string) => {
  const p = `${pgBase}_${name}`;
  pgPrefixes.push(p);
  return p;
};

beforeAll(async () => {
  await ensureBuilt();
}, 120_000);
afterAll(async () => {
  for (const p of pgPrefixes) await dropPgSchemas(p);
});

describe("omopetl run / status", () => {
  it("runs on the embedded DuckDB file when no target is configured, printing one line per step and a summary", () => {
    const dir = tempDir("omopetl-cli-");
    const r = runCli(["run", wf("dag"), "--spec-dir", specDir], { cwd: dir });
    expect(r.stderr).toMatch(/no targets configured: using the embedded DuckDB database \.\/omop\.duckdb/);
    expect(r.code).toBe(0);
    expect(existsSync(path.join(dir, "omop.duckdb"))).toBe(true);
    expect(r.stderr).toMatch(/^✔ a {2}\d+\.\d\ds$/m);
    expect(r.stderr).toMatch(/^6 ok · \d+\.\d+s$/m);
    expect(r.stdout).toBe("");
    const s = runCli(["status", "--spec-dir", specDir], { cwd: dir });
    expect(s.code).toBe(0);
    expect(s.stdout).toMatch(/orch_dag\s+succeeded\s+\S+ \S+\s+\S+\s+6\s+0\s+0\s+0/);
  });

  it("a failing step: exit 1, its error, skipped dependents, a resume hint; status shows the error; --resume finishes", async () => {
    const dir = project();
    const r = runCli(["run", wf("failing")], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^✖ boom failed: at statement 2: Conversion Error: Could not convert string 'boom' to INT32 \(attempt 1\/3\)$/m);
    // The failure names the step's DML file, right under its error.
    expect(r.stderr).toMatch(/^✖ boom failed: [^\n]*\n(?: {4}[^\n]*\n)* {4}in dml\/boom\.yaml$/m);
    expect(r.stderr).toMatch(/^↷ after_boom skipped \(depends on boom\)$/m);
    expect(r.stderr).toMatch(/^↷ after_after skipped \(depends on boom\)$/m);
    expect(r.stderr).toMatch(new RegExp(`^4 ok · 1 failed · 2 skipped · \\d+\\.\\d+s {4}resume with: omopetl run ${wf("failing").replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} --resume$`, "m"));
    expect(r.stderr).not.toMatch(STACK_TRACE);

    const list = runCli(["status"], { cwd: dir });
    const runId = /^(\d{8}T\d{9}Z-[0-9a-f]{8})\s+orch_failing\s+failed/m.exec(list.stdout)?.[1];
    expect(runId, list.stdout).toBeDefined();
    const detail = runCli(["status", runId!], { cwd: dir });
    expect(detail.code).toBe(0);
    expect(detail.stdout).toMatch(/^boom\s+failed\s+1\s/m);
    expect(detail.stdout).toMatch(/^after_boom\s+skipped\s+depends on boom$/m);
    expect(detail.stdout).toMatch(/boom failed after 1 attempt:\n {2}at statement 2: Conversion Error/);

    await withDuck(path.join(dir, "omop.duckdb"), (c) => c.execute("INSERT INTO staging.fix VALUES (1)"));
    const resumed = runCli(["run", wf("failing"), "--resume"], { cwd: dir });
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(new RegExp(`↺ resuming run ${runId}: 4 steps reused, 3 to run`));
    expect(resumed.stderr).toMatch(/^3 ok · 4 reused · /m);
    const again = runCli(["status", "--json"], { cwd: dir });
    const runs = (JSON.parse(again.stdout) as { runs: { runId: string; status: string; resumedFrom?: string }[] }).runs;
    expect(runs[0]).toMatchObject({ status: "succeeded", resumedFrom: runId });
  });

  it("--log-format json prints one event per line; --metrics-out writes the run's metrics", () => {
    const dir = project();
    const r = runCli(["run", wf("failing"), "--log-format", "json", "--metrics-out", "out/run.json"], { cwd: dir });
    expect(r.code).toBe(1);
    const events = jsonEvents(r.stdout);
    expect(events[0]!.type).toBe("run-start");
    expect(events.at(-1)!.type).toBe("run-end");
    expect(events.filter((e) => e.type === "step-failure").map((e) => e["step"])).toEqual(["boom"]);
    expect(events.filter((e) => e.type === "step-failure").map((e) => e["file"])).toEqual(["dml/boom.yaml"]);
    expect(events.filter((e) => e.type === "step-skip").map((e) => [e["step"], e["dependency"]])).toEqual([
      ["after_boom", "boom"],
      ["after_after", "boom"],
    ]);
    const metrics = JSON.parse(readFileSync(path.join(dir, "out/run.json"), "utf8")) as RunResult;
    expect(metrics).toMatchObject({ workflow: "orch_failing", status: "failed", orchestrator: "local", totals: { steps: 7, succeeded: 4, failed: 1, skipped: 2 } });
    expect(metrics.runId).toBe((events[0] as unknown as { runId: string }).runId);
    for (const s of metrics.steps) expect(s).toHaveProperty("attempts");
    expect(metrics.steps.find((s) => s.name === "base")!.durationMs).toBeGreaterThanOrEqual(0);
  });

  it("--dry-run prints every statement as a SQL script in execution order and creates no database", () => {
    const dir = project();
    const r = runCli(["run", wf("dag"), "--dry-run"], { cwd: dir });
    expect(r.code).toBe(0);
    expect(existsSync(path.join(dir, "omop.duckdb"))).toBe(false);
    const headers = [...r.stdout.matchAll(/^-- step (\w+): (\d+) statements? in one transaction$/gm)].map((m) => m[1]);
    expect(headers).toEqual(["a", "e", "b", "c", "f", "d"]);
    expect(r.stdout).toMatch(/^CREATE TABLE staging\.d AS SELECT b\.v \+ c\.v AS v FROM staging\.b AS b CROSS JOIN staging\.c AS c;$/m);
  });

  it("selects steps with dbt-like selectors and runs a compiled plan.json", () => {
    const dir = project();
    const c = runCli(["compile", wf("dag"), "-o", "plan.json", "--spec-dir", specDir], { cwd: dir });
    expect(c.code).toBe(0);
    const r = runCli(["run", "plan.json", "--select", "+c", "e+", "--log-format", "json"], { cwd: dir });
    expect(r.code).toBe(0);
    expect(jsonEvents(r.stdout).filter((e) => e.type === "step-success").map((e) => e["step"])).toEqual(["a", "e", "c", "f"]);
    const x = runCli(["run", "plan.json", "--exclude", "a+", "--log-format", "json"], { cwd: dir });
    expect(jsonEvents(x.stdout).filter((e) => e.type === "step-success").map((e) => e["step"])).toEqual(["e", "f"]);
  });

  it("usage and configuration errors exit 2 with a diagnostic, never a stack trace", () => {
    const dir = project();
    const cases: [string[], RegExp][] = [
      [["run", wf("dag"), "--target", "prod"], /no target named "prod".*Targets: default/s],
      [["run", wf("dag"), "--select", "dd"], /UNKNOWN_STEP: "dd" selects step "dd", which is not in the plan\. Did you mean "d"\?/],
      [["run", wf("dag"), "--concurrency", "0"], /--concurrency must be a positive integer/],
      [["run", wf("dag"), "--orchestrator", "airflow"], /ORCHESTRATOR_NOT_FOUND: orchestrator "airflow" not found: tried omopetl-orchestrator-airflow, airflow/],
      [["run", wf("dag"), "--resume", "20990101T000000000Z-00000000"], /RUN_NOT_FOUND/],
      [["run", "missing-plan.json"], /PLAN_INVALID: cannot read the plan: no such file/],
      [["run", wf("dag"), "--log-format", "xml"], /argument 'xml' is invalid/],
      [["status", "20990101T000000000Z-00000000"], /RUN_NOT_FOUND/],
    ];
    for (const [args, message] of cases) {
      const r = runCli(args, { cwd: dir });
      expect(r.code, `${args.join(" ")}\n${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(STACK_TRACE);
    }
    writeFileSync(path.join(dir, "plan.json"), "{}");
    const p = runCli(["run", "plan.json", "-p", "x=1"], { cwd: dir });
    expect(p.code).toBe(2);
    expect(p.stderr).toMatch(/--param cannot change a compiled plan/);
  });

  it("runs a third-party orchestrator given as a module path", () => {
    const dir = project();
    writeFileSync(
      path.join(dir, "echo-orchestrator.mjs"),
      `export const orchestrator = {
  name: "echo", apiVersion: 1,
  async execute(plan, target, options) {
    const now = new Date().toISOString();
    const steps = plan.steps.map((s) => ({ name: s.name, status: "succeeded", attempts: 1, rows: {} }));
    const result = { runId: "echo-1", orchestrator: "echo", workflow: plan.name, planFingerprint: plan.fingerprint, target: target.description,
      status: "succeeded", dryRun: false, concurrency: 1, startedAt: now, endedAt: now, durationMs: 0,
      totals: { steps: steps.length, succeeded: steps.length, failed: 0, skipped: 0, reused: 0, cancelled: 0, attempts: steps.length, rowsAffected: 0, rowsInserted: 0, rowsUpdated: 0, rowsDeleted: 0 }, steps };
    options.onEvent?.({ type: "run-end", time: now, runId: "echo-1", status: "succeeded", result });
    return result;
  },
};\n`,
    );
    const r = runCli(["run", wf("dag"), "--orchestrator", "./echo-orchestrator.mjs"], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^6 ok · /m);
    writeFileSync(path.join(dir, "bad.mjs"), "export default { name: 'bad' };\n");
    const bad = runCli(["run", wf("dag"), "--orchestrator", "./bad.mjs"], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/ORCHESTRATOR_INVALID: orchestrator "\.\/bad\.mjs" does not export a valid orchestrator: apiVersion must be 1/);
  });

  it("never prints a target's password (text, JSON, metrics, ledger)", async () => {
    const p = pgPrefix("secret");
    const secret = "Sup3r-s3cret-pw";
    const dir = project({ warehouse: { provider: "postgres", url: "${env:OMOPETL_TEST_URL}", schemas: pgSchemas(p) } });
    const env = { OMOPETL_TEST_URL: PG_URL.replace("postgres@", `postgres:${secret}@`) };
    const text = runCli(["run", wf("failing"), "--target", "warehouse"], { cwd: dir, env });
    expect(text.code).toBe(1);
    expect(text.stderr).toMatch(/postgres postgres:\/\/postgres:\*\*\*@127\.0\.0\.1/);
    const json = runCli(["run", wf("failing"), "--target", "warehouse", "--log-format", "json", "--metrics-out", "m.json"], { cwd: dir, env });
    const status = runCli(["status", "--target", "warehouse"], { cwd: dir, env });
    expect(status.code).toBe(0);
    for (const out of [text.stdout, text.stderr, json.stdout, json.stderr, readFileSync(path.join(dir, "m.json"), "utf8"), status.stdout]) {
      expect(out).not.toContain(secret);
    }
    const conn = await postgresProvider.connect!({ provider: "postgres", url: PG_URL });
    try {
      const rows = await conn.query(`SELECT * FROM "${p}_staging".omopetl_run`);
      expect(rows.length).toBe(2);
      expect(JSON.stringify(rows)).not.toContain(secret);
    } finally {
      await conn.close();
    }
  });

  it("SIGINT: no new steps, the running one rolls back, exit 130, the ledger says interrupted", async () => {
    const dir = project();
    const src = writeSyntheticSource(tempDir(), 10);
    const cli = spawnCli(["run", wf("etl"), "-p", `source_dir=${src}`, "-p", "slow_n=300000000", "--log-format", "json"], { cwd: dir });
    await cli.waitForLine((l) => l.includes('"type":"step-start"') && l.includes('"step":"slow_stats"'));
    cli.child.kill("SIGINT");
    const r = await cli.exited;
    expect(r.code).toBe(130);
    const events = jsonEvents(r.stdout);
    const end = events.at(-1) as unknown as { type: string; status: string; runId: string };
    expect(end).toMatchObject({ type: "run-end", status: "interrupted" });
    await withDuck(path.join(dir, "omop.duckdb"), async (c) => {
      const ledger = new RunLedger(c, "staging", duckdbProvider.generator);
      expect((await ledger.getRun(end.runId))!.status).toBe("interrupted");
      const steps = Object.fromEntries((await ledger.stepRuns(end.runId)).map((s) => [s.step, s.status]));
      expect(steps).toMatchObject({ visit_occurrence: "succeeded", slow_stats: "cancelled", person_summary: "cancelled" });
      expect(await c.query("SELECT table_name FROM information_schema.tables WHERE table_name = 'slow_stats'")).toEqual([]);
    });
  }, 120_000);

  it("DuckDB: a run killed with SIGKILL mid-step and resumed ends with exactly the tables of a clean run", async () => {
    const dir = project({ clean: { provider: "duckdb", path: "./clean.duckdb" }, killed: { provider: "duckdb", path: "./killed.duckdb" } });
    const src = writeSyntheticSource(tempDir(), 40);
    const args = ["run", wf("etl"), "-p", `source_dir=${src}`, "-p", "slow_n=300000000"];
    const clean = runCli([...args, "--target", "clean"], { cwd: dir });
    expect(clean.code, clean.stderr).toBe(0);

    const cli = spawnCli([...args, "--target", "killed", "--log-format", "json"], { cwd: dir });
    const started = await cli.waitForLine((l) => l.includes('"type":"step-start"') && l.includes('"step":"slow_stats"'));
    // The ledger row says "running" before this event is emitted; the slow statement takes seconds.
    cli.child.kill("SIGKILL");
    const killed = await cli.exited;
    expect(killed.signal).toBe("SIGKILL");
    const runId = (JSON.parse(started) as { runId: string }).runId;
    await withDuck(path.join(dir, "killed.duckdb"), async (c) => {
      const ledger = new RunLedger(c, "staging", duckdbProvider.generator);
      expect((await ledger.getRun(runId))!.status).toBe("running");
      const steps = Object.fromEntries((await ledger.stepRuns(runId)).map((s) => [s.step, s.status]));
      expect(steps).toMatchObject({ person: "succeeded", visit_occurrence: "succeeded", slow_stats: "running", person_summary: "pending" });
    });

    const resumed = runCli([...args, "--target", "killed", "--resume", "--log-format", "json"], { cwd: dir });
    expect(resumed.code, resumed.stderr).toBe(0);
    const start = jsonEvents(resumed.stdout)[0] as unknown as { resumedFrom: string; steps: string[] };
    expect(start.resumedFrom).toBe(runId);
    expect(start.steps).toEqual(["slow_stats", "person_summary"]);

    const dump = (file: string) => withDuck(path.join(dir, file), (c) => dumpSchemas(c, ["source", "staging", "cdm"]));
    const a = await dump("clean.duckdb");
    expect(Object.keys(a)).toContain("staging.slow_stats");
    expect(a["cdm.person"]!.rows).toBe(40);
    expect(await dump("killed.duckdb")).toEqual(a);
  }, 180_000);

  it("PostgreSQL: killed with SIGKILL when the ledger shows the slow step running, then resumed: same tables as a clean run", async () => {
    const cleanP = pgPrefix("clean");
    const killedP = pgPrefix("killed");
    const dir = project({
      clean: { provider: "postgres", url: PG_URL, schemas: pgSchemas(cleanP) },
      killed: { provider: "postgres", url: PG_URL, schemas: pgSchemas(killedP) },
    });
    const src = writeSyntheticSource(tempDir(), 40);
    const args = ["run", wf("etl"), "-p", `source_dir=${src}`, "-p", "slow_n=30000000"];
    const clean = runCli([...args, "--target", "clean"], { cwd: dir });
    expect(clean.code, clean.stderr).toBe(0);

    const cli = spawnCli([...args, "--target", "killed"], { cwd: dir });
    const conn = await postgresProvider.connect!({ provider: "postgres", url: PG_URL });
    try {
      // Poll the ledger (in the target's staging schema) until slow_stats is running, then SIGKILL.
      let runId: string | undefined;
      for (let i = 0; i < 1200 && !runId && cli.child.exitCode === null; i++) {
        const rows = await conn
          .query<{ run_id: string }>(`SELECT run_id FROM "${killedP}_staging".omopetl_step_run WHERE step_name = 'slow_stats' AND status = 'running'`)
          .catch(() => []);
        runId = rows[0]?.run_id;
        if (!runId) await new Promise((r) => setTimeout(r, 50));
      }
      expect(runId).toBeDefined();
      cli.child.kill("SIGKILL");
      expect((await cli.exited).signal).toBe("SIGKILL");
      const ledger = new RunLedger(conn, `${killedP}_staging`, postgresProvider.generator);
      expect((await ledger.getRun(runId!))!.status).toBe("running");

      const resumed = runCli([...args, "--target", "killed", "--resume"], { cwd: dir });
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stderr).toMatch(new RegExp(`↺ resuming run ${runId}: 6 steps reused, 2 to run`));
      const [latest] = await ledger.listRuns({ limit: 1 });
      expect(latest).toMatchObject({ status: "succeeded", resumedFrom: runId, totals: { reused: 6, succeeded: 2 } });
    } finally {
      await conn.close();
    }
    const dump = async (p: string) => {
      const c = await postgresProvider.connect!({ provider: "postgres", url: PG_URL });
      try {
        const d = await dumpSchemas(c, [...new Set(Object.values(pgSchemas(p)))]);
        return Object.fromEntries(Object.entries(d).map(([k, v]) => [k.replace(`${p}_`, ""), v]));
      } finally {
        await c.close();
      }
    };
    const a = await dump(cleanP);
    expect(a["staging.slow_stats"]!.rows).toBe(1);
    expect(await dump(killedP)).toEqual(a);
  }, 180_000);
});
