import type { CompiledWorkflowPlan } from "../core/model/plan.js";
import type { LedgerStepRun } from "./ledger/run-ledger.js";

/**
 * Which steps a resumed run can take as done. A step is reused when the earlier run completed it (succeeded, or
 * reused it itself) with the fingerprint the step has now, and every selected step it depends on is reused too:
 * a step that reruns (failed, interrupted, changed) makes everything downstream of it rerun, so no step ever reads
 * inputs that changed after it last ran. Steps outside `selection` are not run and do not force reruns.
 *
 * Returns step name -> the run that actually did the step (following reuse chains).
 */
export function reusableSteps(
  plan: CompiledWorkflowPlan,
  previous: readonly LedgerStepRun[],
  previousRunId: string,
  selection?: ReadonlySet<string>,
): Map<string, string> {
  const done = new Map<string, LedgerStepRun>();
  for (const s of previous) if (s.status === "succeeded" || s.status === "reused") done.set(s.step, s);
  const reused = new Map<string, string>();
  // plan.steps is in level order, so every dependency is decided before its dependents.
  const ordered = [...plan.steps].sort((a, b) => a.level - b.level);
  for (const step of ordered) {
    if (selection && !selection.has(step.name)) continue;
    const prev = done.get(step.name);
    if (!prev || prev.fingerprint !== step.fingerprint) continue;
    const depsOk = step.dependsOn.every((d) => (selection && !selection.has(d)) || reused.has(d));
    if (!depsOk) continue;
    reused.set(step.name, prev.status === "reused" && prev.reusedFrom ? prev.reusedFrom : previousRunId);
  }
  return reused;
}
