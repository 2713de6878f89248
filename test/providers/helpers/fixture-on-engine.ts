/**
 * A golden compile fixture run on a real engine: its workflow compiled with `source_dir` pointed at a temporary
 * folder holding `files`, an engine opened for the describe block (beforeAll/afterAll registered here), and helpers
 * to run its steps and read rows back.
 */
import { afterAll, beforeAll } from "vitest";
import type { CompiledWorkflowPlan, PlanStep } from "../../../src/core/model/plan.js";
import type { RenderContext } from "../../../src/providers/provider-api.js";
import { compileFixture } from "../../helpers/compile.js";
import type { Engine, EngineName } from "./engines.js";
import { openEngine, readableTempDir, removeDir, runStep, writeReadable } from "./engines.js";

type Row = Record<string, unknown>;

/** The fixture's plan with `source_dir` set (compile errors thrown, one a line). */
export async function compileWithSource(fixtureDir: string, sourceDir: string): Promise<CompiledWorkflowPlan> {
  const r = await compileFixture("workflow.yaml", fixtureDir, { source_dir: sourceDir });
  if (!r.plan) throw new Error(r.diagnostics.map((d) => `${d.code}: ${d.message}`).join("\n"));
  return r.plan;
}

export interface FixtureOnEngine {
  readonly engine: Engine;
  readonly plan: CompiledWorkflowPlan;
  readonly ctx: RenderContext;
  /** A staging table's physical name. */
  staging(table: string): string;
  /** Rows of a query, each value passed through `normal`. */
  rows(sql: string): Promise<Row[]>;
  /** Runs the plan's steps (those `only` keeps) in order: rows written per step. */
  runAll(only?: (step: PlanStep) => boolean): Promise<Record<string, number | undefined>>;
}

/** Registers the set-up and tear-down of `fixtureDir` on `engineName` in the enclosing describe block. */
export function fixtureOnEngine(
  engineName: EngineName,
  label: string,
  fixtureDir: string,
  files: Record<string, string>,
  normal: (key: string, value: unknown) => unknown,
): FixtureOnEngine {
  let engine: Engine | undefined;
  let plan: CompiledWorkflowPlan | undefined;
  let dir: string | undefined;
  const need = <T>(x: T | undefined): T => {
    if (x === undefined) throw new Error("fixtureOnEngine: used before its beforeAll ran");
    return x;
  };
  beforeAll(async () => {
    engine = await openEngine(engineName, label);
    dir = await readableTempDir();
    for (const [name, text] of Object.entries(files)) await writeReadable(dir, name, text);
    plan = await compileWithSource(fixtureDir, dir);
  });
  afterAll(async () => {
    await engine?.dispose();
    if (dir) await removeDir(dir);
  });
  const self: FixtureOnEngine = {
    get engine() {
      return need(engine);
    },
    get plan() {
      return need(plan);
    },
    get ctx(): RenderContext {
      return { tables: self.plan.tables, schemas: self.engine.schemas, idMap: self.plan.idMap };
    },
    staging: (table) => `"${self.engine.schemas["staging"]}".${table}`,
    rows: async (sql) => (await self.engine.conn.query(sql)).map((r: Row) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, normal(k, v)]))),
    runAll: async (only = () => true) => {
      const counts: Record<string, number | undefined> = {};
      for (const step of self.plan.steps.filter(only)) counts[step.name] = await runStep(self.engine, step, self.ctx);
      return counts;
    },
  };
  return self;
}
