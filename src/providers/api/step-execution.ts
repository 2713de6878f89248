/** Running a plan step through a provider: its render context, and the execution of its rendered statements (part of `omopetl/provider`). */
import type { CompiledWorkflowPlan } from "../../core/model/plan.js";
import { SqlExecutionError } from "../provider-errors.js";
import type { TransactionSupport } from "./capabilities.js";
import type { Connection, TargetConfig } from "./connection.js";
import type { RenderContext, RenderedStep } from "./generator.js";

/** The render context of a plan on a target: the plan's schema names overridden by the target's, its `indexes:`. */
export function renderContextFromPlan(
  plan: Pick<CompiledWorkflowPlan, "tables" | "schemas" | "idMap"> & Partial<Pick<CompiledWorkflowPlan, "steps">>,
  target?: Readonly<Pick<TargetConfig, "schemas" | "indexes">>,
): RenderContext {
  const ctx: RenderContext = { tables: plan.tables, schemas: { ...plan.schemas, ...(target?.schemas ?? {}) }, idMap: plan.idMap };
  if (typeof target?.indexes === "boolean") ctx.indexes = target.indexes;
  if (plan.steps) {
    ctx.idAssigners = idAssignersOf(plan.steps);
    ctx.mergeWriters = mergeWritersOf(plan.steps);
  }
  return ctx;
}

/** Target table (logical `schema.name`) -> the steps writing it in mode merge, sorted (see {@link RenderContext.mergeWriters}). */
export function mergeWritersOf(steps: CompiledWorkflowPlan["steps"]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const step of steps) {
    if (step.body.kind !== "transform" || step.body.mode !== "merge") continue;
    const list = (out[`${step.body.target.schema}.${step.body.target.name}`] ??= []);
    if (!list.includes(step.name)) list.push(step.name);
  }
  for (const list of Object.values(out)) list.sort();
  return out;
}

/** Id domain -> the steps assigning ids in it, sorted (see {@link RenderContext.idAssigners}). */
export function idAssignersOf(steps: CompiledWorkflowPlan["steps"]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const step of steps) {
    if (step.body.kind !== "transform") continue;
    for (const sel of step.body.selects) for (const id of sel.ids) if (id.assign && !(out[id.domain] ??= []).includes(step.name)) out[id.domain]!.push(step.name);
  }
  for (const list of Object.values(out)) list.sort();
  return out;
}

/** Outcome of {@link executeRenderedStep}. */
export interface StepExecution {
  /** Per statement, the row count the driver reported. */
  rowCounts: (number | undefined)[];
  /** The count of `rendered.resultStatement`, if any. */
  rowCount?: number;
}

/**
 * Executes a rendered step: in one transaction when `rendered.transactional` and the engine has multi-statement
 * transactions (`transactions`, default "multi-statement"), else statement by statement on one session. A failing
 * statement becomes a {@link SqlExecutionError} naming the step and the statement.
 */
export async function executeRenderedStep(
  conn: Connection,
  stepName: string,
  rendered: RenderedStep,
  transactions: TransactionSupport = "multi-statement",
): Promise<StepExecution> {
  const run = async (c: Connection): Promise<(number | undefined)[]> => {
    const counts: (number | undefined)[] = [];
    for (const [i, sql] of rendered.statements.entries()) {
      try {
        counts.push((await c.execute(sql)).rowCount);
      } catch (e) {
        if (e instanceof SqlExecutionError) throw e;
        throw new SqlExecutionError(stepName, i, sql, e);
      }
    }
    return counts;
  };
  const inTransaction = rendered.transactional && transactions === "multi-statement";
  let rowCounts: (number | undefined)[];
  try {
    rowCounts = inTransaction ? await conn.transaction(run) : await conn.session(run);
  } catch (e) {
    const explain = e instanceof SqlExecutionError && e.stepName === stepName ? rendered.explainFailure?.find((x) => x.statement === e.statementIndex) : undefined;
    const explained = explain ? await explainFailure(conn, stepName, explain, inTransaction) : undefined;
    throw explained ?? e;
  }
  const out: StepExecution = { rowCounts };
  if (rendered.partResults) {
    // A step writing several tables: its result is the sum of theirs, known only when each is.
    const counts = rendered.partResults.map((p) => rowCounts[p.countStatement ?? p.resultStatement]);
    if (counts.every((n) => n !== undefined)) out.rowCount = counts.reduce((a, n) => a + n!, 0);
  } else if (rendered.resultStatement !== undefined) {
    const n = rowCounts[rendered.countStatement ?? rendered.resultStatement];
    if (n !== undefined) out.rowCount = n;
  }
  return out;
}

/**
 * Runs the statements explaining a failed statement (RenderedStep.explainFailure) after the step rolled back and
 * returns the error of the first of them to fail, reported at the failed statement's index with its own SQL; or
 * undefined when none fails, or when they could not run at all (the connection refused them: a step stopped by its
 * timeout or the run's interrupt keeps the error that stopped it), and the caller reports the original error.
 */
async function explainFailure(conn: Connection, stepName: string, explain: { statement: number; statements: string[] }, inTransaction: boolean): Promise<SqlExecutionError | undefined> {
  const run = async (c: Connection): Promise<void> => {
    for (const sql of explain.statements) {
      try {
        await c.execute(sql);
      } catch (e) {
        throw new SqlExecutionError(stepName, explain.statement, sql, e);
      }
    }
  };
  try {
    if (inTransaction) await conn.transaction(run);
    else await conn.session(run);
    return undefined;
  } catch (e) {
    return e instanceof SqlExecutionError ? e : undefined;
  }
}
