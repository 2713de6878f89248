import type { CompiledWorkflowPlan } from "../model/plan.js";

/** The step DAG as a Mermaid flowchart (renders on GitHub and in most editors). */
export function toMermaid(plan: CompiledWorkflowPlan): string {
  const id = (name: string) => `s_${name}`;
  const lines = ["flowchart LR"];
  for (const s of plan.steps) lines.push(`  ${id(s.name)}["${s.name}<br/><small>${s.kind}</small>"]`);
  for (const s of plan.steps) for (const d of s.dependsOn) lines.push(`  ${id(d)} --> ${id(s.name)}`);
  return lines.join("\n") + "\n";
}

/** The step DAG in Graphviz DOT, ranked by level. */
export function toDot(plan: CompiledWorkflowPlan): string {
  const q = (s: string) => `"${s.replace(/"/g, '\\"')}"`;
  const lines = [`digraph ${q(plan.name)} {`, "  rankdir=LR;", "  node [shape=box, fontname=Helvetica];"];
  for (const s of plan.steps) lines.push(`  ${q(s.name)} [label=${q(`${s.name}\n${s.kind}`)}];`);
  for (const s of plan.steps) for (const d of s.dependsOn) lines.push(`  ${q(d)} -> ${q(s.name)};`);
  lines.push("}");
  return lines.join("\n") + "\n";
}
