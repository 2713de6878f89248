/**
 * What the engine tests of a compile fixture share: compiling it with --param values (failing on any error), and
 * rows made comparable across engines (bigint and numeric as numbers, dates as ISO days).
 */
import type { CompiledWorkflowPlan } from "../../../src/core/model/plan.js";
import { compileFixture } from "../../helpers/compile.js";

/** Compiles `dir`/workflow.yaml with `params`; throws with every diagnostic when it has errors. */
export async function compileFixturePlan(dir: string, params: Record<string, string>): Promise<CompiledWorkflowPlan> {
  const r = await compileFixture("workflow.yaml", dir, params);
  if (!r.plan) throw new Error(r.diagnostics.map((d) => `${d.code}: ${d.message}`).join("\n"));
  return r.plan;
}

export type Row = Record<string, unknown>;

/** Rows with numbers (engines return bigint/numeric as numbers or strings) and dates normalised. */
export const normalRows = (rows: Row[]): Row[] =>
  rows.map((r) =>
    Object.fromEntries(
      Object.entries(r).map(([k, v]) => [
        k,
        v instanceof Date ? v.toISOString().slice(0, 10) : typeof v === "bigint" || (typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v)) ? Number(v) : v,
      ]),
    ),
  );
