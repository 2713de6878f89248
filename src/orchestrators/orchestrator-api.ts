/**
 * The orchestrator API: what runs a {@link CompiledWorkflowPlan} on a target. An orchestrator schedules the plan's
 * steps and executes the SQL a {@link Provider} renders for them; it never compiles anything itself.
 *
 * The interface is deliberately small (one `execute`) so third-party orchestrators (a package named
 * `omopetl-orchestrator-<name>` or `@scope/omopetl-orchestrator-<name>`, or a local module) can hand steps to
 * another scheduler. Progress is reported through {@link RunEvent}s; the CLI turns them into a live tree, plain
 * lines or JSON.
 */
import type { CompiledWorkflowPlan, PlanStep } from "../core/model/plan.js";
import type { CheckStepsOptions } from "./checks/check-steps.js";
import type { LookupCoverageReport } from "./lookup-coverage.js";

export type { LookupCoverageReport } from "./lookup-coverage.js";
import { renderContextFromPlan, type Provider, type RenderContext, type TargetConfig } from "../providers/provider-api.js";

/** Bumped on any incompatible change of this file; third-party orchestrators declare the version they implement. */
export const ORCHESTRATOR_API_VERSION = 1 as const;

/** Where a plan runs: a configured target with its provider. */
export interface RunTarget {
  /** The target's name in the configuration ("default" unless `--target` says otherwise). */
  name: string;
  provider: Provider;
  /** Connection options, secrets included: never print them; use {@link RunTarget.description}. */
  config: TargetConfig;
  /** A secret-free description for logs and the run ledger, e.g. `duckdb ./omop.duckdb`. */
  description: string;
  /** Strings that must never be printed (passwords, URLs with credentials); reporters mask them. */
  secrets?: readonly string[];
}

/** Exponential backoff between attempts of a step (p-retry's options). */
export interface RetryBackoff {
  /** Delay before the first retry, in ms (default 1000). */
  minTimeoutMs?: number;
  /** Growth factor of the delay (default 2). */
  factor?: number;
  /** Longest delay, in ms (default 30000). */
  maxTimeoutMs?: number;
}

/** How to run a plan. Everything is optional; orchestrators document which options they honour. */
export interface ExecuteOptions {
  /** Id of the new run (default: a fresh {@link newRunId}). */
  runId?: string;
  /** Steps to run (names); undefined runs every step. Steps outside the set count as done for their dependents. */
  selection?: ReadonlySet<string>;
  /** Most steps running at once (default: the orchestrator's choice for the target). */
  concurrency?: number;
  /**
   * Resume a failed or interrupted run: `true` for the latest one of this workflow on this target, or a run id.
   * Steps that succeeded there with an unchanged fingerprint (and whose upstream is reused too) are not rerun.
   */
  resume?: true | string;
  /** Print (as `statement` events) every statement in execution order instead of running anything. */
  dryRun?: boolean;
  /** Aborting stops scheduling; running steps stop at their next statement and roll back; the run is "interrupted". */
  signal?: AbortSignal;
  /** Receives every event, synchronously, in order. */
  onEvent?: (event: RunEvent) => void;
  /** Backoff between retries of a step. */
  retryBackoff?: RetryBackoff;
  /** Recorded in the ledger as the run's invocation (e.g. the CLI arguments), free of secrets. */
  invocation?: string;
  /**
   * false: transforms report the rows they read and wrote, but not the rows not written counted per reason (which
   * costs a counting query per transform). Default true.
   */
  rowAccounting?: boolean;
  /**
   * Time every statement of every step, and every ledger call (`run --profile`): each executed step's metrics get a
   * {@link StepProfile}. Off by default (the timing itself is cheap; the per-statement list is what it keeps).
   */
  profile?: boolean;
  /**
   * When another run holds the target's lock: wait up to this many seconds for it (polling), instead of stopping
   * at once with TARGET_LOCKED.
   */
  waitForLockSeconds?: number;
  /**
   * Data quality checks to run as steps of the run (`run --check`): one step per checked table (`check:<table>`,
   * kind "check" in the ledger) after the steps writing what its checks read; the steps reading the table wait for
   * it, and a blocking failure fails the run like a failed step. An orchestrator that cannot run them says so in
   * {@link Orchestrator.runsCheckSteps}. Ignored by a dry run.
   */
  checks?: CheckStepsOptions;
}

/** Final state of one step in a run. */
export type StepStatus =
  /** ran and committed */
  | "succeeded"
  /** ran and failed (after its retries) */
  | "failed"
  /** not run because a step it depends on failed */
  | "skipped"
  /** not run because a resumed run had already done it (same fingerprint) */
  | "reused"
  /** not run (or rolled back) because the run was interrupted */
  | "cancelled";

export type RunStatus = "succeeded" | "failed" | "interrupted";

/** Rows a step changed, as far as the driver reports them. */
export interface StepRows {
  /** The count of the step's result statement (the load's INSERT, the transform's MERGE/INSERT). */
  affected?: number;
  /** What the result statement did: "inserted" (INSERT), "merged" (MERGE), "updated", "deleted". */
  verb?: "inserted" | "merged" | "updated" | "deleted";
  inserted?: number;
  updated?: number;
  deleted?: number;
  /**
   * Merge transforms: target rows the step wrote in an earlier run and deleted in this one because its select no
   * longer produces their key (their source row was deleted or its key changed). Also counted in `deleted`.
   */
  sourceGone?: number;
  /** Transforms: rows in the tables the step read from (one count per select). */
  read?: number;
  /** Transforms in replace/rebuild mode: rows read but not written (read − inserted, when positive). */
  filtered?: number;
  /** Why rows read may not be written (from the plan's audit): the step's filters. */
  filters?: string[];
  /**
   * Transforms: the rows read and not written, counted per reason, in the order the select applies them (only
   * reasons that removed rows): inner joins without a match, where, routing by lookup domain, unmapped codes,
   * group_by, having, qualify, distinct. See {@link RowReason}.
   */
  notWritten?: RowReason[];
  /** Transforms: rows a join or lookup added by matching one row several times (a code with two `Maps to`). */
  added?: RowReason[];
  /**
   * Loads with `on_error: reject`: the file rows diverted to the rejects table (also counted in `notWritten` with
   * the reason "rejected"), the bad values it holds (a row may hold several), and its physical `schema.table`.
   */
  rejected?: { rows: number; values: number; table: string };
}

/** A number of rows and why (row accounting). */
export interface RowReason {
  reason: string;
  rows: number;
  /** The union branch (1-based) when the transform has several selects. */
  branch?: number;
}

/** Metrics of one step in one run. */
export interface StepMetrics {
  name: string;
  status: StepStatus;
  attempts: number;
  /** ISO 8601 (UTC) start of the first attempt and end of the last one, when it ran. */
  startedAt?: string;
  endedAt?: string;
  durationMs?: number;
  rows: StepRows;
  error?: string;
  /** Transforms with lookups: each lookup's mapping coverage in this run (lookup-coverage.ts). */
  coverage?: LookupCoverageReport[];
  /** With `profile`: where the step's time went. */
  profile?: StepProfile;
  /** For skipped steps: the failed step they depend on. */
  skippedBecause?: string;
  /** For reused steps: the run that did them. */
  reusedFrom?: string;
}

/**
 * What a step's time is spent on: "statements" (its rendered statements: the write, id map upkeep, key checks...),
 * "accounting" (the counts of rows read and not written), "coverage" (lookup coverage reports), "locate" (probes
 * finding a failed value's column), "ledger" (run ledger reads and writes).
 */
export type ProfilePhase = "statements" | "accounting" | "coverage" | "locate" | "ledger";

/** A step's profile (`run --profile`): milliseconds per phase, and each statement or ledger call in order. */
export interface StepProfile {
  phases: Record<ProfilePhase, number>;
  /** `sql`: the statement's first line (cut), or `ledger.<method>`; `rows`: the count the driver reported. */
  statements: { phase: ProfilePhase; sql: string; ms: number; rows?: number }[];
}

/** Totals of a run. */
export interface RunTotals {
  steps: number;
  succeeded: number;
  failed: number;
  skipped: number;
  reused: number;
  cancelled: number;
  attempts: number;
  rowsAffected: number;
  rowsInserted: number;
  rowsUpdated: number;
  rowsDeleted: number;
}

/** What `--metrics-out` writes, and what {@link Orchestrator.execute} resolves to. */
export interface RunResult {
  runId: string;
  orchestrator: string;
  workflow: string;
  planFingerprint: string;
  target: string;
  status: RunStatus;
  /** True when nothing ran because of dryRun. */
  dryRun: boolean;
  resumedFrom?: string;
  concurrency: number;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  totals: RunTotals;
  /** In plan order. */
  steps: StepMetrics[];
}

/** Progress of a run, emitted in order. `time` is an ISO 8601 UTC timestamp. */
export type RunEvent =
  | {
      type: "run-start";
      time: string;
      runId: string;
      workflow: string;
      planFingerprint: string;
      target: string;
      concurrency: number;
      /** Steps that will run, in plan order. */
      steps: string[];
      /** Steps reused from `resumedFrom`. */
      reused: string[];
      resumedFrom?: string;
      dryRun: boolean;
    }
  | { type: "step-start"; time: string; runId: string; step: string; attempt: number; maxAttempts: number }
  | {
      type: "step-retry";
      time: string;
      runId: string;
      step: string;
      /** The attempt that failed. */
      attempt: number;
      maxAttempts: number;
      error: string;
      delayMs: number;
    }
  | { type: "step-success"; time: string; runId: string; step: string; attempts: number; durationMs: number; rows: StepRows; /** Each lookup's mapping coverage (transforms with lookups). */ coverage?: LookupCoverageReport[] }
  | { type: "step-failure"; time: string; runId: string; step: string; /** The step's DML file, relative to the workflow file, so a failure names where to look. */ file: string; attempts: number; maxAttempts: number; durationMs: number; error: string; transient: boolean; /** Where a transform's value error comes from (its column's file:line:col, union branch, a source row), when found. */ located?: LocatedFailure }
  | { type: "step-skip"; time: string; runId: string; step: string; dependency: string }
  | { type: "step-reuse"; time: string; runId: string; step: string; fromRun: string }
  | { type: "step-cancel"; time: string; runId: string; step: string; started: boolean }
  | { type: "statement"; time: string; runId: string; step: string; index: number; count: number; transactional: boolean; sql: string }
  | { type: "warning"; time: string; runId: string; message: string }
  | { type: "run-end"; time: string; runId: string; status: RunStatus; result: RunResult };

/** Where a failed transform's value error comes from: see `locateFailure`. */
export interface LocatedFailure {
  /** The DML file, relative to the workflow. */
  file: string;
  line: number;
  column: number;
  /** "value": the column's value cannot be computed; "null": NULL for a NOT NULL column; "rows": the where or a join fails. */
  kind: "value" | "null" | "rows";
  /** The output column (absent for kind "rows"). */
  target?: string;
  /** The union branch (1-based), when the transform has several selects. */
  branch?: number;
  /** One source row it fails for: the values the column's expression reads, by `alias.column`. */
  sample?: { ref: string; value: string }[];
}

/** A way to run plans. */
export interface Orchestrator {
  /** Unique name, used with `--orchestrator <name>`. */
  name: string;
  apiVersion: typeof ORCHESTRATOR_API_VERSION;
  description?: string;
  /**
   * Runs the plan (or the selected part of it) on the target. Resolves with the run's result whether steps failed
   * or not; rejects only when the run cannot start or its bookkeeping fails (unreachable database, unknown run id).
   */
  execute(plan: CompiledWorkflowPlan, target: RunTarget, options?: ExecuteOptions): Promise<RunResult>;
  /** True when `execute` honours {@link ExecuteOptions.checks}; otherwise `run --check` runs the checks after the run. */
  runsCheckSteps?: boolean;
}

/** The render context of a plan on a target (the target's schema mapping wins). */
export function targetRenderContext(plan: CompiledWorkflowPlan, target: RunTarget): RenderContext {
  return renderContextFromPlan(plan, target.config);
}

/** The plan's steps in a valid execution order (the compiler's: by level, then name), limited to `selection`. */
export function stepsInExecutionOrder(plan: CompiledWorkflowPlan, selection?: ReadonlySet<string>): PlanStep[] {
  const steps = selection ? plan.steps.filter((s) => selection.has(s.name)) : [...plan.steps];
  return steps.sort((a, b) => a.level - b.level || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
