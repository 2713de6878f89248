import type { CompiledWorkflowPlan } from "../core/model/plan.js";
import { emptySelection, invalidSelector, unknownSelectorStep } from "./orchestrator-errors.js";

/** One parsed selector: a step, optionally with its upstream (`+step`) and/or downstream (`step+`). */
export interface StepSelector {
  step: string;
  upstream: boolean;
  downstream: boolean;
}

/** Parses a dbt-like selector: `step` (only it), `step+` (and downstream), `+step` (and upstream), `+step+`. */
export function parseSelector(text: string): StepSelector {
  const m = /^(\+?)([A-Za-z_][A-Za-z0-9_]*)(\+?)$/.exec(text.trim());
  if (!m) throw invalidSelector(text);
  return { step: m[2]!, upstream: m[1] === "+", downstream: m[3] === "+" };
}

/** The steps `selectors` designate in `plan` (each selector's step plus its upstream/downstream closure). */
function expand(plan: CompiledWorkflowPlan, selectors: readonly string[]): Set<string> {
  const names = plan.steps.map((s) => s.name);
  const known = new Set(names);
  const deps = new Map(plan.steps.map((s) => [s.name, s.dependsOn] as const));
  const dependents = new Map<string, string[]>(names.map((n) => [n, []]));
  for (const s of plan.steps) for (const d of s.dependsOn) dependents.get(d)?.push(s.name);
  const out = new Set<string>();
  const walk = (start: string, next: Map<string, readonly string[]>) => {
    const seen = new Set([start]);
    const stack = [start];
    while (stack.length) {
      for (const m of next.get(stack.pop()!) ?? []) {
        if (seen.has(m)) continue;
        seen.add(m);
        out.add(m);
        stack.push(m);
      }
    }
  };
  for (const text of selectors) {
    const sel = parseSelector(text);
    if (!known.has(sel.step)) throw unknownSelectorStep(text, sel.step, names);
    out.add(sel.step);
    if (sel.upstream) walk(sel.step, deps);
    if (sel.downstream) walk(sel.step, dependents);
  }
  return out;
}

/**
 * The steps to run for `--select` and `--exclude`: every step when nothing is selected, minus the excluded ones.
 * Returns undefined when the whole plan runs. Throws a usage error for unknown steps or an empty result.
 */
export function selectSteps(plan: CompiledWorkflowPlan, select: readonly string[] = [], exclude: readonly string[] = []): Set<string> | undefined {
  if (select.length === 0 && exclude.length === 0) return undefined;
  const chosen = select.length ? expand(plan, select) : new Set(plan.steps.map((s) => s.name));
  for (const n of expand(plan, exclude)) chosen.delete(n);
  if (chosen.size === 0) throw emptySelection();
  return chosen;
}
