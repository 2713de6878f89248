import type { PlanStep } from "../../core/model/plan.js";
import type { Connection, RenderContext, SqlGenerator } from "../../providers/provider-api.js";
import { summariseCoverage, type LookupCoverageReport } from "../lookup-coverage.js";

/**
 * Runs a committed transform's coverage queries (one per lookup; the provider renders them) and summarises each.
 * Undefined for steps without lookups or a provider without coverage queries. A query that fails (e.g. a source
 * dropped meanwhile) leaves its lookup out: the coverage is a report and must not fail the step.
 */
export async function measureCoverage(step: PlanStep, conn: Connection, generator: SqlGenerator, ctx: RenderContext): Promise<LookupCoverageReport[] | undefined> {
  const body = step.body;
  if (body.kind !== "transform" || !generator.renderLookupCoverage || !body.selects.some((s) => s.lookups?.length)) return undefined;
  const several = body.selects.length > 1;
  const reports: LookupCoverageReport[] = [];
  for (const q of generator.renderLookupCoverage(body, ctx)) {
    try {
      reports.push(summariseCoverage(q.lookup, several ? q.select + 1 : undefined, await conn.query<Record<string, unknown>>(q.sql)));
    } catch {
      // reported as missing rather than failing a step whose data is written and committed
    }
  }
  return reports;
}
