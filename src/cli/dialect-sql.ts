import { readFileSync } from "node:fs";
import path from "node:path";
import { OmopetlError } from "../core/diagnostics/diagnostic.js";
import type { CompiledWorkflowPlan, PlanStep } from "../core/model/plan.js";
import { renderContextFromPlan, type Provider, type RenderContext, type RenderedStep } from "../providers/provider-api.js";
import type { LoadedConfig } from "./config.js";
import { resolveProviderFromConfig } from "./provider-resolution.js";

/**
 * Embeds each step's SQL from a provider into the plan (`omopetl compile --dialect X`). The plan stays the same
 * artifact; steps gain `sql`, and the plan records the dialect. The fingerprint is left as compiled: it identifies
 * the dialect-neutral content that decides what runs.
 */
export async function withDialectSql(
  plan: CompiledWorkflowPlan,
  dialect: string,
  config: LoadedConfig,
  workflowDir: string,
): Promise<{ plan: CompiledWorkflowPlan; transactional: boolean[] }> {
  const provider = await resolveProviderFromConfig(dialect, config);
  const ctx = renderContextFromPlan(plan);
  const transactional: boolean[] = [];
  const steps = plan.steps.map((step) => {
    const rendered = renderAt(provider, step, ctx, workflowDir);
    transactional.push(rendered.transactional);
    return { ...step, sql: rendered.statements };
  });
  return { plan: { ...plan, dialect: provider.dialect, steps }, transactional };
}

/**
 * Renders one step; a provider's error (e.g. UNSUPPORTED_FEATURE) is reported at the step's DML file, on the line of
 * the field it is about (files/format of a load, else the kind).
 */
function renderAt(provider: Provider, step: PlanStep, ctx: RenderContext, workflowDir: string): RenderedStep {
  try {
    return provider.generator.renderStep(step, ctx);
  } catch (e) {
    const d = (e as { diagnostic?: OmopetlError["diagnostic"] }).diagnostic;
    if (!d || d.location) throw e;
    const abs = path.resolve(workflowDir, step.file);
    let line = 1;
    let column = 1;
    try {
      const lines = readFileSync(abs, "utf8").split(/\r?\n/);
      const key = step.kind === "load" ? /^(format|files)\s*:/ : /^kind\s*:/;
      const i = lines.findIndex((l) => key.test(l));
      if (i >= 0) line = i + 1;
      column = 1;
    } catch {
      // the plan may have been compiled elsewhere: the file name alone still helps
    }
    const file = path.relative(process.cwd(), abs) || abs;
    throw new OmopetlError({ ...d, message: `step "${step.name}": ${d.message}`, location: { file, line, column } }, (e as { exitCode?: number }).exitCode ?? 2);
  }
}
