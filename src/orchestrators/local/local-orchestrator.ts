import type { CompiledWorkflowPlan, PlanStep } from "../../core/model/plan.js";
import type { Connection, ProviderCapabilities } from "../../providers/provider-api.js";
import { planCheckSteps, type CheckStep, type CheckStepPlan } from "../checks/check-steps.js";
import { ensureDqResultTable, readRowCountBaselines } from "../checks/dq-result-table.js";
import type { RowCountBaseline } from "../../core/checks/row-count-drift.js";
import { runCheckStep } from "../checks/run-check-step.js";
import { ensureCoverageTable } from "../ledger/coverage-ledger.js";
import { RunLedger, type LedgerStepRun } from "../ledger/run-ledger.js";
import { totalsOf } from "../metrics.js";
import {
  ORCHESTRATOR_API_VERSION,
  stepsInExecutionOrder,
  targetRenderContext,
  type ExecuteOptions,
  type Orchestrator,
  type RetryBackoff,
  type RunEvent,
  type RunResult,
  type RunStatus,
  type RunTarget,
  type StepMetrics,
} from "../orchestrator-api.js";
import { concurrencyOverProviderLimit, invalidConcurrency, MAX_CONCURRENCY, providerCannotConnect, resumeWrongWorkflow, runNotFound } from "../orchestrator-errors.js";
import { maskSecrets } from "../redact.js";
import { withFileFingerprints } from "../file-fingerprints.js";
import { reusableSteps } from "../resume.js";
import { newRunId } from "../run-id.js";
import { scheduleDag, type NodeOutcome } from "./dag-scheduler.js";
import { checkTablesExist } from "./missing-tables.js";
import { prepareIdMap, prepareMergeKeys, prepareSchemas, schemasCreatedBySteps } from "./prepare-schemas.js";
import { connectWaitingForLock, takeRunLock, type HeldRunLock } from "./run-lock.js";
import { runStep } from "./step-runner.js";

/** Name of the built-in orchestrator. */
export const LOCAL_ORCHESTRATOR = "local";

const DEFAULT_BACKOFF: Required<RetryBackoff> = { minTimeoutMs: 1000, factor: 2, maxTimeoutMs: 30_000 };

/**
 * Default worker count for a provider: one where the database takes one writer at a time (an embedded file engine
 * serialises its statements: concurrent steps would only interleave, or abort each other); otherwise four
 * independent steps side by side, within the provider's `maxConcurrency`.
 */
export function defaultConcurrency(capabilities: Pick<ProviderCapabilities, "singleWriter" | "maxConcurrency">): number {
  if (capabilities.singleWriter) return 1;
  return Math.min(4, capabilities.maxConcurrency ?? 4);
}

/** The staging schema's physical name on the target: where the run ledger lives. */
export function ledgerSchema(plan: Pick<CompiledWorkflowPlan, "schemas">, target: Pick<RunTarget, "config">): string {
  return target.config.schemas?.["staging"] ?? plan.schemas["staging"] ?? "staging";
}

/** Which run `options.resume` designates, and the steps it lets this run reuse. */
async function resolveResume(
  ledger: RunLedger,
  plan: CompiledWorkflowPlan,
  resume: true | string,
  selection: ReadonlySet<string> | undefined,
  emitWarning: (message: string) => void,
): Promise<{ from?: string; reused: Map<string, string>; previous?: LedgerStepRun[] }> {
  let runId: string;
  if (resume === true) {
    const { run, latest } = await ledger.findResumable(plan.name);
    if (!latest) {
      emitWarning(`nothing to resume: no earlier run of ${plan.name} on this target; running every step`);
      return { reused: new Map() };
    }
    if (!run) {
      // As with an explicit run id: a succeeded run's steps are reusable, so only what changed since then runs.
      emitWarning(
        `nothing to resume: the last run of ${plan.name} (${latest.runId}) succeeded; only steps changed since then run (edited DML, loads whose files changed, and what depends on them)`,
      );
    }
    runId = (run ?? latest).runId;
  } else {
    const run = await ledger.getRun(resume);
    if (!run) throw runNotFound(resume, plan.name, `in schema "${ledger.schema}"`);
    if (run.workflow !== plan.name) throw resumeWrongWorkflow(resume, run.workflow, plan.name);
    runId = run.runId;
  }
  const previous = await ledger.stepRuns(runId);
  return { from: runId, reused: reusableSteps(plan, previous, runId, selection), previous };
}

/**
 * Runs plans in this process: a bounded pool of workers over the step DAG, with retries of transient failures, step
 * timeouts, a run ledger in the target database (ledger/run-ledger.ts) and resume (resume.ts).
 */
export const localOrchestrator: Orchestrator = {
  name: LOCAL_ORCHESTRATOR,
  apiVersion: ORCHESTRATOR_API_VERSION,
  description: "runs steps in this process, in parallel as the DAG allows, with a run ledger in the target database",
  runsCheckSteps: true,

  async execute(compiled: CompiledWorkflowPlan, target: RunTarget, options: ExecuteOptions = {}): Promise<RunResult> {
    // Loads are recorded (and resumed) with the state of their files, so a changed source file is reloaded.
    const plan = await withFileFingerprints(compiled);
    const runId = options.runId ?? newRunId();
    const secrets = target.secrets ?? [];
    // A listener's failure (a closed stdout pipe) must not break the run or its bookkeeping.
    const emit = (e: RunEvent) => {
      try {
        options.onEvent?.(e);
      } catch {
        // ignored
      }
    };
    const caps = target.provider.capabilities;
    const concurrency = options.concurrency ?? defaultConcurrency(caps);
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > MAX_CONCURRENCY) throw invalidConcurrency(concurrency);
    if (caps.maxConcurrency !== undefined && concurrency > caps.maxConcurrency) throw concurrencyOverProviderLimit(concurrency, target.provider.name, caps.maxConcurrency);
    const backoff = { ...DEFAULT_BACKOFF, ...stripUndefined(options.retryBackoff ?? {}) };
    const ctx = targetRenderContext(plan, target);
    const steps = stepsInExecutionOrder(plan, options.selection);
    const signal = options.signal ?? new AbortController().signal;
    const startedAt = new Date();
    const t0 = performance.now();
    const warn = (message: string) => emit({ type: "warning", time: new Date().toISOString(), runId, message: maskSecrets(message, secrets) });

    const needsConnection = !options.dryRun || options.resume !== undefined;
    if (needsConnection && !target.provider.connect) throw providerCannotConnect(target.provider.name);
    const conn: Connection | undefined = needsConnection
      ? await connectWaitingForLock(() => target.provider.connect!(target.config), options.dryRun ? undefined : options.waitForLockSeconds, signal, warn)
      : undefined;
    if (conn && !options.dryRun && caps.transactions !== "multi-statement") {
      warn(
        `the ${target.provider.name} provider has ${caps.transactions === "none" ? "no transactions" : "no transaction spanning several statements"}: ` +
          "a step that fails midway may leave part of its writes behind until it is re-run (omopetl run --resume re-runs it; steps are idempotent)",
      );
    }
    let lock: HeldRunLock | undefined;
    try {
      // One writer per target: taken before anything is read or written (a dry run writes nothing).
      if (conn && !options.dryRun) {
        lock = await takeRunLock(conn, {
          runId,
          startedAt,
          target: target.description,
          schemas: [...new Set(Object.values(ctx.schemas))].sort(),
          ...(options.waitForLockSeconds !== undefined ? { waitSeconds: options.waitForLockSeconds } : {}),
          signal,
          warn,
        });
      }
      // Before anything is written (the ledger included): what the steps need exists or is created by one of them.
      if (conn && !options.dryRun) await checkTablesExist(plan, steps, conn, target.provider.generator, ctx);
      const ledger = conn ? new RunLedger(conn, ledgerSchema(plan, target), target.provider.generator) : undefined;
      let reused = new Map<string, string>();
      let resumedFrom: string | undefined;
      let previousSteps: LedgerStepRun[] | undefined;
      if (ledger && options.resume !== undefined) {
        // A dry run does not create the ledger; without one there is nothing to resume from.
        if (options.dryRun && !(await ledger.exists())) warn("nothing to resume: this target has no run ledger yet");
        else {
          if (!options.dryRun) await ledger.ensure();
          const r = await resolveResume(ledger, plan, options.resume, options.selection, warn);
          reused = r.reused;
          resumedFrom = r.from;
          previousSteps = r.previous;
        }
      }
      // `run --check`: the checks of each table as a step after its writers (check-steps.ts); a dry run has none.
      const checkPlan: CheckStepPlan = options.checks && !options.dryRun ? planCheckSteps(plan, steps, options.checks, options.selection) : { steps: [], gates: new Map() };
      if (previousSteps) for (const [name, from] of reusableCheckSteps(checkPlan.steps, previousSteps, resumedFrom!, reused)) reused.set(name, from);
      const toRun = steps.filter((s) => !reused.has(s.name));
      const checksToRun = checkPlan.steps.filter((c) => !reused.has(c.name));
      emit({
        type: "run-start",
        time: startedAt.toISOString(),
        runId,
        workflow: plan.name,
        planFingerprint: plan.fingerprint,
        target: target.description,
        concurrency,
        steps: [...toRun.map((s) => s.name), ...checksToRun.map((c) => c.name)],
        reused: [...steps, ...checkPlan.steps].filter((s) => reused.has(s.name)).map((s) => s.name),
        ...(resumedFrom ? { resumedFrom } : {}),
        dryRun: options.dryRun === true,
      });

      const metrics = new Map<string, StepMetrics>();
      for (const s of [...steps, ...checkPlan.steps]) {
        const from = reused.get(s.name);
        if (from) {
          metrics.set(s.name, { name: s.name, status: "reused", attempts: 0, rows: {}, reusedFrom: from });
          emit({ type: "step-reuse", time: new Date().toISOString(), runId, step: s.name, fromRun: from });
        }
      }

      let status: RunStatus;
      if (options.dryRun) {
        dryRun(toRun, target, ctx, runId, emit);
        status = "succeeded";
      } else {
        try {
          status = await runSteps({ plan, target, options, conn: conn!, ledger: ledger!, runId, steps, toRun, checkPlan, checksToRun, reused, resumedFrom, concurrency, backoff, ctx, signal, emit, metrics, startedAt, secrets });
        } catch (e) {
          // The ledger could not be written (a full disk...) or something else broke the run: it must not stay
          // "running" in the ledger. Recording that may fail for the same reason; `status` then tells from the
          // recorded host and pid that the process is gone.
          const totals = totalsOf([...steps, ...checkPlan.steps].map((st) => metrics.get(st.name) ?? { name: st.name, status: "cancelled" as const, attempts: 0, rows: {} }));
          const why = maskSecrets(e instanceof Error ? e.message : String(e), secrets);
          await ledger!.finishRun(runId, "failed", new Date(), Math.round(performance.now() - t0), totals, why).catch(() => undefined);
          throw e;
        }
      }

      const endedAt = new Date();
      const durationMs = Math.round(performance.now() - t0);
      const stepMetrics = [...steps, ...checkPlan.steps].map((s) => metrics.get(s.name) ?? { name: s.name, status: "cancelled" as const, attempts: 0, rows: {} });
      const totals = totalsOf(stepMetrics);
      if (!options.dryRun) await ledger!.finishRun(runId, status, endedAt, durationMs, totals);
      const result: RunResult = {
        runId,
        orchestrator: LOCAL_ORCHESTRATOR,
        workflow: plan.name,
        planFingerprint: plan.fingerprint,
        target: target.description,
        status,
        dryRun: options.dryRun === true,
        ...(resumedFrom ? { resumedFrom } : {}),
        concurrency,
        startedAt: startedAt.toISOString(),
        endedAt: endedAt.toISOString(),
        durationMs,
        totals,
        steps: stepMetrics,
      };
      emit({ type: "run-end", time: endedAt.toISOString(), runId, status, result });
      return result;
    } finally {
      await lock?.release();
      await conn?.close();
    }
  },
};

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Emits every statement of the steps, in execution order, without running anything. */
function dryRun(steps: readonly PlanStep[], target: RunTarget, ctx: ReturnType<typeof targetRenderContext>, runId: string, emit: (e: RunEvent) => void): void {
  for (const step of steps) {
    const rendered = target.provider.generator.renderStep(step, ctx);
    for (const [index, sql] of rendered.statements.entries()) {
      emit({ type: "statement", time: new Date().toISOString(), runId, step: step.name, index, count: rendered.statements.length, transactional: rendered.transactional, sql });
    }
  }
}

interface RunState {
  plan: CompiledWorkflowPlan;
  target: RunTarget;
  options: ExecuteOptions;
  conn: Connection;
  ledger: RunLedger;
  runId: string;
  steps: PlanStep[];
  toRun: PlanStep[];
  checkPlan: CheckStepPlan;
  checksToRun: CheckStep[];
  reused: Map<string, string>;
  resumedFrom: string | undefined;
  concurrency: number;
  backoff: Required<RetryBackoff>;
  ctx: ReturnType<typeof targetRenderContext>;
  signal: AbortSignal;
  emit: (e: RunEvent) => void;
  metrics: Map<string, StepMetrics>;
  startedAt: Date;
  secrets: readonly string[];
}

/** Records the run, schedules its steps and returns how it ended. */
async function runSteps(s: RunState): Promise<RunStatus> {
  await s.ledger.ensure();
  // The lookups' coverage reports have their own ledger table, created only for runs that have lookups.
  if (s.toRun.some((st) => st.body.kind === "transform" && st.body.selects.some((sel) => sel.lookups?.length))) await ensureCoverageTable(s.conn, s.target.provider.generator, s.ledger.schema);
  await s.ledger.startRun({
    runId: s.runId,
    workflow: s.plan.name,
    planFingerprint: s.plan.fingerprint,
    startedAt: s.startedAt,
    target: s.target.description,
    orchestrator: LOCAL_ORCHESTRATOR,
    ...(s.resumedFrom ? { resumedFrom: s.resumedFrom } : {}),
    concurrency: s.concurrency,
    ...(s.options.invocation ? { invocation: maskSecrets(s.options.invocation, s.secrets) } : {}),
    steps: [...s.steps.map((st) => ({ ...st, kind: st.kind as string })), ...s.checkPlan.steps.map((c) => ({ ...c, kind: "check" }))].map((st) => {
      const from = s.reused.get(st.name);
      return { step: st.name, fingerprint: st.fingerprint, kind: st.kind, level: st.level, status: from ? ("reused" as const) : ("pending" as const), ...(from ? { reusedFrom: from } : {}) };
    }),
  });

  const warnings = await prepareSchemas(s.conn, s.target.provider.generator, schemasCreatedBySteps(s.plan, s.toRun, s.ctx));
  warnings.push(...(await prepareIdMap(s.conn, s.target.provider.generator, s.toRun, s.ctx)));
  warnings.push(...(await prepareMergeKeys(s.conn, s.target.provider.generator, s.toRun, s.ctx)));
  // The row counts the check steps compare with: those of the previous successful run, read before any is written.
  let baselines = new Map<string, RowCountBaseline>();
  if (s.checksToRun.length > 0) {
    await ensureDqResultTable(s.conn, s.target.provider.generator, s.ledger.schema);
    baselines = await readRowCountBaselines(s.conn, s.target.provider.generator, s.ledger.schema, s.runId);
  }
  for (const w of warnings) {
    s.emit({ type: "warning", time: new Date().toISOString(), runId: s.runId, message: maskSecrets(w, s.secrets) });
  }

  // Steps not selected (and reused ones) count as done for their dependents.
  const selected = new Set([...s.toRun, ...s.checksToRun].map((st) => st.name));
  const satisfied = new Set([...s.plan.steps, ...s.checkPlan.steps].map((st) => st.name).filter((n) => !selected.has(n)));
  const stepCtx = {
    runId: s.runId,
    conn: s.conn,
    ledger: s.ledger,
    generator: s.target.provider.generator,
    transactions: s.target.provider.capabilities.transactions ?? "multi-statement",
    ...(s.target.provider.classifyError ? { classifyError: (e: unknown) => s.target.provider.classifyError!(e) } : {}),
    renderContext: s.ctx,
    emit: s.emit,
    signal: s.signal,
    backoff: s.backoff,
    secrets: s.secrets,
    rowAccounting: s.options.rowAccounting !== false,
    profile: s.options.profile === true,
  };
  const checkCtx = { runId: s.runId, conn: s.conn, ledger: s.ledger, generator: s.target.provider.generator, renderContext: s.ctx, emit: s.emit, signal: s.signal, secrets: s.secrets, options: s.options.checks!, baselines };
  await scheduleDag<RunNode>({
    nodes: runNodes(s.toRun, s.checksToRun, s.checkPlan.gates),
    satisfied,
    concurrency: s.concurrency,
    signal: s.signal,
    run: async (node): Promise<NodeOutcome> => {
      const step = node.step;
      const m = step.kind === "check" ? await runCheckStep(step.check, checkCtx) : await runStep(step.plan, stepCtx);
      s.metrics.set(node.name, m);
      return m.status === "succeeded" ? "succeeded" : m.status === "failed" ? "failed" : "cancelled";
    },
    onSkip: async (step, dependency) => {
      await s.ledger.updateStep(s.runId, step.name, { status: "skipped", skippedBecause: dependency });
      s.metrics.set(step.name, { name: step.name, status: "skipped", attempts: 0, rows: {}, skippedBecause: dependency });
      s.emit({ type: "step-skip", time: new Date().toISOString(), runId: s.runId, step: step.name, dependency });
    },
    onNotStarted: async (step) => {
      await s.ledger.updateStep(s.runId, step.name, { status: "cancelled" });
      s.metrics.set(step.name, { name: step.name, status: "cancelled", attempts: 0, rows: {} });
      s.emit({ type: "step-cancel", time: new Date().toISOString(), runId: s.runId, step: step.name, started: false });
    },
  });
  if (s.signal.aborted) return "interrupted";
  return [...s.metrics.values()].some((m) => m.status === "failed" || m.status === "skipped") ? "failed" : "succeeded";
}

/** A node of the run's DAG: a plan step (with the check steps it waits for) or a check step. */
interface RunNode {
  name: string;
  dependsOn: readonly string[];
  step: { kind: "plan"; plan: PlanStep } | { kind: "check"; check: CheckStep };
}

/**
 * The plan steps and check steps as one DAG, ordered by their level in it (then plan steps first, then name), so a
 * check starts as soon as its writers are done, before the ready steps of later levels.
 */
function runNodes(steps: readonly PlanStep[], checks: readonly CheckStep[], gates: ReadonlyMap<string, string[]>): RunNode[] {
  const nodes: RunNode[] = [
    ...steps.map((p) => ({ name: p.name, dependsOn: [...p.dependsOn, ...(gates.get(p.name) ?? [])], step: { kind: "plan" as const, plan: p } })),
    ...checks.map((c) => ({ name: c.name, dependsOn: c.dependsOn, step: { kind: "check" as const, check: c } })),
  ];
  const byName = new Map(nodes.map((n) => [n.name, n] as const));
  const levels = new Map<string, number>();
  const levelOf = (n: RunNode): number => {
    const known = levels.get(n.name);
    if (known !== undefined) return known;
    levels.set(n.name, 0); // the DAG has no cycle (check-steps.ts keeps none); this only guards the recursion
    const deps = n.dependsOn.map((d) => byName.get(d)).filter((d): d is RunNode => d !== undefined);
    const level = deps.length === 0 ? 0 : 1 + Math.max(...deps.map(levelOf));
    levels.set(n.name, level);
    return level;
  };
  const rank = (n: RunNode): [number, number, string] => [levelOf(n), n.step.kind === "plan" ? 0 : 1, n.name];
  return nodes.sort((a, b) => {
    const [la, ka, na] = rank(a);
    const [lb, kb, nb] = rank(b);
    return la - lb || ka - kb || (na < nb ? -1 : na > nb ? 1 : 0);
  });
}

/**
 * The check steps a resumed run can take as done: those the earlier run completed with the same fingerprint whose
 * every dependency (the steps writing what they read) is reused too.
 */
function reusableCheckSteps(checks: readonly CheckStep[], previous: readonly LedgerStepRun[], previousRunId: string, reusedSteps: ReadonlyMap<string, string>): Map<string, string> {
  const done = new Map(previous.filter((p) => p.status === "succeeded" || p.status === "reused").map((p) => [p.step, p] as const));
  const out = new Map<string, string>();
  for (const c of checks) {
    const prev = done.get(c.name);
    if (!prev || prev.fingerprint !== c.fingerprint || !c.dependsOn.every((d) => reusedSteps.has(d))) continue;
    out.set(c.name, prev.status === "reused" && prev.reusedFrom ? prev.reusedFrom : previousRunId);
  }
  return out;
}
