import type { CompiledWorkflowPlan } from "../core/model/plan.js";
import { renderContextFromPlan } from "../providers/provider-api.js";
import type { LoadedConfig } from "./config.js";
import { resolveProviderFromConfig } from "./provider-resolution.js";

/**
 * Embeds each step's SQL from a provider into the plan (`omopetl compile --dialect X`). The plan stays the same
 * artifact; steps gain `sql`, and the plan records the dialect. The fingerprint is left as compiled: it identifies
 * the dialect-neutral content that decides what runs.
 */
export async function withDialectSql(plan: CompiledWorkflowPlan, dialect: string, config: LoadedConfig): Promise<{ plan: CompiledWorkflowPlan; transactional: boolean[] }> {
  const provider = await resolveProviderFromConfig(dialect, config);
  const ctx = renderContextFromPlan(plan);
  const transactional: boolean[] = [];
  const steps = plan.steps.map((step) => {
    const rendered = provider.generator.renderStep(step, ctx);
    transactional.push(rendered.transactional);
    return { ...step, sql: rendered.statements };
  });
  return { plan: { ...plan, dialect: provider.dialect, steps }, transactional };
}
