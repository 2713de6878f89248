import { isScannable, scanKey, type CheckMeasure, type CheckRowSet, type CompiledCheck } from "../../core/checks/check-model.js";
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
  /**
   * The generator's renderCheckScan, when it has one: the row sets over the same rows (scanKey) are then counted
   * in one query over them, up to {@link SCAN_COLUMNS} a query, each distinct row set once.
   */
  renderCheckScan?: SqlGenerator["renderCheckScan"];
  /** The generator's renderFieldsProbe, when it has one: the fields of a table are probed in one query. */
  renderFieldsProbe?: SqlGenerator["renderFieldsProbe"];
}

/** Row sets per scan: a few hundred columns of counts, within every engine's limit on a SELECT list. */
export const SCAN_COLUMNS = 200;

/** The generator's check hooks for {@link measureChecks}, bound, or undefined when it lacks one of those it needs. */
export function checkHooksOf(g: SqlGenerator): { generator: CheckGenerator; options: Pick<MeasureChecksOptions, "renderCheckScan" | "renderFieldsProbe"> } | undefined {
  if (!g.renderCheck || !g.renderFieldProbe || !g.renderExistingTables) return undefined;
  return {
    generator: {
      renderCheck: g.renderCheck.bind(g),
      renderFieldProbe: g.renderFieldProbe.bind(g),
      renderExistingTables: g.renderExistingTables.bind(g),
      ...(g.renderCheckBatch ? { renderCheckBatch: g.renderCheckBatch.bind(g) } : {}),
    },
    options: {
      ...(g.renderCheckScan ? { renderCheckScan: g.renderCheckScan.bind(g) } : {}),
      ...(g.renderFieldsProbe ? { renderFieldsProbe: g.renderFieldsProbe.bind(g) } : {}),
    },
  };
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

  // Existence first: the ratios of a missing field are skipped. With renderFieldsProbe, one probe per table: when it
  // answers, every field asked for is there; when it fails, each field is probed alone to find the missing ones.
  const tablesProbed = new Map<string, string>();
  if (options.renderFieldsProbe) {
    const byTable = new Map<string, { table: TableRef; columns: string[] }>();
    for (const c of measured) {
      if (c.measure.kind !== "fieldExists" || !exists(c.measure.table)) continue;
      const key = `${c.measure.table.schema}.${c.measure.table.name}`;
      const entry = byTable.get(key) ?? { table: c.measure.table, columns: [] };
      entry.columns.push(c.measure.column);
      byTable.set(key, entry);
    }
    for (const [key, { table, columns }] of byTable) {
      const sql = options.renderFieldsProbe(table, columns, ctx);
      try {
        await conn.query(sql);
        tablesProbed.set(key, sql);
      } catch {
        // probed field by field below
      }
    }
  }
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
    const probed = tablesProbed.get(`${m.table.schema}.${m.table.name}`);
    if (probed !== undefined) {
      record(c, { numViolatedRows: 0, numDenominatorRows: 1, queryText: probed, executionMs: performance.now() - started });
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

  const rest = options.renderCheckScan ? await measureScans(ratios, options.renderCheckScan, conn, ctx, g, record) : ratios;
  const size = g.renderCheckBatch ? Math.max(1, options.batchSize ?? 40) : 1;
  for (let i = 0; i < rest.length; i += size) {
    const batch = rest.slice(i, i + size);
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

/**
 * Counts the measures whose two row sets are scannable by scans: each distinct row set once (the denominator
 * `count(*)` of a table serves hundreds of checks), those over the same rows (a table, or a table and the same joins:
 * every plausibleAfterBirth of a table joins PERSON alike) in one query, {@link SCAN_COLUMNS} at a time; records them
 * and returns the other measures, and those a failed scan left uncounted (a cast in one condition), to be counted one
 * query each so the failing one gets its own error.
 */
async function measureScans(
  ratios: readonly { check: CompiledCheck; measure: Ratio }[],
  scan: NonNullable<SqlGenerator["renderCheckScan"]>,
  conn: Connection,
  ctx: RenderContext,
  g: CheckGenerator,
  record: (c: CompiledCheck, m: CheckMeasurement) => void,
): Promise<{ check: CompiledCheck; measure: Ratio }[]> {
  const rest: { check: CompiledCheck; measure: Ratio }[] = [];
  const scanned: { check: CompiledCheck; measure: Ratio }[] = [];
  const idOf = (r: CheckRowSet): string => JSON.stringify([scanKey(r), r.where ?? null]);
  // scanKey -> row set id -> row set, in first-seen order (deterministic queries).
  const groups = new Map<string, Map<string, CheckRowSet>>();
  for (const r of ratios) {
    const { numerator, denominator } = r.measure;
    if (!isScannable(numerator) || !isScannable(denominator)) {
      rest.push(r);
      continue;
    }
    scanned.push(r);
    for (const rs of [numerator, denominator]) {
      const group = groups.get(scanKey(rs)) ?? new Map<string, CheckRowSet>();
      group.set(idOf(rs), rs);
      groups.set(scanKey(rs), group);
    }
  }
  const counts = new Map<string, number>();
  const started = performance.now();
  for (const group of groups.values()) {
    const sets = [...group.entries()];
    for (let i = 0; i < sets.length; i += SCAN_COLUMNS) {
      const chunk = sets.slice(i, i + SCAN_COLUMNS);
      try {
        const [row] = await conn.query<Record<string, unknown>>(scan(chunk.map(([, rs]) => rs), ctx));
        if (row) for (const [j, [id]] of chunk.entries()) counts.set(id, Number(row[`count_${j}`]));
      } catch {
        // its measures are counted one query each below
      }
    }
  }
  const share = scanned.length === 0 ? 0 : (performance.now() - started) / scanned.length;
  for (const r of scanned) {
    const num = counts.get(idOf(r.measure.numerator));
    const den = counts.get(idOf(r.measure.denominator));
    if (num === undefined || den === undefined) rest.push(r);
    else record(r.check, { numViolatedRows: num, numDenominatorRows: den, queryText: g.renderCheck(r.measure, ctx), executionMs: share });
  }
  return rest;
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
