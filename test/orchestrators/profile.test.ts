import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localOrchestrator } from "../../src/orchestrators/local/local-orchestrator.js";
import { statementHead } from "../../src/orchestrators/local/step-profile.js";
import type { RunResult, RunTarget } from "../../src/orchestrators/orchestrator-api.js";
import { renderContextFromPlan } from "../../src/providers/provider-api.js";
import { formatProfile } from "../../src/cli/progress/profile-table.js";
import { compilePlan, dropPgSchemas, duckTarget, pgTarget, tempDir, writeSyntheticSource } from "./helpers/harness.js";
import { ensureBuilt, runCli } from "./helpers/cli.js";
import { specDir } from "../helpers/paths.js";

/**
 * `run --profile` (issue 16): every statement a step runs is timed under its phase, ledger calls included; the
 * profile lists exactly the statements the generator rendered for the step, in order, with the rows the driver
 * reported, on DuckDB and PostgreSQL; without --profile nothing is kept.
 */
const tag = `prof_${process.pid}_${Date.now().toString(36)}`;
afterAll(async () => {
  await dropPgSchemas(tag);
});

async function profiledRun(target: RunTarget): Promise<{ r: RunResult; plan: Awaited<ReturnType<typeof compilePlan>> }> {
  const src = writeSyntheticSource(tempDir(), 40);
  const plan = await compilePlan("etl", { source_dir: src });
  const r = await localOrchestrator.execute(plan, target, { profile: true });
  expect(r.status).toBe("succeeded");
  return { r, plan };
}

function expectProfiles(r: RunResult, plan: Awaited<ReturnType<typeof compilePlan>>, target: RunTarget) {
  // Each profiled run starts on a new database: the run found the id map empty, so its steps settle nothing.
  const ctx = { ...renderContextFromPlan(plan, target.config), idMapEmptyAtStart: true };
  for (const step of plan.steps) {
    const m = r.steps.find((s) => s.name === step.name)!;
    expect(m.profile, step.name).toBeDefined();
    const p = m.profile!;
    // the step's own statements: exactly what the generator rendered, in order
    const rendered = target.provider.generator.renderStep(step, ctx).statements.map((sql) => statementHead(sql));
    const own = p.statements.filter((x) => x.phase === "statements");
    expect(own.filter((x) => !x.sql.startsWith("BEGIN … COMMIT")).map((x) => x.sql), step.name).toEqual(rendered);
    // a transactional step's BEGIN and COMMIT are timed too (an engine may checkpoint at COMMIT)
    const { transactional } = target.provider.generator.renderStep(step, ctx);
    expect(own.filter((x) => x.sql.startsWith("BEGIN … COMMIT")).length, step.name).toBe(transactional ? 1 : 0);
    // every step writes the ledger (running, then its end)
    expect(p.statements.some((x) => x.phase === "ledger" && x.sql === "ledger.updateStep"), step.name).toBe(true);
    // phases add up to the statements recorded under them, and stay within the step's own time
    for (const phase of ["statements", "accounting", "coverage", "ledger"] as const) {
      const sum = p.statements.filter((x) => x.phase === phase).reduce((a, x) => a + x.ms, 0);
      expect(Math.abs(sum - p.phases[phase]), `${step.name} ${phase}`).toBeLessThan(1 + 0.1 * p.statements.length);
    }
    expect(p.phases.statements + p.phases.accounting + p.phases.coverage).toBeLessThanOrEqual((m.durationMs ?? 0) + 5);
  }
  // the person transform's write reports its rows
  const person = r.steps.find((s) => s.name === "person")!;
  expect(person.profile!.statements.some((x) => x.phase === "statements" && x.rows === 40)).toBe(true);
  // transforms count their rows (accounting) through the same connection
  expect(person.profile!.statements.some((x) => x.phase === "accounting")).toBe(true);
}

describe("run --profile", () => {
  it("DuckDB: each step's rendered statements timed in order, ledger calls and counts under their phases", async () => {
    const target = duckTarget(path.join(tempDir(), "prof.duckdb"));
    const { r, plan } = await profiledRun(target);
    expectProfiles(r, plan, target);
    const lines = formatProfile(r);
    expect(lines[1]).toMatch(/^step\s+total s\s+statements\s+accounting\s+coverage\s+ledger\s+slowest statement$/);
    expect(lines.at(-1)).toMatch(new RegExp(`^all ${plan.steps.length} steps\\s`));
    // without it, no profile is kept
    const plain = await localOrchestrator.execute(plan, duckTarget(path.join(tempDir(), "plain.duckdb")), {});
    expect(plain.steps.every((s) => s.profile === undefined)).toBe(true);
    expect(formatProfile(plain)).toEqual([]);
  });

  it("PostgreSQL: the same statements, timed over the wire", async () => {
    const target = pgTarget(tag);
    const { r, plan } = await profiledRun(target);
    expectProfiles(r, plan, target);
  });

  describe("CLI", () => {
    beforeAll(async () => {
      await ensureBuilt();
    });

    it("prints the slowest steps by phase and writes the profile JSON", () => {
      const dir = tempDir();
      const src = writeSyntheticSource(tempDir(), 20);
      const wf = path.resolve("test/orchestrators/fixtures/etl/workflow.yaml");
      const out = path.join(dir, "profile.json");
      const r = runCli(["run", wf, "--param", `source_dir=${src}`, "--spec-dir", specDir, "--profile", out], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/profile: the \d+ slowest of \d+ steps, seconds per phase/);
      expect(r.stdout).toMatch(/\nperson\s+\d+\.\d\d\s+\d+\.\d\d/);
      expect(existsSync(out)).toBe(true);
      const json = JSON.parse(readFileSync(out, "utf8")) as { steps: { name: string; phases: Record<string, number>; statements: unknown[] }[] };
      expect(json.steps.find((s) => s.name === "person")?.statements.length).toBeGreaterThan(0);
    });
  });
});
