import type { PlanStep } from "../core/model/plan.js";
import type { Connection, RenderContext, SqlGenerator } from "../providers/provider-api.js";
import type { StepRows } from "./orchestrator-api.js";

/** The reason under which rejected rows are counted as not written (output, metrics, ledger). */
export const REJECTED_REASON = "rejected";

/** A count read back from a driver (BIGINT may arrive as a string or a bigint). */
const toNumber = (v: unknown): number => {
  const n = Number(v ?? 0);
  return Number.isFinite(n) ? n : 0;
};

/**
 * For a load with `on_error: reject`, after it committed: counts what it diverted to its rejects table (one query
 * the provider renders; no row passes through omopetl) and adds to `rows` the rows read (written + rejected), the
 * rejected rows as rows not written for the reason "rejected", and `rejected` itself. Other steps, and providers
 * without `renderLoadRejects`, keep `rows` as they are.
 */
export async function countRejects(step: PlanStep, rows: StepRows, conn: Connection, generator: SqlGenerator, ctx: RenderContext): Promise<StepRows> {
  if (step.body.kind !== "load" || !step.body.rejects) return rows;
  const query = generator.renderLoadRejects?.(step.body, ctx);
  if (!query) return rows;
  const [r] = await conn.query<{ rows_rejected: unknown; values_rejected: unknown }>(query.sql);
  const rejected = { rows: toNumber(r?.rows_rejected), values: toNumber(r?.values_rejected), table: query.table };
  const out: StepRows = { ...rows, rejected };
  if (rows.affected !== undefined) out.read = rows.affected + rejected.rows;
  if (rejected.rows > 0) out.notWritten = [...(rows.notWritten ?? []), { reason: REJECTED_REASON, rows: rejected.rows }];
  return out;
}
