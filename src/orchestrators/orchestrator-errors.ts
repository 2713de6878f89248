import { didYouMean } from "../core/diagnostics/did-you-mean.js";
import { OmopetlError } from "../core/diagnostics/diagnostic.js";

/*
 * Errors of the orchestration layer, one factory per diagnostic code. Usage and configuration problems exit 2.
 * Failures of steps are not errors of this kind: they are recorded, reported and end the run with exit 1.
 */

const usage = (code: string, message: string, hint?: string): OmopetlError =>
  new OmopetlError({ code, severity: "error", message, ...(hint ? { hint } : {}) }, 2);

/** `--orchestrator x` names nothing built in, configured or installed. */
export function orchestratorNotFound(spec: string, detail: string, hint?: string): OmopetlError {
  return usage("ORCHESTRATOR_NOT_FOUND", `orchestrator "${spec}" not found: ${detail}.`, hint);
}

/** A module was found but does not export a valid Orchestrator. */
export function orchestratorInvalid(spec: string, problems: readonly string[]): OmopetlError {
  return usage(
    "ORCHESTRATOR_INVALID",
    `orchestrator "${spec}" does not export a valid orchestrator: ${problems.join("; ")}.`,
    'Export (default or as "orchestrator") an object { name, apiVersion: 1, execute(plan, target, options) } — see src/orchestrators/orchestrator-api.ts.',
  );
}

/** Two orchestrators claim the same name. */
export function orchestratorDuplicate(name: string, first: string, second: string): OmopetlError {
  return usage("ORCHESTRATOR_DUPLICATE", `two orchestrators are named "${name}": ${first} and ${second}.`, "Remove one of them from the configuration's orchestrators list.");
}

/** A selector names a step that is not in the plan. */
export function unknownSelectorStep(selector: string, step: string, steps: readonly string[]): OmopetlError {
  const dym = didYouMean(step, steps);
  return usage("UNKNOWN_STEP", `"${selector}" selects step "${step}", which is not in the plan.${dym ? ` ${dym}` : ""}`, dym ? undefined : `Steps: ${steps.slice(0, 12).join(", ")}${steps.length > 12 ? ", ..." : ""}.`);
}

/** A selector that is empty or malformed (`++x`, `+`). */
export function invalidSelector(selector: string): OmopetlError {
  return usage("INVALID_SELECTOR", `invalid step selector "${selector}".`, 'Use "step" (only it), "step+" (it and downstream), "+step" (it and upstream) or "+step+".');
}

/** `--select`/`--exclude` leave nothing to run. */
export function emptySelection(): OmopetlError {
  return usage("EMPTY_SELECTION", "the step selectors leave no step to run.");
}

/** `--resume <id>` names a run the ledger does not have (for this workflow). */
export function runNotFound(runId: string, workflow: string | undefined, where: string): OmopetlError {
  return usage("RUN_NOT_FOUND", `run "${runId}"${workflow ? ` of workflow "${workflow}"` : ""} is not in the run ledger ${where}.`, "List runs with: omopetl status");
}

/** `--resume <id>` names a run of another workflow. */
export function resumeWrongWorkflow(runId: string, runWorkflow: string, workflow: string): OmopetlError {
  return usage("RESUME_WRONG_WORKFLOW", `run "${runId}" ran workflow "${runWorkflow}", not "${workflow}".`);
}

/** `--concurrency` is not a positive integer. */
/** Most steps one run may execute at once (beyond it, only the engine's connection limit would be exercised). */
export const MAX_CONCURRENCY = 1000;

export function invalidConcurrency(value: unknown): OmopetlError {
  return usage("INVALID_CONCURRENCY", `--concurrency must be a positive integer of at most ${MAX_CONCURRENCY}, got ${JSON.stringify(value)}.`);
}

/** `--concurrency` above the target provider's `maxConcurrency` capability. */
export function concurrencyOverProviderLimit(value: number, provider: string, max: number): OmopetlError {
  return usage(
    "INVALID_CONCURRENCY",
    `--concurrency ${value} is more than the ${provider} provider allows: at most ${max} step${max === 1 ? "" : "s"} at once on one target.`,
    `Use --concurrency ${max} or less.`,
  );
}

/** The provider of the target cannot connect (a generate-only provider). */
export function providerCannotConnect(provider: string): OmopetlError {
  return usage("PROVIDER_CANNOT_CONNECT", `provider "${provider}" only generates SQL; it cannot run a plan.`, "Use --dry-run to print the statements, or a target whose provider can connect.");
}

/** The run ledger could not be read or written (after retries): the run's bookkeeping is lost, so the run stops. */
export function ledgerFailed(schema: string, cause: unknown): OmopetlError {
  const detail = cause instanceof Error ? cause.message.split("\n")[0] : String(cause);
  const e = new OmopetlError(
    {
      code: "LEDGER_FAILED",
      severity: "error",
      message: `the run ledger in schema "${schema}" could not be read or written: ${detail}.`,
      hint: "The cause is the database's error quoted here (a full disk, a lost connection, missing privileges on the staging schema...): fix it, then rerun with --resume.",
    },
    1,
  );
  e.cause = cause;
  return e;
}

export { targetLocked } from "../providers/provider-errors.js";

/**
 * A load names a local file that is a FIFO, a device or a socket: the database would read it forever (/dev/zero) or
 * wait for a writer (a FIFO), so the run stops before its first step.
 */
export function loadFileNotRegular(step: string, file: string, kind: string): OmopetlError {
  return new OmopetlError(
    {
      code: "FILE_UNREADABLE",
      severity: "error",
      message: `load step "${step}" reads "${file}", which is ${kind}: the database would wait on it forever.`,
      hint: "Point the load at regular files (copy a stream to a file first).",
    },
    2,
  );
}

/** A table a run's steps need that neither exists on the target nor is created by one of them. */
export interface MissingTable {
  /** Physical `schema.table`. */
  table: string;
  /** Logical `schema.table`, as the DML names it. */
  logical: string;
  /** The first step of the run that needs it, and its DML file. */
  step: string;
  file: string;
  /** The plan's step that creates it, when there is one (not part of this run). */
  creator?: string;
  creatorFile?: string;
}

/**
 * TABLE_MISSING: checked on the target before the run's first statement (exit 1, nothing written). Each table is
 * named with the step that reads it and the step that would create it ("run it first or select it").
 */
export function tableMissing(missing: readonly MissingTable[]): OmopetlError {
  const one = (m: MissingTable) =>
    `${m.table}${m.logical !== m.table ? ` (${m.logical})` : ""}, needed by step "${m.step}" (${m.file}), does not exist on the target` +
    (m.creator ? ` and is created by step "${m.creator}" (${m.creatorFile}), which this run does not include` : ": no step of the workflow creates it (declared external?)");
  const first = missing[0]!;
  const more = missing.slice(1, 20).map(one);
  const message = `${one(first)}.${more.length ? ` Also: ${more.join("; ")}${missing.length > 21 ? `; and ${missing.length - 21} more` : ""}.` : ""} Nothing was run.`;
  const creators = [...new Set(missing.filter((m) => m.creator).map((m) => m.creator!))];
  const hint = creators.length
    ? `Run ${creators.length === 1 ? "it" : "them"} first or select ${creators.length === 1 ? "it" : "them"} too (e.g. -s ${creators.map((c) => `${c}`).join(" ")} ... or -s +${first.step}).`
    : "Create the table before the run (a table listed under external: must exist), or add a step that creates it.";
  return new OmopetlError({ code: "TABLE_MISSING", severity: "error", message, hint }, 1);
}
