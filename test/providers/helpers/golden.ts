/**
 * Golden SQL fixtures: test/providers/fixtures/<case>/case.ts builds plan steps by hand; the SQL each built-in
 * dialect renders for step <step> is kept in fixtures/<case>/_expected/<dialect>/<step>.sql. UPDATE_GOLDEN=1
 * rewrites the expected files instead of comparing.
 */
import type { PlanStep, TableDef } from "../../../src/core/model/plan.js";
import type { RenderedStep } from "../../../src/providers/provider-api.js";

export interface GoldenCase {
  /** Every table the steps touch (plan.tables). */
  tables: TableDef[];
  /** Logical -> physical schema names (distinct names, so the rolled-back Postgres run touches nothing else). */
  schemas: Record<string, string>;
  /** Data files written to a temp dir before rendering; steps get the dir's path. */
  files?: Record<string, string>;
  /** The target's `indexes:` option (RenderContext.indexes); unset: each provider's default. */
  indexes?: boolean;
  /** Why no engine executes the case (its SQL is rendered and compared only); unset: every engine that renders it runs it. */
  notExecuted?: string;
  /** The steps, in execution order. */
  steps(dataDir: string): PlanStep[];
}

/** Stands for the temp data dir in expected files, so they do not depend on where tests run. */
export const DATA_DIR_PLACEHOLDER = "/DATA";

/** The text kept in a golden file for one rendered step. */
export function goldenText(step: PlanStep, rendered: RenderedStep, dataDir: string): string {
  const header = `-- ${step.name}: ${step.kind}, ${rendered.transactional ? "one transaction" : "no transaction"}${
    rendered.resultStatement !== undefined ? `, result of statement ${rendered.resultStatement + 1}` : ""
  }`;
  const body = rendered.statements.map((s) => `${s};`).join("\n\n");
  const explain = (rendered.explainFailure ?? []).map(
    (x) => `\n\n-- if statement ${x.statement + 1} fails: rolled back, then these name the failure\n${x.statements.map((s) => `${s};`).join("\n\n")}`,
  );
  return `${header}\n${body}${explain.join("")}\n`.split(dataDir).join(DATA_DIR_PLACEHOLDER);
}
