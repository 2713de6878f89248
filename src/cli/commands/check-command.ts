import path from "node:path";
import type { CompiledCheck } from "../../core/checks/check-model.js";
import type { CheckResult } from "../../core/checks/evaluate-results.js";
import { summaryByCategory, type CheckNotRun, type DqResultsJson } from "../../core/checks/results-json.js";
import { describeResult } from "../../orchestrators/checks/run-check-step.js";
import { DEFAULT_DRIFT_PERCENT, describeDrift } from "../../core/checks/row-count-drift.js";
import type { Provider } from "../../providers/provider-api.js";
import type { CompiledWorkflowPlan } from "../../core/model/plan.js";
import type { CdmVersion } from "../../core/spec/spec-model.js";
import type { LoadedConfig } from "../config.js";
import type { GlobalOptions } from "../session.js";

/** Options of `omopetl check`, as commander parses them. */
export interface CheckCommandOptions {
  target?: string;
  /** What makes the command exit 1: nothing, a check in error, a failed fatal check, any failed check. */
  failOn: "none" | "error" | "fatal" | "threshold";
  jsonOut?: string;
  checks?: string[];
  samples?: number;
  dqdDir?: string;
  cdmVersion: CdmVersion;
  param: string[];
  /** --drift-threshold: the change of a table's row count that is flagged, in percent. */
  driftThreshold?: number;
}

/** The row count drift threshold: --drift-threshold, the configuration's checks.row_count_drift_percent, or 20. */
export function driftPercentOf(opts: { driftThreshold?: number }, config: LoadedConfig): number {
  return opts.driftThreshold ?? config.config.checks?.row_count_drift_percent ?? DEFAULT_DRIFT_PERCENT;
}

/** The DQD definitions folder: --dqd-dir, OMOPETL_DQD_DIR, the configuration's checks.dqd_dir, or ../shared/dqd. */
export function dqdDirOf(opts: Pick<CheckCommandOptions, "dqdDir">, config: LoadedConfig, cwd: string): string {
  if (opts.dqdDir) return path.resolve(cwd, opts.dqdDir);
  if (process.env.OMOPETL_DQD_DIR) return path.resolve(cwd, process.env.OMOPETL_DQD_DIR);
  const configured = config.config.checks?.dqd_dir;
  if (configured) return path.resolve(config.dir, configured);
  return path.resolve(config.dir, "../shared/dqd");
}

/**
 * `omopetl check [workflow|plan]`: OHDSI DQD's checks (its 2.8 definitions, its default selection) compiled from
 * the CDM spec and run read-only on the target; results appended to `<staging>.dq_result`, optionally written as
 * DQD-style JSON, summarised per category. The workflow (or plan) only names the schemas and the CDM version.
 */
export async function checkCommand(file: string | undefined, opts: CheckCommandOptions, global: GlobalOptions): Promise<number> {
  const cwd = process.cwd();
  const { checkOutputFile } = await import("../output-paths.js");
  if (opts.jsonOut) checkOutputFile(opts.jsonOut, "--json-out", cwd);
  let plan: CompiledWorkflowPlan | undefined;
  let config: LoadedConfig;
  if (file && file.toLowerCase().endsWith(".json")) {
    const { loadConfig } = await import("../config.js");
    config = await loadConfig(cwd, global.config);
    const { readPlan } = await import("./run-commands.js");
    plan = await readPlan(file);
  } else if (file) {
    const { compileFromCli } = await import("../session.js");
    const { reportDiagnostics } = await import("../report.js");
    const compiled = await compileFromCli(file, opts.param, global);
    const code = reportDiagnostics(compiled.result.diagnostics);
    if (!compiled.result.plan) return code || 1;
    plan = compiled.result.plan;
    config = compiled.config;
  } else {
    const { loadConfig } = await import("../config.js");
    config = await loadConfig(cwd, global.config);
  }
  return checkOnTarget(plan, config, global, opts);
}

/**
 * The checks run on the target of `opts` for `plan` (its schemas and CDM version; undefined: the target's schemas
 * and `opts.cdmVersion`): results written, summary printed, the exit code `--fail-on` asks for. Also what
 * `omopetl run --check` runs after a successful run.
 */
export async function checkOnTarget(plan: CompiledWorkflowPlan | undefined, config: LoadedConfig, global: GlobalOptions, opts: CheckCommandOptions): Promise<number> {
  const { writeOutput } = await import("../output-paths.js");
  const { cdmVersion, defs, compiled, runnable, notRun } = await prepareChecks(plan, config, global, opts);

  const cwd = process.cwd();
  const { resolveRunTarget } = await import("../target.js");
  const target = await resolveRunTarget(opts.target, config, cwd);
  const { DEFAULT_SCHEMAS } = await import("../../core/compile/compile-workflow.js");
  const schemas = { ...(plan?.schemas ?? DEFAULT_SCHEMAS), ...(target.config.schemas ?? {}) };
  const ctx = { tables: [], schemas, idMap: plan?.idMap ?? { schema: "staging", name: "omopetl_id_map" } };
  const g = target.provider.generator;
  await assertProviderChecks(target.provider);

  const { newRunId } = await import("../../orchestrators/run-id.js");
  const { checkHooksOf, measureChecks } = await import("../../orchestrators/checks/measure-checks.js");
  const hooks = checkHooksOf(g)!;
  const { evaluateChecks } = await import("../../core/checks/evaluate-results.js");
  const { writeDqResults } = await import("../../orchestrators/checks/dq-result-table.js");
  const started = new Date();
  const checkRunId = newRunId(started);
  process.stderr.write(`checking ${runnable.length} of DQD's ${compiled.length} default checks on ${target.description} (CDM ${cdmVersion})\n`);
  const conn = await target.provider.connect!(target.config);
  let results: CheckResult[];
  let drift: CheckResult[];
  const samples = new Map<string, Record<string, unknown>[]>();
  try {
    const measured = await measureChecks(runnable, hooks.generator, conn, ctx, {
      ...hooks.options,
      onMeasured: (_c, _m, done, total) => {
        if (process.stderr.isTTY && (done % 50 === 0 || done === total)) process.stderr.write(`\r  ${done}/${total}`);
      },
    });
    if (process.stderr.isTTY) process.stderr.write("\n");
    results = evaluateChecks(runnable, measured);
    if (opts.samples && g.renderCheckSample) {
      for (const r of results.filter((x) => x.status === "failed")) {
        const check = runnable.find((c) => c.checkId === r.checkId)!;
        if (check.measure.kind === "ratio") samples.set(r.checkId, await conn.query(g.renderCheckSample(check.measure, ctx, opts.samples)));
      }
    }
    // The row counts against the previous successful run's, read before this run's are written.
    const { readRowCountBaselines } = await import("../../orchestrators/checks/dq-result-table.js");
    const { ensureDqResultTable } = await import("../../orchestrators/checks/dq-result-table.js");
    const { rowCountDriftResults, rowCountsOf } = await import("../../core/checks/row-count-drift.js");
    await ensureDqResultTable(conn, g, schemas.staging ?? "staging");
    const baselines = await readRowCountBaselines(conn, g, schemas.staging ?? "staging", checkRunId);
    drift = rowCountDriftResults(rowCountsOf(results), baselines, driftPercentOf(opts, config));
    await writeDqResults(conn, g, schemas.staging ?? "staging", checkRunId, started, [...results, ...drift]);
  } finally {
    await conn.close();
  }
  const ended = new Date();

  const { dqdCheckResult, overviewOf } = await import("../../core/checks/results-json.js");
  if (opts.jsonOut) {
    const json: DqResultsJson = {
      startTimestamp: started.toISOString(),
      endTimestamp: ended.toISOString(),
      executionTime: `${((ended.getTime() - started.getTime()) / 1000).toFixed(0)} secs`,
      CheckResults: results.map((r) => dqdCheckResult(r, samples.get(r.checkId))),
      Metadata: [{ cdmSourceName: target.name, cdmVersion, dqdVersion: "2.8 definitions, run by omopetl" }],
      Overview: overviewOf(results),
      omopetl: { checkRunId, target: target.description, dqdDefinitions: defs.dir, checksNotRun: notRun, rowCountDrift: drift.map((r) => dqdCheckResult(r)) },
    };
    const { mkdir, writeFile } = await import("node:fs/promises");
    const { maskSecrets } = await import("../../orchestrators/redact.js");
    const out = opts.jsonOut;
    await writeOutput("--json-out", out, async () => {
      await mkdir(path.dirname(path.resolve(out)), { recursive: true });
      await writeFile(out, maskSecrets(JSON.stringify(json, null, 2), target.secrets) + "\n");
    });
  }

  const { maskSecrets } = await import("../../orchestrators/redact.js");
  const lines = summaryLines(results, notRun, checkRunId, schemas.staging ?? "staging", samples, drift);
  if (opts.jsonOut) lines[lines.length - 1] += `, ${opts.jsonOut}`;
  process.stdout.write(maskSecrets(lines.join("\n"), target.secrets) + "\n");
  const failed = results.filter((r) => r.status === "failed");
  const errors = results.filter((r) => r.status === "error");

  const bad =
    (opts.failOn !== "none" && errors.length > 0) ||
    (opts.failOn === "fatal" && failed.some((r) => r.severity === "fatal")) ||
    (opts.failOn === "threshold" && failed.length > 0);
  return bad ? 1 : 0;
}

/** The checks a run of `opts` selects: DQD's definitions read, selected and compiled against the spec. */
export async function prepareChecks(
  plan: CompiledWorkflowPlan | undefined,
  config: LoadedConfig,
  global: GlobalOptions,
  opts: Pick<CheckCommandOptions, "dqdDir" | "checks" | "cdmVersion">,
): Promise<{ cdmVersion: CdmVersion; defs: { dir: string }; compiled: CompiledCheck[]; runnable: CompiledCheck[]; notRun: CheckNotRun[] }> {
  const cdmVersion = plan?.cdmVersion ?? opts.cdmVersion;
  const { loadDqdDefinitions } = await import("../../core/checks/dqd-definitions.js");
  const { selectDqdChecks } = await import("../../core/checks/dqd-select.js");
  const { compileChecks } = await import("../../core/checks/compile-checks.js");
  const { specManager } = await import("../session.js");
  const defs = loadDqdDefinitions(dqdDirOf(opts, config, process.cwd()), cdmVersion);
  const spec = await (await specManager(config, global)).load(cdmVersion);
  // As DQD documents for checkNames: cdmTable, cdmField and measureValueCompleteness always run (not applicable
  // needs them).
  const checkNames = opts.checks ? [...new Set([...opts.checks, "cdmTable", "cdmField", "measureValueCompleteness"])] : undefined;
  const compiled = compileChecks(selectDqdChecks(defs, checkNames ? { checkNames } : {}), spec);
  const runnable = compiled.filter((c) => c.measure.kind !== "unsupported");
  const notRun = compiled.filter((c) => c.measure.kind === "unsupported").map((c) => ({ checkId: c.checkId, checkName: c.checkName, reason: (c.measure as { reason: string }).reason }));
  return { cdmVersion, defs, compiled, runnable, notRun };
}

/** Fails with UNSUPPORTED_FEATURE when the provider cannot render the check queries or connect. */
export async function assertProviderChecks(provider: Provider): Promise<void> {
  const g = provider.generator;
  if (!g.renderCheck || !g.renderFieldProbe || !g.renderExistingTables || !provider.connect) {
    const { UnsupportedFeatureError } = await import("../../providers/provider-errors.js");
    throw new UnsupportedFeatureError(provider.dialect, "data quality checks", `provider "${provider.name}" renders no check queries or cannot connect.`);
  }
}

/**
 * The terminal summary of a check run: counts per category and in total, each failed check (with its sample rows)
 * and each error; the last line says where the results are.
 */
export function summaryLines(
  results: readonly CheckResult[],
  notRun: readonly CheckNotRun[],
  checkRunId: string,
  staging: string,
  samples: ReadonlyMap<string, Record<string, unknown>[]> = new Map(),
  drift: readonly CheckResult[] = [],
): string[] {
  const lines: string[] = [];
  const pad = (s: string | number, n: number) => String(s).padStart(n);
  lines.push(`check run ${checkRunId}: ${results.length} checks run${notRun.length > 0 ? `, ${notRun.length} not compiled (${[...new Set(notRun.map((n) => n.checkName))].join(", ")})` : ""}`);
  lines.push(`${"category".padEnd(14)}${pad("passed", 8)}${pad("failed", 8)}${pad("n/a", 8)}${pad("errors", 8)}`);
  const total = { category: "total", passed: 0, failed: 0, notApplicable: 0, errors: 0 };
  for (const r of summaryByCategory(results)) {
    lines.push(`${r.category.padEnd(14)}${pad(r.passed, 8)}${pad(r.failed, 8)}${pad(r.notApplicable, 8)}${pad(r.errors, 8)}`);
    total.passed += r.passed;
    total.failed += r.failed;
    total.notApplicable += r.notApplicable;
    total.errors += r.errors;
  }
  lines.push(`${"total".padEnd(14)}${pad(total.passed, 8)}${pad(total.failed, 8)}${pad(total.notApplicable, 8)}${pad(total.errors, 8)}`);
  const failed = results.filter((r) => r.status === "failed");
  if (failed.length > 0) lines.push("", "failed:");
  for (const r of failed) {
    lines.push(`  ${r.severity.padEnd(16)} ${describeResult(r)}`);
    for (const s of samples.get(r.checkId) ?? []) lines.push(`      ${JSON.stringify(s)}`);
  }
  const errors = results.filter((r) => r.status === "error");
  if (errors.length > 0) lines.push("", "errors:");
  for (const r of errors) lines.push(`  ${r.checkId}: ${(r.error ?? "").split("\n")[0]}`);
  const driftText = driftLines(drift);
  if (driftText.length > 0) lines.push("", ...driftText);
  lines.push("", `results: ${staging}.dq_result (check_run_id = '${checkRunId}')`);
  return lines;
}

/** The summary's row count drift: how many tables were compared, and each flagged one. */
function driftLines(drift: readonly CheckResult[]): string[] {
  const compared = drift.filter((r) => r.status === "passed" || r.status === "failed");
  const flagged = drift.filter((r) => r.status === "failed");
  if (drift.length === 0) return [];
  if (compared.length === 0) return ["row counts: no earlier successful run recorded them (compared from the next run on)"];
  const threshold = drift[0]!.thresholdValue;
  const runs = [...new Set(compared.map((r) => r.baselineRunId))].join(", ");
  const head = `row counts: ${compared.length} tables compared with run ${runs}, ${flagged.length} changed by more than ${threshold}%${flagged.length > 0 ? ":" : ""}`;
  return [head, ...flagged.map((r) => `  ${describeDrift(r)}`)];
}
