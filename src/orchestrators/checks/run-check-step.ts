import { evaluateChecks, type CheckResult } from "../../core/checks/evaluate-results.js";
import { DEFAULT_DRIFT_PERCENT, describeDrift, rowCountDriftResults, rowCountsOf, type RowCountBaseline } from "../../core/checks/row-count-drift.js";
import type { Connection, RenderContext, SqlGenerator } from "../../providers/provider-api.js";
import type { RunLedger } from "../ledger/run-ledger.js";
import type { RunEvent, StepMetrics } from "../orchestrator-api.js";
import { maskSecrets } from "../redact.js";
import { blockingResults, type CheckStep, type CheckStepsOptions } from "./check-steps.js";
import { appendDqResults } from "./dq-result-table.js";
import { checkHooksOf, measureChecks } from "./measure-checks.js";

/** What running a check step needs from its run. */
export interface CheckStepContext {
  runId: string;
  conn: Connection;
  ledger: RunLedger;
  generator: SqlGenerator;
  renderContext: RenderContext;
  emit: (event: RunEvent) => void;
  signal: AbortSignal;
  secrets: readonly string[];
  options: CheckStepsOptions;
  /** Each table's row count recorded by the previous successful run (dq-result-table.ts), read once per run. */
  baselines: ReadonlyMap<string, RowCountBaseline>;
}

/** Failed checks named in a step's error (the rest are counted): the error stays readable and within the ledger's size. */
const NAMED = 10;

/** `id: 2 of 3 violate (66.67%, threshold 0%)`, or the error's first line. */
export function describeResult(r: CheckResult): string {
  if (r.status === "error") return `${r.checkId}: error: ${(r.error ?? "").split("\n")[0]}`;
  return `${r.checkId}: ${r.numViolatedRows} of ${r.numDenominatorRows} violate (${((r.pctViolatedRows ?? 0) * 100).toFixed(2)}%, threshold ${r.thresholdValue ?? 0}%)`;
}

/**
 * Runs one check step as a step of the run: recorded in the ledger like any step (running, then succeeded or
 * failed), its checks measured read-only on the target and evaluated as DQD does, their results appended to
 * `<staging>.dq_result` under the run's id. It fails when a result is blocking under `failOn` (its error names
 * them), so the steps reading the table are skipped; failed checks that do not block are reported as a warning.
 * Never throws for the checks themselves; rejects only when the ledger cannot be written.
 */
export async function runCheckStep(step: CheckStep, cc: CheckStepContext): Promise<StepMetrics> {
  const started = new Date();
  const t0 = performance.now();
  await cc.ledger.updateStep(cc.runId, step.name, { status: "running", attempts: 1, startedAt: started });
  cc.emit({ type: "step-start", time: started.toISOString(), runId: cc.runId, step: step.name, attempt: 1, maxAttempts: 1 });

  const finish = async (status: "succeeded" | "failed" | "cancelled", error?: string): Promise<StepMetrics> => {
    const ended = new Date();
    const durationMs = Math.round(performance.now() - t0);
    await cc.ledger.updateStep(cc.runId, step.name, { status, attempts: 1, endedAt: ended, durationMs, rows: {}, ...(error !== undefined ? { error } : {}) });
    const time = ended.toISOString();
    if (status === "succeeded") cc.emit({ type: "step-success", time, runId: cc.runId, step: step.name, attempts: 1, durationMs, rows: {} });
    else if (status === "failed") cc.emit({ type: "step-failure", time, runId: cc.runId, step: step.name, file: "", attempts: 1, maxAttempts: 1, durationMs, error: error ?? "", transient: false });
    else cc.emit({ type: "step-cancel", time, runId: cc.runId, step: step.name, started: true });
    return { name: step.name, status, attempts: 1, startedAt: started.toISOString(), endedAt: ended.toISOString(), durationMs, rows: {}, ...(error !== undefined ? { error } : {}) };
  };
  if (cc.signal.aborted) return finish("cancelled", "interrupted");

  let results: CheckResult[];
  let drift: CheckResult[];
  try {
    const hooks = checkHooksOf(cc.generator);
    if (!hooks) throw new Error("the provider renders no check queries");
    const all = [...step.checks, ...step.helpers];
    const measured = await measureChecks(all, hooks.generator, cc.conn, cc.renderContext, {
      ...(cc.options.batchSize !== undefined ? { batchSize: cc.options.batchSize } : {}),
      ...hooks.options,
    });
    const own = new Set(step.checks.map((c) => c.checkId));
    results = evaluateChecks(all, measured).filter((r) => own.has(r.checkId));
    const table = step.checks[0]?.cdmTableName;
    const counts = new Map([...rowCountsOf(results)].filter(([t]) => t === table));
    drift = rowCountDriftResults(counts, cc.baselines, cc.options.driftPercent ?? DEFAULT_DRIFT_PERCENT);
    await appendDqResults(cc.conn, cc.generator, cc.ledger.schema, cc.runId, started, [...results, ...drift]);
  } catch (e) {
    return finish("failed", maskSecrets(`the checks could not run: ${e instanceof Error ? e.message : String(e)}`, cc.secrets));
  }
  cc.options.onResults?.(step.name, results, drift);
  // A row count that changed past the threshold is flagged, never blocking: a large load may be the intended one.
  for (const d of drift.filter((x) => x.status === "failed")) {
    cc.emit({ type: "warning", time: new Date().toISOString(), runId: cc.runId, message: maskSecrets(`${step.name}: row count drift: ${describeDrift(d)}`, cc.secrets) });
  }

  const blocking = blockingResults(results, cc.options.failOn);
  const blockingIds = new Set(blocking.map((r) => r.checkId));
  const warnings = results.filter((r) => r.status === "failed" && !blockingIds.has(r.checkId));
  if (warnings.length > 0) {
    const named = warnings.slice(0, NAMED).map((r) => `${r.severity} ${describeResult(r)}`);
    const more = warnings.length > NAMED ? `; and ${warnings.length - NAMED} more` : "";
    cc.emit({ type: "warning", time: new Date().toISOString(), runId: cc.runId, message: maskSecrets(`${step.name}: ${warnings.length} check${warnings.length === 1 ? "" : "s"} failed, not blocking (--fail-on ${cc.options.failOn}): ${named.join("; ")}${more}`, cc.secrets) });
  }
  if (blocking.length === 0) return finish("succeeded");
  const lines = blocking.slice(0, NAMED).map((r) => `  ${r.severity} ${describeResult(r)}`);
  if (blocking.length > NAMED) lines.push(`  ... and ${blocking.length - NAMED} more`);
  const head = `${blocking.length} blocking check${blocking.length === 1 ? "" : "s"} of ${step.table} failed (--fail-on ${cc.options.failOn}); results in ${cc.ledger.schema}.dq_result (check_run_id = '${cc.runId}')`;
  return finish("failed", maskSecrets([head, ...lines].join("\n"), cc.secrets));
}
