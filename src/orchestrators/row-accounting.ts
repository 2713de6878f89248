import type { PlanStep } from "../core/model/plan.js";
import type { Connection, RenderContext, RowAccountingCount, SqlGenerator } from "../providers/provider-api.js";
import type { RowReason, StepRows } from "./orchestrator-api.js";

/** A count read back from a driver (BIGINT may arrive as a string or a bigint). */
function toNumber(v: unknown): number {
  const n = Number(v ?? 0);
  return Number.isFinite(n) ? n : 0;
}

/**
 * Turns the counts of a row-accounting query into reasons with numbers: per union branch, the rows read, then each
 * stage's rows removed ("not written") or added (a join matching a row several times). Only reasons that removed
 * (added) rows are listed, so a join that dropped nothing is not blamed. `final` stands in for a count the query
 * left out (the step's INSERT count).
 */
export function reasonsFromCounts(
  counts: readonly RowAccountingCount[],
  row: Record<string, unknown>,
  final: number | undefined,
): { read: number; yielded: number; notWritten: RowReason[]; added: RowReason[] } {
  const notWritten: RowReason[] = [];
  const added: RowReason[] = [];
  let read = 0;
  let yielded = 0;
  let running = 0;
  let started = false;
  const reason = (c: RowAccountingCount, rows: number): RowReason => ({ reason: c.reason, rows, ...(c.branch !== undefined ? { branch: c.branch } : {}) });
  for (const c of counts) {
    if (c.kind === "read") {
      if (started) yielded += running;
      started = true;
      running = toNumber(row[c.column ?? ""]);
      read += running;
      continue;
    }
    const n = c.column === null ? (final ?? running) : toNumber(row[c.column]);
    if (c.kind === "dropped") {
      if (n > 0) notWritten.push(reason(c, n));
      running -= n;
    } else {
      if (running > n) notWritten.push(reason(c, running - n));
      else if (n > running) added.push(reason(c, n - running));
      running = n;
    }
  }
  yielded += running;
  return { read, yielded, notWritten, added };
}

/**
 * Row accounting for a transform (nothing dropped silently): runs the provider's counting query after the step
 * committed and adds to `rows` the rows read and, reason by reason, the rows not written (and added). A provider
 * without `renderRowAccounting` (or a plan without accounting, or `perReason: false`: `--no-row-accounting`) falls
 * back to counting the sources, with the step's filters named but not counted.
 */
export async function accountRows(
  step: PlanStep,
  rows: StepRows,
  conn: Connection,
  generator: SqlGenerator,
  ctx: RenderContext,
  options: { perReason?: boolean } = {},
): Promise<StepRows> {
  const body = step.body;
  if (body.kind !== "transform" || !body.audit) return rows;
  const finalKnown = body.selects.length === 1 && body.mode !== "merge" && rows.affected !== undefined;
  const query = options.perReason === false ? undefined : generator.renderRowAccounting?.(body, ctx, { finalCountKnown: finalKnown });
  const out: StepRows = { ...rows };
  if (query) {
    const [row] = await conn.query<Record<string, unknown>>(query.sql);
    const r = reasonsFromCounts(query.counts, row ?? {}, finalKnown ? rows.affected : undefined);
    out.read = r.read;
    if (r.notWritten.length) out.notWritten = r.notWritten;
    if (r.added.length) out.added = r.added;
  } else if (generator.renderCount) {
    let read = 0;
    for (const source of body.audit.sources) {
      const [r] = await conn.query<{ n: unknown }>(generator.renderCount(source, ctx));
      read += toNumber(r?.n);
    }
    out.read = read;
  } else return rows;
  if (body.mode !== "merge" && rows.affected !== undefined && out.read! > rows.affected) {
    out.filtered = out.read! - rows.affected;
    if (body.audit.filters.length > 0) out.filters = body.audit.filters;
  }
  return out;
}
