import pRetry from "p-retry";
import { OmopetlError } from "../../core/diagnostics/diagnostic.js";
import type { PlanStep } from "../../core/model/plan.js";
import { executeRenderedStep, SqlExecutionError, type Connection, type RenderContext, type RenderedStep, type SqlGenerator, type StepExecution, type TransactionSupport } from "../../providers/provider-api.js";
import { recordCoverage } from "../ledger/coverage-ledger.js";
import type { RunLedger } from "../ledger/run-ledger.js";
import type { LookupCoverageReport } from "../lookup-coverage.js";
import { measureCoverage } from "./measure-coverage.js";
import { StepProfiler } from "./step-profile.js";
import { stepRows } from "../metrics.js";
import { accountRows } from "../row-accounting.js";
import { countRejects } from "../load-rejects.js";
import { describeLocatedFailure, locateFailure } from "../locate-failure.js";
import type { LocatedFailure, RetryBackoff, RunEvent, StepMetrics, StepRows } from "../orchestrator-api.js";
import { maskSecrets } from "../redact.js";
import { isTransientError } from "../transient.js";
import { GuardedConnection, StepStoppedError, StopSwitch } from "./guarded-connection.js";

/** What running a step needs from its run. */
export interface StepRunContext {
  runId: string;
  conn: Connection;
  ledger: RunLedger;
  generator: SqlGenerator;
  /** The provider's error classification (Provider.classifyError), if it has one. */
  classifyError?: (error: unknown) => "transient" | "permanent" | undefined;
  /** What the engine's transactions cover (ProviderCapabilities.transactions); default "multi-statement". */
  transactions?: TransactionSupport;
  renderContext: RenderContext;
  emit: (event: RunEvent) => void;
  /** The run's interrupt signal. */
  signal: AbortSignal;
  backoff: Required<RetryBackoff>;
  secrets: readonly string[];
  /** false: rows read are counted, but not the rows not written per reason (`--no-row-accounting`). */
  rowAccounting?: boolean;
  /** `run --profile`: time the step's statements and ledger calls (StepMetrics.profile). */
  profile?: boolean;
  /** Set by runStep when profiling: the phase the statements run from now on count under. */
  profiler?: StepProfiler;
}

/**
 * The message of a step's error for people and the ledger, secrets masked. OmopetlErrors give their diagnostic's
 * message (without the "error CODE:" prefix), less the `step "x" failed` the surrounding output already says.
 */
export function errorMessage(e: unknown, secrets: readonly string[]): string {
  let text = e instanceof OmopetlError ? e.diagnostic.message : e instanceof Error ? e.message : String(e);
  text = text.replace(/^step "[^"]*" failed (?=at statement \d+)/, "");
  return maskSecrets(text, secrets);
}

/** Delay p-retry waits before retry number `retriesConsumed + 1` (same formula, no randomisation). */
function backoffDelay(retriesConsumed: number, b: Required<RetryBackoff>): number {
  return Math.min(Math.round(b.minTimeoutMs * b.factor ** retriesConsumed), b.maxTimeoutMs);
}

/**
 * Runs one step to its end: renders it, executes it (through a {@link GuardedConnection} honouring the step's
 * timeout and the run's interrupt), retries transient failures with exponential backoff up to the step's
 * `retries`, and records every transition in the ledger before announcing it as an event. Never throws for a
 * failure of the step itself; rejects only when the ledger cannot be written.
 */
export async function runStep(step: PlanStep, rc: StepRunContext): Promise<StepMetrics> {
  if (rc.profile && !rc.profiler) {
    const profiler = new StepProfiler();
    rc = { ...rc, profiler, conn: profiler.wrap(rc.conn), ledger: profiler.wrapLedger(rc.ledger) };
  }
  const profiler = rc.profiler;
  const now = () => new Date();
  const started = now();
  const t0 = performance.now();
  const maxAttempts = step.retries + 1;
  let attempts = 0;

  const finish = async (status: "succeeded" | "failed" | "cancelled", extra: Partial<StepMetrics> & { transient?: boolean; located?: LocatedFailure } = {}): Promise<StepMetrics> => {
    const ended = now();
    const durationMs = Math.round(performance.now() - t0);
    const rows = extra.rows ?? {};
    if (status === "succeeded") await rc.ledger.recordRowReasons(rc.runId, step.name, rows);
    await rc.ledger.updateStep(rc.runId, step.name, {
      status,
      attempts,
      endedAt: ended,
      durationMs,
      rows,
      ...(extra.error !== undefined ? { error: extra.error } : {}),
    });
    const time = ended.toISOString();
    if (status === "succeeded") rc.emit({ type: "step-success", time, runId: rc.runId, step: step.name, attempts, durationMs, rows, ...(extra.coverage ? { coverage: extra.coverage } : {}) });
    else if (status === "failed") {
      rc.emit({
        type: "step-failure",
        time,
        runId: rc.runId,
        step: step.name,
        file: step.file,
        attempts,
        maxAttempts,
        durationMs,
        error: extra.error ?? "",
        transient: extra.transient ?? false,
        ...(extra.located ? { located: extra.located } : {}),
      });
    } else rc.emit({ type: "step-cancel", time, runId: rc.runId, step: step.name, started: true });
    return {
      name: step.name,
      status,
      attempts,
      startedAt: started.toISOString(),
      endedAt: ended.toISOString(),
      durationMs,
      rows,
      ...(extra.coverage ? { coverage: extra.coverage } : {}),
      ...(extra.error !== undefined ? { error: extra.error } : {}),
      ...(profiler ? { profile: profiler.result() } : {}),
    };
  };

  let rendered: RenderedStep;
  try {
    rendered = rc.generator.renderStep(step, rc.renderContext);
  } catch (e) {
    // The dialect cannot express the step: as permanent as a failure gets. Recorded as one attempt.
    attempts = 1;
    await rc.ledger.updateStep(rc.runId, step.name, { status: "running", attempts, startedAt: started });
    return finish("failed", { error: errorMessage(e, rc.secrets) });
  }

  // Set once an attempt committed: p-retry may still reject afterwards when the interrupt arrives just then.
  let committed: StepExecution | undefined;
  try {
    const execution = await pRetry(
      async (attempt) => {
        attempts = attempt;
        await rc.ledger.updateStep(rc.runId, step.name, { status: "running", attempts, ...(attempt === 1 ? { startedAt: started } : {}) });
        rc.emit({ type: "step-start", time: now().toISOString(), runId: rc.runId, step: step.name, attempt, maxAttempts });
        profiler?.enter("statements");
        committed = await executeAttempt(step, rendered, rc);
        return committed;
      },
      {
        retries: step.retries,
        factor: rc.backoff.factor,
        minTimeout: rc.backoff.minTimeoutMs,
        maxTimeout: rc.backoff.maxTimeoutMs,
        signal: rc.signal,
        shouldRetry: ({ error }) => !rc.signal.aborted && isTransientError(error, rc.classifyError),
        onFailedAttempt: ({ error, attemptNumber, retriesLeft, retriesConsumed }) => {
          if (retriesLeft > 0 && !rc.signal.aborted && isTransientError(error, rc.classifyError)) {
            rc.emit({
              type: "step-retry",
              time: now().toISOString(),
              runId: rc.runId,
              step: step.name,
              attempt: attemptNumber,
              maxAttempts,
              error: errorMessage(error, rc.secrets),
              delayMs: backoffDelay(retriesConsumed, rc.backoff),
            });
          }
        },
      },
    );
    return await finish("succeeded", await afterSuccess(step, stepRows(rendered, execution), rc));
  } catch (e) {
    if (committed) return finish("succeeded", await afterSuccess(step, stepRows(rendered, committed), rc));
    if (rc.signal.aborted) return finish("cancelled", { error: "interrupted" });
    const located = await locate(step, rendered, e, rc);
    return finish("failed", {
      error: withLocation(errorMessage(e, rc.secrets), step, located),
      transient: isTransientError(e, rc.classifyError),
      ...(located ? { located } : {}),
    });
  }
}

/**
 * Where a transform's value error comes from (its column, union branch and a source row), when the statement that
 * failed is the one that computes the rows (not a key check, a timeout or a lost connection). The probes are
 * read-only and run after the step rolled back; one that cannot run leaves the error as it was.
 */
async function locate(step: PlanStep, rendered: RenderedStep, e: unknown, rc: StepRunContext): Promise<LocatedFailure | undefined> {
  if (step.body.kind !== "transform" || rc.signal.aborted || isTransientError(e, rc.classifyError)) return undefined;
  if (!(e instanceof SqlExecutionError) || e.statementIndex !== rendered.resultStatement) return undefined;
  try {
    rc.profiler?.enter("locate");
    return await locateFailure(step, rc.conn, rc.generator, rc.renderContext);
  } catch {
    return undefined;
  }
}

/** The step's error with the located lines right under its first line (the SQL excerpt follows). */
function withLocation(message: string, step: PlanStep, located: LocatedFailure | undefined): string {
  if (!located || step.body.kind !== "transform") return message;
  const [first, ...rest] = message.split("\n");
  return [first, ...describeLocatedFailure(located, `${step.body.target.schema}.${step.body.target.name}`), ...rest].join("\n");
}

/** The reports of a committed step: its row accounting, and its lookups' coverage (recorded in the ledger). */
async function afterSuccess(step: PlanStep, rows: StepRows, rc: StepRunContext): Promise<{ rows: StepRows; coverage?: LookupCoverageReport[] }> {
  rc.profiler?.enter("accounting");
  const accounted = await withRejects(step, await withAccounting(step, rows, rc), rc);
  rc.profiler?.enter("coverage");
  const coverage = await measureCoverage(step, rc.conn, rc.generator, rc.renderContext);
  if (!coverage) return { rows: accounted };
  await recordCoverage(rc.conn, rc.generator, rc.ledger.schema, rc.runId, step.name, coverage);
  return { rows: accounted, coverage };
}

/** One attempt: the step's statements under a stop switch armed by the timeout and the run's interrupt. */
async function executeAttempt(step: PlanStep, rendered: RenderedStep, rc: StepRunContext) {
  const stop = new StopSwitch();
  const onAbort = () => stop.stop(new StepStoppedError("interrupt", "interrupted"));
  rc.signal.addEventListener("abort", onAbort, { once: true });
  if (rc.signal.aborted) onAbort();
  const timer =
    step.timeoutSeconds !== undefined
      ? setTimeout(() => stop.stop(new StepStoppedError("timeout", `timed out after ${step.timeoutSeconds}s (timeout_seconds)`)), step.timeoutSeconds * 1000)
      : undefined;
  try {
    return await executeRenderedStep(new GuardedConnection(rc.conn, stop), step.name, rendered, rc.transactions);
  } catch (e) {
    // A stop surfaces as whatever the provider made of it; report the stop itself.
    throw stop.stopped ?? e;
  } finally {
    if (timer) clearTimeout(timer);
    rc.signal.removeEventListener("abort", onAbort);
  }
}

/**
 * Row accounting for transforms (nothing dropped silently), run after the step committed. A count that fails (e.g. a
 * source dropped meanwhile) leaves the step's own counts: accounting is a report and must not fail the step.
 */
async function withAccounting(step: PlanStep, rows: StepRows, rc: StepRunContext): Promise<StepRows> {
  try {
    return await accountRows(step, rows, rc.conn, rc.generator, rc.renderContext, { perReason: rc.rowAccounting !== false });
  } catch {
    return rows;
  }
}

/**
 * What a load with `on_error: reject` diverted, counted after it committed. The rejects table holds the rows
 * whatever happens here; a count that fails leaves the step's own counts, as row accounting does.
 */
async function withRejects(step: PlanStep, rows: StepRows, rc: StepRunContext): Promise<StepRows> {
  try {
    return await countRejects(step, rows, rc.conn, rc.generator, rc.renderContext);
  } catch {
    return rows;
  }
}
