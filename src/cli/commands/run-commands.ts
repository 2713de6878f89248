import { InvalidArgumentError, Option, type Command } from "commander";
import type { CompiledCheck } from "../../core/checks/check-model.js";
import type { CheckResult } from "../../core/checks/evaluate-results.js";
import type { CheckNotRun } from "../../core/checks/results-json.js";
import type { CompiledWorkflowPlan } from "../../core/model/plan.js";
import type { LedgerRun, LedgerStepRun } from "../../orchestrators/ledger/run-ledger.js";
import type { RowReason, RunResult } from "../../orchestrators/orchestrator-api.js";
import type { LoadedConfig } from "../config.js";
import type { GlobalOptions } from "../session.js";

/*
 * `omopetl run` and `omopetl status`. Registration is cheap: everything heavy (the compiler, providers, drivers,
 * the orchestrator, the progress renderers) is imported inside the actions, so `omopetl --help` stays fast.
 */

/** Options of `omopetl run`, as commander parses them. */
export interface RunCommandOptions {
  orchestrator: string;
  target?: string;
  concurrency?: number;
  resume?: true | string;
  dryRun?: boolean;
  select?: string[];
  exclude?: string[];
  param: string[];
  metricsOut?: string;
  logFormat: "text" | "json";
  waitForLock?: number;
  strict?: boolean;
  /** false with --no-row-accounting. */
  rowAccounting?: boolean;
  /** --profile: true, or the file to write the profile JSON to. */
  profile?: true | string;
  /** --check: run the data quality checks after a successful run ([check-command.ts](check-command.ts)). */
  check?: boolean;
  /** --fail-on with --check (default fatal). */
  failOn?: "none" | "error" | "fatal" | "threshold";
  /** --drift-threshold with --check. */
  driftThreshold?: number;
}

/**
 * `--drift-threshold <percent>` of `check` and `run --check`: the change of a table's row count since the previous
 * successful run that is flagged (default: the configuration's checks.row_count_drift_percent, else 20).
 */
export function driftOption(): Option {
  return new Option("--drift-threshold <percent>", "flag a table whose row count changed by more than this percent since the previous successful run (config checks.row_count_drift_percent; default 20)").argParser((v: string) => {
    const n = Number(v);
    if (v.trim() === "" || !Number.isFinite(n) || n < 0 || n > 1_000_000) throw new InvalidArgumentError("--drift-threshold must be a number of percent from 0 to 1000000.");
    return n;
  });
}

/** Options of `omopetl status`. */
export interface StatusCommandOptions {
  target?: string;
  runs: number;
  json?: boolean;
  workflow?: string;
  all?: boolean;
}

/** Most steps one run may execute at once (the orchestrator's limit, repeated here so --help parsing stays light). */
const MAX_CONCURRENCY = 1000;

const positiveInt = (name: string, max = Number.MAX_SAFE_INTEGER) => (v: string) => {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer.`);
  if (n > max) throw new InvalidArgumentError(`${name} must be at most ${max}.`);
  return n;
};

/** Adds `run` and `status` to the program. */
export function registerRunCommands(program: Command, getGlobals: () => GlobalOptions): void {
  const collect = (v: string, prev: string[]) => [...prev, v];
  program
    .command("run")
    .description("run a workflow (or a compiled plan) on a target; exit 0 ok, 1 a step failed, 2 usage/config, 130 interrupted")
    .argument("<workflow>", "workflow YAML file, or a plan JSON written by `omopetl compile`")
    .option("--orchestrator <name>", "orchestrator: local, or omopetl-orchestrator-<name> / a module path", "local")
    .option("--target <name>", 'target from the configuration\'s "targets:" (default: "default"; without targets, ./omop.duckdb)')
    .option("--concurrency <n>", "most steps running at once (default: the provider's: 1 where the database takes one writer, as DuckDB does; else 4, e.g. PostgreSQL)", positiveInt("--concurrency", MAX_CONCURRENCY))
    .option("--resume [run-id]", "skip the steps an earlier run did whose DML is unchanged (default: the latest run of this workflow)")
    .option("--dry-run", "print every statement in execution order; run nothing")
    .addOption(
      new Option("--wait-for-lock [seconds]", "when another run is writing the same target, wait for it (default 3600 s) instead of stopping with TARGET_LOCKED")
        .preset("3600")
        // Node's timers stop at 24.8 days.
        .argParser(positiveInt("--wait-for-lock", 2_073_600)),
    )
    .option("-s, --select <selector...>", "run only these steps: step, step+ (and downstream), +step (and upstream)")
    .option("--exclude <selector...>", "leave out these steps (same selector syntax)")
    .addOption(new Option("-p, --param <key=value>", "set a workflow parameter (repeatable)").argParser(collect).default([]))
    .option("--strict", "treat compile warnings as errors (exit 1 before connecting; a compiled plan JSON was checked when compiled)")
    .option("--metrics-out <file>", "write the run's metrics (per step: rows, duration, attempts; totals) as JSON")
    .option("--no-row-accounting", "do not count, per reason, the rows each transform read and did not write")
    .option("--check", "run the data quality checks (`omopetl check`) as steps: each table's checks right after the steps writing it; a check failing as --fail-on says fails its step and the run (exit 1), and skips the steps reading the table")
    .addOption(new Option("--fail-on <what>", "with --check: none, error, fatal (default) or threshold, as for `omopetl check`").choices(["none", "error", "fatal", "threshold"]))
    .addOption(driftOption())
    .option("--profile [file]", "time every statement and ledger call of every step; print the slowest steps by phase, and write the profile as JSON to file if given")
    .addOption(new Option("--log-format <format>", "progress output: text (live tree on a terminal) or json (one event per line on stdout)").choices(["text", "json"]).default("text"))
    .action(async (workflow: string, opts: RunCommandOptions) => {
      process.exitCode = await runCommand(workflow, opts, getGlobals());
    });

  program
    .command("status")
    .description("recent runs on a target, or one run's steps with their errors")
    .argument("[run-id]", "a run to show in detail")
    .option("--target <name>", 'target from the configuration (default: "default")')
    .option("--runs <n>", "how many recent runs to list", positiveInt("--runs"), 10)
    .option("--json", "machine-readable output")
    .option("--workflow <file>", "only the runs of this workflow, in the ledger of its staging schema on the target")
    .option("--all", "the runs of every ledger on the target (every workflow and schema set)")
    .action(async (runId: string | undefined, opts: StatusCommandOptions) => {
      process.exitCode = await statusCommand(runId, opts, getGlobals());
    });
}

/** Reads a plan written by `omopetl compile`. */
export async function readPlan(file: string): Promise<CompiledWorkflowPlan> {
  const { OmopetlError } = await import("../../core/diagnostics/diagnostic.js");
  const { CompiledWorkflowPlanSchema } = await import("../../core/model/plan.js");
  const fail = (message: string) => new OmopetlError({ code: "PLAN_INVALID", severity: "error", location: { file, line: 1, column: 1 }, message }, 2);
  const { readTextFile } = await import("../../core/files/read-text-file.js");
  // Plans of very large workflows are big JSON: allow more than a DML file, still bounded.
  const read = readTextFile(file, { shown: file, maxBytes: 512 * 1024 * 1024 });
  if (!read.ok) {
    if (read.missing) throw fail("cannot read the plan: no such file.");
    throw new OmopetlError(read.diagnostic, 2);
  }
  const text = read.text;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw fail(`not JSON: ${(e as Error).message}.`);
  }
  const parsed = CompiledWorkflowPlanSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    throw fail(`not a CompiledWorkflowPlan of this version: "${first.path.join(".")}": ${first.message}.`);
  }
  return parsed.data;
}

/** The command line to continue this run: the same arguments with `--resume` instead of any resume option. */
function resumeCommand(opts: RunCommandOptions): string {
  const argv = process.argv.slice(2);
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith("--resume=")) continue;
    if (a === "--resume") {
      if (typeof opts.resume === "string" && argv[i + 1] === opts.resume) i++;
      continue;
    }
    out.push(a);
  }
  const quote = (s: string) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`);
  return ["omopetl", ...out.map(quote), "--resume"].join(" ");
}

/** `omopetl run`: compiles (or reads) the plan, resolves target and orchestrator, runs, reports. */
export async function runCommand(file: string, opts: RunCommandOptions, global: GlobalOptions): Promise<number> {
  const cwd = process.cwd();
  const { OmopetlError } = await import("../../core/diagnostics/diagnostic.js");
  const { checkOutputFile, writeOutput } = await import("../output-paths.js");
  // Before compiling or connecting: a run must not succeed for an hour and then fail to write its metrics.
  if (opts.metricsOut) checkOutputFile(opts.metricsOut, "--metrics-out", cwd);
  if (typeof opts.profile === "string") checkOutputFile(opts.profile, "--profile", cwd);
  let plan: CompiledWorkflowPlan;
  let config: LoadedConfig;
  if (file.toLowerCase().endsWith(".json")) {
    if (opts.param.length) {
      throw new OmopetlError({ code: "USAGE", severity: "error", message: "--param cannot change a compiled plan: its parameters were resolved when it was compiled.", hint: "Run the workflow YAML instead, or recompile with the parameters." }, 2);
    }
    const { loadConfig } = await import("../config.js");
    config = await loadConfig(cwd, global.config);
    plan = await readPlan(file);
  } else {
    const { compileFromCli } = await import("../session.js");
    const { reportDiagnostics, reportNotes } = await import("../report.js");
    const compiled = await compileFromCli(file, opts.param, global, opts.strict === true);
    const code = reportDiagnostics(compiled.result.diagnostics);
    reportNotes(compiled.result.notes);
    if (!compiled.result.plan) return code || 1;
    plan = compiled.result.plan;
    config = compiled.config;
  }

  const { selectSteps } = await import("../../orchestrators/selection.js");
  const selection = selectSteps(plan, opts.select ?? [], opts.exclude ?? []);
  const { resolveRunTarget } = await import("../target.js");
  const target = await resolveRunTarget(opts.target, config, cwd);
  if (!target.embedded) {
    const { assertTargetSchemas } = await import("../config.js");
    assertTargetSchemas(target.name, target.config.schemas, Object.keys(plan.schemas), config);
  }
  // A local database file (DuckDB's `path`) is an output too: a directory or a device there fails before any step.
  const dbFile = (target.config as { path?: unknown }).path;
  if (typeof dbFile === "string" && dbFile !== ":memory:" && !dbFile.includes("${") && !/^[a-z][a-z0-9+.-]*:/i.test(dbFile)) checkOutputFile(dbFile, `target "${target.name}" path`, cwd);
  if (target.embedded) process.stderr.write(`no targets configured: using the embedded DuckDB database ${target.description.replace(/^duckdb /, "")}\n`);
  const { resolveOrchestrator } = await import("../../orchestrators/registry.js");
  const orchestrator = await resolveOrchestrator(opts.orchestrator, { projectDir: config.dir, configured: config.config.orchestrators ?? [] });

  // `--check` with an orchestrator that runs check steps: the checks are compiled (and the DQD files read) before
  // anything runs, and run as steps after the writers of each table; their results are collected for the summary.
  const checkResults: CheckResult[] = [];
  const driftResults: CheckResult[] = [];
  let checkSteps: { runnable: CompiledCheck[]; notRun: CheckNotRun[]; driftPercent: number } | undefined;
  if (opts.check && orchestrator.runsCheckSteps && !opts.dryRun) {
    const { prepareChecks, assertProviderChecks, driftPercentOf } = await import("./check-command.js");
    await assertProviderChecks(target.provider);
    checkSteps = { ...(await prepareChecks(plan, config, global, { cdmVersion: plan.cdmVersion })), driftPercent: driftPercentOf(opts, config) };
  }

  const { createReporter } = await import("../progress/reporter.js");
  const useColor = process.stderr.isTTY === true && !process.argv.includes("--no-color") && !process.env.NO_COLOR;
  const hint = resumeCommand(opts);
  const reporter = await createReporter({ format: opts.logFormat, secrets: target.secrets ?? [], resumeCommand: hint, color: useColor });

  // `omopetl run --dry-run | head`: a closed stdout ends a dry run quietly, and never breaks a real one (whose
  // progress and bookkeeping go on; only the output is lost).
  const onStdoutError = (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE" && opts.dryRun) process.exit(0);
  };
  process.stdout.on("error", onStdoutError);

  // First Ctrl-C/SIGTERM: stop scheduling, let running steps stop at their next statement and roll back, record
  // the state, exit 130. A second one exits at once (the ledger keeps "running"; --resume still works).
  const controller = new AbortController();
  let signals = 0;
  const onSignal = () => {
    signals++;
    if (signals === 1) {
      reporter.note("interrupted: no new steps start; running steps stop and roll back (interrupt again to exit at once)");
      controller.abort(new Error("interrupted"));
    } else {
      reporter.close();
      process.exit(130);
    }
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  let result: RunResult;
  try {
    result = await orchestrator.execute(plan, target, {
      ...(selection ? { selection } : {}),
      ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
      ...(opts.resume !== undefined ? { resume: opts.resume } : {}),
      ...(opts.waitForLock !== undefined ? { waitForLockSeconds: opts.waitForLock } : {}),
      dryRun: opts.dryRun === true,
      ...(opts.rowAccounting === false ? { rowAccounting: false } : {}),
      ...(opts.profile !== undefined ? { profile: true } : {}),
      signal: controller.signal,
      onEvent: (e) => reporter.onEvent(e),
      invocation: hint.replace(/ --resume$/, ""),
      ...(checkSteps
        ? {
            checks: {
              checks: checkSteps.runnable,
              failOn: opts.failOn ?? "fatal",
              driftPercent: checkSteps.driftPercent,
              onResults: (_step: string, rs: readonly CheckResult[], drift: readonly CheckResult[]) => {
                checkResults.push(...rs);
                driftResults.push(...drift);
              },
            },
          }
        : {}),
      ...retryBackoffFromEnv(),
    });
  } finally {
    reporter.close();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    // onStdoutError stays: a write's EPIPE can arrive after the run has ended.
  }

  if (opts.profile !== undefined && !result.dryRun) {
    const { formatProfile } = await import("../progress/profile-table.js");
    const lines = formatProfile(result);
    // With --log-format json, stdout carries one event per line: the table goes to stderr.
    if (lines.length > 0) (opts.logFormat === "json" ? process.stderr : process.stdout).write(`\n${lines.join("\n")}\n`);
    if (typeof opts.profile === "string") {
      const { mkdir, writeFile } = await import("node:fs/promises");
      const path = await import("node:path");
      const { maskSecrets } = await import("../../orchestrators/redact.js");
      const file = opts.profile;
      const profile = { runId: result.runId, workflow: result.workflow, target: result.target, durationMs: result.durationMs, steps: result.steps.filter((st) => st.profile).map((st) => ({ name: st.name, status: st.status, durationMs: st.durationMs, ...st.profile })) };
      await writeOutput("--profile", file, async () => {
        await mkdir(path.dirname(path.resolve(file)), { recursive: true });
        await writeFile(file, maskSecrets(JSON.stringify(profile, null, 2), target.secrets) + "\n");
      });
    }
  }
  if (opts.metricsOut) {
    const { mkdir, writeFile } = await import("node:fs/promises");
    const path = await import("node:path");
    const { maskSecrets } = await import("../../orchestrators/redact.js");
    const metricsOut = opts.metricsOut;
    await writeOutput("--metrics-out", metricsOut, async () => {
      await mkdir(path.dirname(path.resolve(metricsOut)), { recursive: true });
      await writeFile(metricsOut, maskSecrets(JSON.stringify(result, null, 2), target.secrets) + "\n");
    });
  }
  const code = result.status === "succeeded" ? 0 : result.status === "interrupted" ? 130 : 1;
  if (checkSteps && !result.dryRun) {
    // The results in DQD's order, whichever check step finished first.
    const order = new Map(checkSteps.runnable.map((c, i) => [c.checkId, i] as const));
    checkResults.sort((a, b) => order.get(a.checkId)! - order.get(b.checkId)!);
    const { summaryLines } = await import("./check-command.js");
    const { maskSecrets } = await import("../../orchestrators/redact.js");
    const { ledgerSchema } = await import("../../orchestrators/local/local-orchestrator.js");
    driftResults.sort((a, b) => (a.checkId < b.checkId ? -1 : a.checkId > b.checkId ? 1 : 0));
    const lines = summaryLines(checkResults, checkSteps.notRun, result.runId, ledgerSchema(plan, target), new Map(), driftResults);
    const { isCheckStepName } = await import("../../orchestrators/checks/check-steps.js");
    const ofChecks = result.steps.filter((st) => isCheckStepName(st.name));
    const reused = ofChecks.filter((st) => st.status === "reused");
    const notRunSteps = ofChecks.filter((st) => st.status === "skipped" || st.status === "cancelled").length;
    if (reused.length > 0) lines.push(`${reused.length} of ${ofChecks.length} check steps reused: their results are in dq_result under the run that did them (${[...new Set(reused.map((st) => st.reusedFrom))].join(", ")})`);
    if (notRunSteps > 0) lines.push(`${notRunSteps} of ${ofChecks.length} check steps did not run (a step they depend on failed, or the run was interrupted)`);
    // With --log-format json, stdout carries one event per line: the summary goes to stderr.
    (opts.logFormat === "json" ? process.stderr : process.stdout).write(maskSecrets(lines.join("\n"), target.secrets) + "\n");
    return code;
  }
  if (opts.check && code === 0 && !result.dryRun) {
    const { checkOnTarget } = await import("./check-command.js");
    return checkOnTarget(plan, config, global, {
      failOn: opts.failOn ?? "fatal",
      cdmVersion: plan.cdmVersion,
      param: [],
      ...(opts.target !== undefined ? { target: opts.target } : {}),
      ...(opts.driftThreshold !== undefined ? { driftThreshold: opts.driftThreshold } : {}),
    });
  }
  return code;
}

/**
 * OMOPETL_RETRY_MIN_TIMEOUT_MS shortens the backoff between retries (tests, impatient users); the default is 1s
 * doubling up to 30s.
 */
function retryBackoffFromEnv(): { retryBackoff?: { minTimeoutMs: number } } {
  const v = Number(process.env.OMOPETL_RETRY_MIN_TIMEOUT_MS);
  return process.env.OMOPETL_RETRY_MIN_TIMEOUT_MS !== undefined && Number.isFinite(v) && v >= 0 ? { retryBackoff: { minTimeoutMs: v } } : {};
}

/** `omopetl status`: the run ledgers of a target. */
export async function statusCommand(runId: string | undefined, opts: StatusCommandOptions, global: GlobalOptions): Promise<number> {
  const cwd = process.cwd();
  const { existsSync } = await import("node:fs");
  const { loadConfig } = await import("../config.js");
  const config = await loadConfig(cwd, global.config);
  const { resolveRunTarget } = await import("../target.js");
  const target = await resolveRunTarget(opts.target, config, cwd);
  const { maskSecrets } = await import("../../orchestrators/redact.js");
  // Run ledgers hold engine errors, which echo data: printed with control characters escaped.
  const { escapeControl, escapeJsonText } = await import("../../core/diagnostics/safe-text.js");
  const out = (s: string) => process.stdout.write(opts.json ? escapeJsonText(maskSecrets(s, target.secrets)) : escapeControl(maskSecrets(s, target.secrets)));
  const { runNotFound, providerCannotConnect } = await import("../../orchestrators/orchestrator-errors.js");
  const nothing = (why: string): number => {
    if (runId) throw runNotFound(runId, undefined, `of ${target.description} (${why})`);
    if (opts.json) out(JSON.stringify({ runs: [] }) + "\n");
    else process.stderr.write(`no runs recorded on ${target.description}: ${why}\n`);
    return 0;
  };
  // Opening a DuckDB file creates it: a status query must not leave an empty database behind.
  if (typeof target.config["path"] === "string" && target.config["path"] !== ":memory:" && !existsSync(target.config["path"])) {
    return nothing("the database file does not exist");
  }
  if (!target.provider.connect) throw providerCannotConnect(target.provider.name);
  const conn = await target.provider.connect(target.config);
  try {
    const { RunLedger, findLedgerSchemas } = await import("../../orchestrators/ledger/run-ledger.js");
    const { displayedRunStatus, runProcessState } = await import("../../orchestrators/ledger/run-liveness.js");
    // For --json: a "running" run whose process is gone says so.
    const withProcess = (run: LedgerRun) => (runProcessState(run) === "gone" ? { ...run, processGone: true } : run);
    // Which ledgers: the workflow's (its staging schema as the target maps it), the target's own staging schema, or
    // with --all (or when nothing says which) every ledger of the database. A scope looks in its schema only: an
    // engine without a catalog of every schema (Spark lists one schema's tables at a time) answers that too.
    const scope = opts.all ? undefined : await statusScope(opts.workflow, target.config.schemas);
    const found = scope ? ((await new RunLedger(conn, scope.schema, target.provider.generator).exists()) ? [scope.schema] : []) : await findLedgerSchemas(conn, target.provider.generator);
    if (found.length === 0) return nothing(scope ? `no run ledger in schema "${scope.schema}" (${scope.why}); see every ledger with --all` : "no run ledger (omopetl_run) in any schema");
    const schemas = found;
    const ledgers = schemas.map((s) => new RunLedger(conn, s, target.provider.generator));
    if (runId) {
      for (const ledger of ledgers) {
        const run = await ledger.getRun(runId);
        if (!run) continue;
        const steps = await ledger.stepRuns(runId);
        if (opts.json) out(JSON.stringify({ run: withProcess(run), steps }, null, 2) + "\n");
        else out(formatRunDetail(run, steps, displayedRunStatus, (await import("../progress/format.js")).formatReasons));
        return 0;
      }
      throw runNotFound(runId, undefined, `of ${target.description}`);
    }
    if (!opts.json && !scope && !opts.all && found.length > 1) {
      process.stderr.write(`runs of ${found.length} ledgers (schemas ${found.join(", ")}): narrow with --workflow <file>, or a target whose schemas name its staging schema\n`);
    }
    const runs = (await Promise.all(ledgers.map((l) => l.listRuns({ limit: opts.runs, ...(scope?.workflow ? { workflow: scope.workflow } : {}) }))))
      .flat()
      .sort((a, b) => (a.runId < b.runId ? 1 : -1))
      .slice(0, opts.runs);
    if (opts.json) out(JSON.stringify({ runs: runs.map(withProcess) }, null, 2) + "\n");
    else out(formatRunList(runs, target.description, displayedRunStatus));
    return 0;
  } finally {
    await conn.close();
  }
}

const num = (n: number) => n.toLocaleString("en-US");

function duration(ms: number | undefined): string {
  if (ms === undefined) return "";
  if (ms < 10_000) return `${(ms / 1000).toFixed(2)}s`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  return s < 3600 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s` : `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** Columns padded to their widest cell. */
function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd()).join("\n") + "\n";
}

const when = (iso: string) => iso.replace("T", " ").replace(/\.\d+Z$|Z$/, "");

function formatRunList(runs: readonly LedgerRun[], target: string, shownStatus: (r: LedgerRun) => string): string {
  if (runs.length === 0) return `no runs recorded on ${target}\n`;
  const rows = [["RUN", "WORKFLOW", "STATUS", "STARTED (UTC)", "DURATION", "OK", "FAILED", "SKIPPED", "REUSED", "ROWS"]];
  for (const r of runs) {
    rows.push([
      r.runId,
      r.workflow,
      shownStatus(r),
      when(r.startedAt),
      duration(r.durationMs),
      String(r.totals.succeeded),
      String(r.totals.failed),
      String(r.totals.skipped),
      String(r.totals.reused),
      num(r.totals.rowsAffected),
    ]);
  }
  let text = `runs on ${target}\n${table(rows)}`;
  if (runs.some((r) => shownStatus(r) === "running (process gone)")) text += '"running (process gone)": the process that ran it no longer exists (killed, or it could not record its end); `omopetl run ... --resume` continues it.\n';
  else if (runs.some((r) => r.status === "running")) text += '"running" is also what a run killed without warning leaves behind; `omopetl run ... --resume` continues it.\n';
  return text;
}

function formatRunDetail(
  run: LedgerRun,
  steps: readonly LedgerStepRun[],
  shownStatus: (r: LedgerRun) => string,
  formatReasons: (reasons: readonly RowReason[]) => string,
): string {
  const lines = [
    `run ${run.runId} · ${run.workflow} · ${shownStatus(run)} · started ${when(run.startedAt)} UTC${run.durationMs !== undefined ? ` · ${duration(run.durationMs)}` : ""}`,
    `target ${run.target} · orchestrator ${run.orchestrator}${run.concurrency ? ` · concurrency ${run.concurrency}` : ""} · plan ${run.planFingerprint.slice(0, 12)}`,
  ];
  if (run.resumedFrom) lines.push(`resumed from ${run.resumedFrom}`);
  if (run.invocation) lines.push(`command: ${run.invocation}`);
  if (run.host !== undefined && run.pid !== undefined) lines.push(`process ${run.pid} on ${run.host}`);
  if (run.error) lines.push(`failed: ${run.error}`);
  const rows = [["STEP", "STATUS", "ATTEMPTS", "DURATION", "ROWS"]];
  for (const s of steps) {
    const rowText =
      s.status === "skipped" && s.skippedBecause
        ? `depends on ${s.skippedBecause}`
        : s.status === "reused" && s.reusedFrom
          ? `done by ${s.reusedFrom}`
          : s.rows.affected !== undefined
            ? `${num(s.rows.affected)} ${s.rows.verb ?? "rows"}`
            : "";
    rows.push([s.step, s.status, s.attempts ? String(s.attempts) : "", duration(s.durationMs), rowText]);
  }
  let text = `${lines.join("\n")}\n\n${table(rows)}`;
  // The row accounting: per step, the rows read and not written with their reasons (and rows added by joins).
  const accounted = steps.filter((x) => x.rows.notWritten?.length || x.rows.added?.length);
  if (accounted.length > 0) {
    text += "\nrows not written:\n";
    for (const s of accounted) {
      const notWritten = (s.rows.notWritten ?? []).reduce((a, r) => a + r.rows, 0);
      const head = `${s.step}: ${s.rows.read !== undefined ? `${num(s.rows.read)} read, ` : ""}${num(notWritten)} not written`;
      text += `  ${head}${s.rows.notWritten?.length ? ` (${formatReasons(s.rows.notWritten)})` : ""}${s.rows.added?.length ? `; ${num(s.rows.added.reduce((a, r) => a + r.rows, 0))} added (${formatReasons(s.rows.added)})` : ""}\n`;
    }
  }
  for (const s of steps.filter((x) => x.status === "failed" && x.error)) {
    text += `\n${s.step} failed after ${s.attempts} attempt${s.attempts === 1 ? "" : "s"}:\n${s.error!.split("\n").map((l) => `  ${l}`).join("\n")}\n`;
  }
  return text;
}

/**
 * The ledger `status` reads: the staging schema of `--workflow` (as the target's `schemas:` map it) and only that
 * workflow's runs, else the target's own staging schema when it names one, else none (every ledger).
 */
async function statusScope(workflowFile: string | undefined, targetSchemas: Record<string, string> | undefined): Promise<{ schema: string; workflow?: string; why: string } | undefined> {
  if (workflowFile !== undefined) {
    const { OmopetlError } = await import("../../core/diagnostics/diagnostic.js");
    const { readTextFile } = await import("../../core/files/read-text-file.js");
    const { parse } = await import("yaml");
    const read = readTextFile(workflowFile, { shown: workflowFile });
    if (!read.ok) throw new OmopetlError(read.diagnostic, 2);
    let doc: { name?: unknown; schemas?: Record<string, unknown> } | undefined;
    try {
      doc = parse(read.text) as typeof doc;
    } catch {
      doc = undefined;
    }
    if (!doc || typeof doc.name !== "string") {
      throw new OmopetlError({ code: "WORKFLOW_INVALID", severity: "error", location: { file: workflowFile, line: 1, column: 1 }, message: "not a workflow file (no name:)." }, 2);
    }
    const own = typeof doc.schemas?.["staging"] === "string" ? doc.schemas["staging"] : "staging";
    return { schema: targetSchemas?.["staging"] ?? own, workflow: doc.name, why: `the staging schema of workflow "${doc.name}" on this target` };
  }
  const staging = targetSchemas?.["staging"];
  return staging === undefined ? undefined : { schema: staging, why: "the target's staging schema" };
}
