import { createHash } from "node:crypto";
import type { CompiledCheck } from "../../core/checks/check-model.js";
import type { CheckResult } from "../../core/checks/evaluate-results.js";
import type { CompiledWorkflowPlan, PlanStep } from "../../core/model/plan.js";

/** What makes a check block the run: nothing, a check in error, a failed fatal check, any failed check. */
export type CheckFailOn = "none" | "error" | "fatal" | "threshold";

/** The checks to run as steps of a run (`run --check`): see {@link planCheckSteps}. */
export interface CheckStepsOptions {
  /** The compiled checks with a measure (none `unsupported`), in DQD's order. */
  checks: readonly CompiledCheck[];
  /** Which results fail their step, as `omopetl check --fail-on` decides its exit code. */
  failOn: CheckFailOn;
  /** Counting queries per batch (measure-checks.ts; default 40). */
  batchSize?: number;
  /** The change of a table's row count since the previous successful run that is flagged, in percent (default 20). */
  driftPercent?: number;
  /**
   * Receives each check step's results once they are written to dq_result (the CLI prints the summary): DQD's checks,
   * and the table's row count drift (row-count-drift.ts).
   */
  onResults?: (step: string, results: readonly CheckResult[], drift: readonly CheckResult[]) => void;
}

/** One check step: the checks of one CDM table, run once the steps writing what they read are done. */
export interface CheckStep {
  /** `check:<table>`, e.g. `check:person`. */
  name: string;
  /** The checked table, logical `schema.name` (e.g. `cdm.person`). */
  table: string;
  /** Plan steps writing a table the checks read (in the run), sorted. */
  dependsOn: string[];
  /** 1 + the highest level of a dependency (0 without one). */
  level: number;
  /** sha256 over the checks' ids and measures and `failOn`: a resumed run reuses the step only when equal. */
  fingerprint: string;
  /** The table's checks: their results are this step's. */
  checks: CompiledCheck[];
  /**
   * Checks of other tables measured only for the not-applicable rules of this step's checks (DQD's
   * measureConditionEraCompleteness is not applicable when CONDITION_OCCURRENCE is missing or empty): their
   * results are not this step's and are not written.
   */
  helpers: CompiledCheck[];
}

/** The check steps of a run, and which plan steps wait for which check steps. */
export interface CheckStepPlan {
  steps: CheckStep[];
  /** Plan step name -> the check steps it waits for (the checks of tables it reads). */
  gates: Map<string, string[]>;
}

/** The prefix of check step names: plan step names come from DML file names, which never hold a colon here. */
export const CHECK_STEP_PREFIX = "check:";

/** Whether `name` is a check step's. */
export const isCheckStepName = (name: string): boolean => name.startsWith(CHECK_STEP_PREFIX);

const keyOf = (t: { schema: string; name: string }): string => `${t.schema}.${t.name}`;

/**
 * Check steps for a run: the checks grouped by the table they check, one step per table, each depending on the run's
 * steps that write any table its checks read (but constraints and indexes) (so it runs right after the writers of its table, and after those of
 * the tables its foreign keys and plausibility joins read). With a selection, only the tables the selected steps
 * write are checked. Each plan step reading a checked table then waits for that table's check step — a failed
 * blocking check skips what reads the bad table, as a failed step skips its dependents — unless that would make a
 * cycle (a step that both reads and writes the table, or feeds a table the checks read: it runs before the checks).
 */
export function planCheckSteps(plan: CompiledWorkflowPlan, runSteps: readonly PlanStep[], options: Pick<CheckStepsOptions, "checks" | "failOn">, selected?: ReadonlySet<string>): CheckStepPlan {
  const writers = new Map<string, string[]>();
  for (const s of runSteps.filter(changesTables)) for (const w of s.writes) writers.set(keyOf(w), [...(writers.get(keyOf(w)) ?? []), s.name]);
  const selectedWrites = selected ? new Set(runSteps.filter((s) => selected.has(s.name)).flatMap((s) => s.writes.map(keyOf))) : undefined;

  const byTable = new Map<string, CompiledCheck[]>();
  for (const c of options.checks) {
    const own = ownTable(c);
    if (selectedWrites && !selectedWrites.has(own)) continue;
    byTable.set(own, [...(byTable.get(own) ?? []), c]);
  }
  const levelOf = new Map(plan.steps.map((s) => [s.name, s.level] as const));
  const names = new Set(plan.steps.map((s) => s.name));
  const steps: CheckStep[] = [];
  for (const [table, checks] of [...byTable.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const name = `${CHECK_STEP_PREFIX}${table.slice(table.indexOf(".") + 1)}`;
    if (names.has(name)) throw new Error(`a plan step is named "${name}", the name of the checks of ${table}: rename the step`);
    const helpers = helpersOf(checks, options.checks);
    const reads = new Set([...checks, ...helpers].flatMap((c) => c.reads));
    const dependsOn = [...new Set([...reads].flatMap((r) => writers.get(r) ?? []))].sort();
    const level = dependsOn.length === 0 ? 0 : 1 + Math.max(...dependsOn.map((d) => levelOf.get(d) ?? 0));
    const fingerprint = createHash("sha256")
      .update(JSON.stringify({ failOn: options.failOn, checks: checks.map((c) => [c.checkId, c.threshold ?? null, c.severity, c.measure]), helpers: helpers.map((c) => c.checkId) }))
      .digest("hex");
    steps.push({ name, table, dependsOn, level, fingerprint, checks, helpers });
  }
  return { steps, gates: gatesOf(runSteps, steps) };
}

/**
 * Whether a step changes what a check sees: every step but the DDL of constraints and indexes (which a workflow runs
 * once every table is written: were the checks after it, they would all wait for the end of the run).
 */
function changesTables(s: PlanStep): boolean {
  return s.body.kind !== "ddl" || s.body.part === "tables";
}

/** The logical `schema.name` of the table a check checks. */
function ownTable(c: CompiledCheck): string {
  const name = c.cdmTableName.toLowerCase();
  return c.reads.find((r) => r.slice(r.indexOf(".") + 1) === name) ?? `cdm.${name}`;
}

/** The other tables' checks the not-applicable rules of `checks` read (evaluate-results.ts). */
function helpersOf(checks: readonly CompiledCheck[], all: readonly CompiledCheck[]): CompiledCheck[] {
  if (!checks.some((c) => c.checkName === "measureConditionEraCompleteness")) return [];
  const own = new Set(checks.map((c) => c.checkId));
  const co = all.filter((c) => c.cdmTableName === "CONDITION_OCCURRENCE" && !own.has(c.checkId));
  // cdmTable says whether it exists; one measureValueCompleteness's denominator whether it is empty.
  return [co.find((c) => c.checkName === "cdmTable"), co.find((c) => c.checkName === "measureValueCompleteness")].filter((c): c is CompiledCheck => c !== undefined);
}

/** Plan step -> the check steps it waits for: those of the tables it reads, each kept only when it adds no cycle. */
function gatesOf(runSteps: readonly PlanStep[], checkSteps: readonly CheckStep[]): Map<string, string[]> {
  const deps = new Map<string, Set<string>>();
  for (const s of runSteps) deps.set(s.name, new Set(s.dependsOn));
  for (const c of checkSteps) deps.set(c.name, new Set(c.dependsOn));
  /** Whether `to` is upstream of (or is) `from`. */
  const reaches = (from: string, to: string): boolean => {
    const seen = new Set<string>();
    const stack = [from];
    while (stack.length > 0) {
      const n = stack.pop()!;
      if (n === to) return true;
      if (seen.has(n)) continue;
      seen.add(n);
      stack.push(...(deps.get(n) ?? []));
    }
    return false;
  };
  const checkOf = new Map(checkSteps.map((c) => [c.table, c.name] as const));
  const gates = new Map<string, string[]>();
  for (const s of runSteps) {
    for (const r of [...new Set(s.reads.map(keyOf))].sort()) {
      const check = checkOf.get(r);
      // The step feeds the check (directly or through other steps): it runs before, not after.
      if (!check || reaches(check, s.name)) continue;
      deps.get(s.name)!.add(check);
      gates.set(s.name, [...(gates.get(s.name) ?? []), check]);
    }
  }
  return gates;
}

/** The results that fail their check step under `failOn`. */
export function blockingResults(results: readonly CheckResult[], failOn: CheckFailOn): CheckResult[] {
  return results.filter(
    (r) => (failOn !== "none" && r.status === "error") || (r.status === "failed" && (failOn === "threshold" || (failOn === "fatal" && r.severity === "fatal"))),
  );
}
