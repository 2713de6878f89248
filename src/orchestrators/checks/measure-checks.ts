import type { CheckMeasure, CompiledCheck } from "../../core/checks/check-model.js";
import type { CheckMeasurement } from "../../core/checks/evaluate-results.js";
import type { TableRef } from "../../core/model/plan.js";
import type { Connection, RenderContext, SqlGenerator } from "../../providers/provider-api.js";
import { queryExistingTables } from "../../providers/provider-api.js";

/** What measuring checks needs of a provider's generator (`renderCheckBatch` is used when it has one). */
export type CheckGenerator = Required<Pick<SqlGenerator, "renderCheck" | "renderFieldProbe" | "renderExistingTables">> & Pick<SqlGenerator, "renderCheckBatch">;

/** Options of {@link measureChecks}. */
export interface MeasureChecksOptions {
  /** Called after each check is measured (progress). */
  onMeasured?: (check: CompiledCheck, m: CheckMeasurement, done: number, total: number) => void;
  /** Counting queries per batch when the generator batches (default 40; 1 runs them one by one). */
  batchSize?: number;
}

const refOf = (key: string): TableRef => {
  const dot = key.indexOf(".");
  return { schema: key.slice(0, dot), name: key.slice(dot + 1) };
};

type Ratio = Extract<CheckMeasure, { kind: "ratio" }>;

/**
 * Runs the checks' measures on the target, read-only: cdmTable from the catalog (the generator's existing-tables
 * query), cdmField by a query reading no row that fails when the column is missing, then the ratios by their
 * counting queries, batched (a batch that fails is run again one query at a time, so one bad check does not take
 * the others with it). A check whose own table (or field) is missing is not queried (`skipped`: the evaluation makes
 * it not applicable); the engine's error on any other query is the check's error. `unsupported` measures are not
 * measured. A batched check's `executionMs` is its share of the batch.
 */
export async function measureChecks(
  checks: readonly CompiledCheck[],
  g: CheckGenerator,
  conn: Connection,
  ctx: RenderContext,
  options: MeasureChecksOptions = {},
): Promise<Map<string, CheckMeasurement>> {
  const refs = [...new Set(checks.flatMap((c) => c.reads))].sort().map(refOf);
  const existing = new Set<string>();
  if (refs.length > 0) {
    const rows = await queryExistingTables(conn, g.renderExistingTables(refs, ctx));
    for (const r of rows) existing.add(`${String(r.schema_name).toLowerCase()}.${String(r.table_name).toLowerCase()}`);
  }
  const exists = (t: TableRef): boolean => existing.has(`${(ctx.schemas[t.schema] ?? t.schema).toLowerCase()}.${t.name.toLowerCase()}`);
  const missingFields = new Set<string>();
  const fieldKey = (c: CompiledCheck): string => `${c.cdmTableName}.${c.cdmFieldName ?? ""}`;

  const out = new Map<string, CheckMeasurement>();
  const measured = checks.filter((c) => c.measure.kind !== "unsupported");
  let done = 0;
  const record = (c: CompiledCheck, m: CheckMeasurement): void => {
    out.set(c.checkId, m);
    options.onMeasured?.(c, m, ++done, measured.length);
  };

  // Existence first: the ratios of a missing field are skipped.
  for (const c of measured) {
    const m = c.measure;
    const started = performance.now();
    if (m.kind === "tableExists") record(c, { numViolatedRows: exists(m.table) ? 0 : 1, numDenominatorRows: 1, executionMs: performance.now() - started });
    if (m.kind !== "fieldExists") continue;
    if (!exists(m.table)) {
      missingFields.add(fieldKey(c));
      record(c, { numViolatedRows: 1, numDenominatorRows: 1, executionMs: performance.now() - started });
      continue;
    }
    const sql = g.renderFieldProbe(m.table, m.column, ctx);
    try {
      await conn.query(sql);
      record(c, { numViolatedRows: 0, numDenominatorRows: 1, queryText: sql, executionMs: performance.now() - started });
    } catch (e) {
      missingFields.add(fieldKey(c));
      record(c, { numViolatedRows: 1, numDenominatorRows: 1, queryText: sql, warning: messageOf(e), executionMs: performance.now() - started });
    }
  }

  const ratios: { check: CompiledCheck; measure: Ratio }[] = [];
  for (const c of measured) {
    if (c.measure.kind !== "ratio") continue;
    const own = c.reads.map(refOf).find((r) => r.name === c.cdmTableName.toLowerCase());
    if (own && !exists(own)) record(c, { skipped: "tableMissing" });
    else if (c.cdmFieldName !== undefined && missingFields.has(fieldKey(c))) record(c, { skipped: "fieldMissing" });
    else ratios.push({ check: c, measure: c.measure });
  }

  const size = g.renderCheckBatch ? Math.max(1, options.batchSize ?? 40) : 1;
  for (let i = 0; i < ratios.length; i += size) {
    const batch = ratios.slice(i, i + size);
    if (batch.length > 1) {
      const started = performance.now();
      let rows: Record<string, unknown>[] | undefined;
      try {
        rows = await conn.query<Record<string, unknown>>(g.renderCheckBatch!(batch.map((b) => b.measure), ctx));
      } catch {
        rows = undefined; // measured one by one below, each with its own error
      }
      if (rows && rows.length === batch.length) {
        const share = (performance.now() - started) / batch.length;
        const byIndex = new Map(rows.map((r) => [Number(r.check_index), r]));
        for (const [j, b] of batch.entries()) {
          const r = byIndex.get(j);
          record(b.check, { numViolatedRows: Number(r?.num_violated_rows), numDenominatorRows: Number(r?.num_denominator_rows), queryText: g.renderCheck(b.measure, ctx), executionMs: share });
        }
        continue;
      }
    }
    for (const b of batch) record(b.check, await measureRatio(b.measure, g, conn, ctx));
  }
  return out;
}

async function measureRatio(m: Ratio, g: CheckGenerator, conn: Connection, ctx: RenderContext): Promise<CheckMeasurement> {
  const started = performance.now();
  const sql = g.renderCheck(m, ctx);
  try {
    const [row] = await conn.query<Record<string, unknown>>(sql);
    return { numViolatedRows: Number(row?.num_violated_rows), numDenominatorRows: Number(row?.num_denominator_rows), queryText: sql, executionMs: performance.now() - started };
  } catch (e) {
    return { error: messageOf(e), queryText: sql, executionMs: performance.now() - started };
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
