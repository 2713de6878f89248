import type { Diagnostic, SourceLocation } from "../diagnostics/diagnostic.js";

/**
 * Size limits of a workflow: far above any real ETL (the benchmark compiles 10,000 steps in about a second), low enough
 * that a generated or corrupted workflow fails in seconds with a located error instead of running out of time or
 * memory in the DAG.
 */
export const MAX_STEPS = 20_000;

/** TOO_MANY_STEPS: the workflow (its entries, or the files its globs match) has more than MAX_STEPS steps. */
export function tooManySteps(location: SourceLocation, count: number | undefined): Diagnostic {
  return {
    code: "TOO_MANY_STEPS",
    severity: "error",
    location,
    message: `the workflow has ${count === undefined ? "more than" : count} steps${count === undefined ? ` ${MAX_STEPS}` : `, more than ${MAX_STEPS}`}.`,
    hint: "Split it into several workflows (each can read the tables another one wrote, declared under external:).",
  };
}
