// The Synthea -> OMOP run benchmarks of `npm run bench`: DuckDB (omopetl run vs the same SQL straight through
// @duckdb/node-api), idempotent re-runs, and PostgreSQL (omopetl run vs psql). Every measurement is a child process,
// so wall time, the JavaScript heap and the resident-set peak are those of that process alone.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ensureScaledSynthea } from "./synthea-scale.js";

/** Patients in the 27-patient export; xN has N times as many. */
const PATIENTS = 27;
/**
 * A figure the bench did NOT measure, printed only as a labelled reference next to what it did measure (never as a
 * pass/fail): OHDSI dbt-synthea's 87 models with its own DuckDB loader, given the 14 Synthea files either tool reads,
 * x1000, median of 2 rounds on a 2-core machine of this kind (issue 16, filed 2026-12; dbt cannot be installed here).
 */
const REFERENCE_DBT_SYNTHEA_X1000 = { seconds: 18.5, source: "issue 16 (2026-12): OHDSI dbt-synthea, 14 files, x1000, median of 2 rounds on another 2-core machine" };

export const sec = (ms) => Number((ms / 1000).toFixed(2));
export const mb = (bytes) => (bytes === undefined ? undefined : Math.round(bytes / 2 ** 20));

/**
 * Runs `node [--import probe] args...` in `cwd`; resolves with wall time, exit status, output tails and the probe's
 * memory peaks. Never rejects for a non-zero exit (the caller decides).
 */
export function runNode(args, { cwd, env = {}, probe = true, log } = {}) {
  const probeFile = path.join(os.tmpdir(), `omopetl-bench-probe-${process.pid}-${Math.random().toString(36).slice(2)}.json`);
  const probeArgs = probe ? ["--import", new URL("./memory-probe.js", import.meta.url).href] : [];
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [...probeArgs, ...args], {
      cwd,
      env: { ...process.env, ...env, ...(probe ? { OMOPETL_BENCH_PROBE: probeFile } : {}) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    // Keep only the tails: a run's progress output is not worth holding.
    const keep = (s, chunk) => (s + chunk).slice(-20000);
    child.stdout.on("data", (c) => (stdout = keep(stdout, c)));
    child.stderr.on("data", (c) => (stderr = keep(stderr, c)));
    child.on("error", reject);
    child.on("close", (status) => {
      const ms = performance.now() - t0;
      let memory;
      if (probe && existsSync(probeFile)) {
        memory = JSON.parse(readFileSync(probeFile, "utf8"));
        rmSync(probeFile, { force: true });
      }
      if (status !== 0 && log) log(`exit ${status}: node ${args.join(" ")}\n${stderr.slice(-3000)}`);
      resolve({ status, ms, stdout, stderr, memory });
    });
  });
}

/** Row counts of every table of a schema in a DuckDB file (the bench's own connection, after the run). */
export async function duckdbRowCounts(file, schema) {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const instance = await DuckDBInstance.create(":memory:");
  const conn = await instance.connect();
  try {
    await conn.run(`ATTACH '${file.replaceAll("'", "''")}' AS counted (READ_ONLY)`);
    const tables = (await conn.runAndReadAll(`SELECT table_name FROM duckdb_tables() WHERE database_name = 'counted' AND schema_name = '${schema}' ORDER BY 1`))
      .getRows()
      .map((r) => String(r[0]));
    const counts = {};
    for (const t of tables) counts[t] = Number((await conn.runAndReadAll(`SELECT count(*) FROM counted.${schema}."${t}"`)).getRows()[0][0]);
    return counts;
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** The CLI's common arguments for the Synthea workflow at one scale. */
export function workflowArgs(ctx, sourceDir) {
  return [ctx.workflow, "--param", `source_dir=${sourceDir}`, "--param", `vocab_dir=${ctx.vocabDir}`, "--spec-dir", ctx.specDir];
}

export function writeConfig(dir, targets) {
  // YAML is a superset of JSON: no YAML writer needed.
  writeFileSync(path.join(dir, "omopetl.config.yaml"), JSON.stringify({ targets }, null, 2) + "\n");
}

/** `omopetl run` of the Synthea workflow into a DuckDB file; returns the run's measurements and its metrics. */
async function omopetlDuckRun(ctx, dir, sourceDir, extra = []) {
  const metricsFile = path.join(dir, `metrics-${Date.now()}.json`);
  const r = await runNode([ctx.cli, "run", ...workflowArgs(ctx, sourceDir), "--metrics-out", metricsFile, ...extra], { cwd: dir, log: ctx.log });
  if (r.status !== 0) throw new Error(`omopetl run failed (exit ${r.status}); see the output above`);
  const metrics = JSON.parse(readFileSync(metricsFile, "utf8"));
  return { ...r, metrics };
}

export function stepDurations(metrics) {
  return Object.fromEntries(metrics.steps.map((s) => [s.name, s.durationMs ?? 0]));
}

/** Step name -> kind (load, transform, ddl, sql) of a plan written by `omopetl compile -o`. */
export function stepKinds(planFile) {
  return Object.fromEntries(JSON.parse(readFileSync(planFile, "utf8")).steps.map((s) => [s.name, s.body.kind === "loads" ? "load" : s.body.kind]));
}

/**
 * Seconds per phase: the steps' own durations summed by kind ("load", "transform", "other" for ddl and sql), and
 * "outside steps" — the rest of the wall time (process start, compile, connecting, the ledger's set-up). Steps run
 * one at a time on DuckDB, so the sums add up to the wall time; with concurrency they may exceed it.
 */
export function phases(durationsByStep, kinds, wallMs) {
  const sums = { load: 0, transform: 0, other: 0 };
  for (const [step, ms] of Object.entries(durationsByStep)) {
    const kind = kinds[step];
    sums[kind === "load" || kind === "transform" ? kind : "other"] += ms;
  }
  const inSteps = sums.load + sums.transform + sums.other;
  return { loadS: sec(sums.load), transformS: sec(sums.transform), otherStepsS: sec(sums.other), outsideStepsS: sec(Math.max(0, wallMs - inSteps)) };
}

export function memoryRow(m) {
  return m ? { heapUsedPeakMB: mb(m.heapUsedPeak), rssPeakMB: mb(m.rssPeak) } : {};
}

/**
 * DuckDB at each scale: `reps` rounds, each an `omopetl run` into a fresh database file and the direct execution of
 * the same compiled SQL into another, alternating so both see the same machine load; the best wall time of each side
 * gives the ratio. Row counts of every CDM table must agree between the two.
 */
export async function benchDuckDb(ctx, scales, { reps, memoryLimit }) {
  const rows = [];
  for (const scale of scales) {
    const data = await ensureScaledSynthea(ctx.syntheaDir, scale, ctx.log);
    const dir = mkdtempSync(path.join(os.tmpdir(), `omopetl-bench-run-x${scale}-`));
    try {
      const dbFile = path.join(dir, "omop.duckdb");
      writeConfig(dir, { default: { provider: "duckdb", path: dbFile, ...(memoryLimit ? { memoryLimit } : {}) } });
      // The baseline's SQL: compiled once, outside both timings.
      const planFile = path.join(dir, "plan.json");
      const sqlDir = path.join(dir, "sql");
      const c = await runNode([ctx.cli, "compile", ...workflowArgs(ctx, data.dir), "--dialect", "duckdb", "-o", planFile, "--sql-dir", sqlDir], { cwd: dir, probe: false, log: ctx.log });
      if (c.status !== 0) throw new Error("omopetl compile --dialect duckdb failed");
      const directDb = path.join(dir, "direct.duckdb");
      const omopetl = [];
      const direct = [];
      for (let rep = 0; rep < reps; rep++) {
        rmSync(dbFile, { force: true });
        rmSync(`${dbFile}.wal`, { force: true });
        ctx.log(`x${scale} round ${rep + 1}/${reps}: omopetl run ...`);
        omopetl.push(await omopetlDuckRun(ctx, dir, data.dir));
        rmSync(directDb, { force: true });
        rmSync(`${directDb}.wal`, { force: true });
        ctx.log(`x${scale} round ${rep + 1}/${reps}: direct @duckdb/node-api ...`);
        // The DuckDB settings the duckdb provider applies by default, so both sides run the engine alike.
        const settings = ["--set", "preserve_insertion_order=false", "--set", "allocator_background_threads=true"];
        const d = await runNode([ctx.directScript, planFile, sqlDir, directDb, ...(memoryLimit ? ["--memory-limit", memoryLimit] : []), ...settings, "--timings", path.join(dir, "direct-timings.json")], {
          cwd: dir,
          log: ctx.log,
        });
        if (d.status !== 0) throw new Error("direct execution failed");
        direct.push({ ...d, timings: JSON.parse(readFileSync(path.join(dir, "direct-timings.json"), "utf8")) });
      }
      const countsOmopetl = await duckdbRowCounts(dbFile, "cdm");
      const countsDirect = await duckdbRowCounts(directDb, "cdm");
      const same = JSON.stringify(countsOmopetl) === JSON.stringify(countsDirect);
      const rowCountDiff = same ? undefined : diffCounts(countsOmopetl, countsDirect);
      if (rowCountDiff) ctx.log(`x${scale}: CDM row counts differ between omopetl and the direct run: ${JSON.stringify(rowCountDiff)}`);
      const best = (xs) => xs.reduce((a, b) => (b.ms < a.ms ? b : a));
      const o = best(omopetl);
      const d = best(direct);
      const patients = PATIENTS * scale;
      const kinds = stepKinds(planFile);
      const directDurations = Object.fromEntries(d.timings.map((t) => [t.step, t.ms]));
      const row = {
        scale,
        patients,
        sourceMB: mb(data.bytes),
        generatedMs: data.generated ? data.ms : 0,
        memoryLimit: memoryLimit ?? "DuckDB default (80% of RAM)",
        omopetlS: sec(o.ms),
        omopetlRunsS: omopetl.map((x) => sec(x.ms)),
        directS: sec(d.ms),
        directRunsS: direct.map((x) => sec(x.ms)),
        ratio: Number((o.ms / d.ms).toFixed(3)),
        // Each round's two runs are adjacent in time: their ratios show how much of the best-of ratio is noise.
        roundRatios: omopetl.map((x, i) => Number((x.ms / direct[i].ms).toFixed(3))),
        patientsPerS: Math.round(patients / (o.ms / 1000)),
        cdmRows: Object.values(countsOmopetl).reduce((a, b) => a + b, 0),
        cdmRowsEqual: same,
        ...(rowCountDiff ? { rowCountDiff } : {}),
        // CPU seconds (all threads) of the fastest round of each side: less sensitive to other tenants than wall time.
        // Where the time goes, per side (the fastest round of each): loads, transforms, the rest.
        omopetlPhases: phases(stepDurations(o.metrics), kinds, o.ms),
        directPhases: phases(directDurations, kinds, d.ms),
        omopetlCpuS: sec(o.memory?.cpuMs ?? 0),
        directCpuS: sec(d.memory?.cpuMs ?? 0),
        omopetlMemory: memoryRow(o.memory),
        directMemory: memoryRow(d.memory),
        // Peaks over every round (memory does not depend on which round was fastest).
        omopetlHeapPeakMB: Math.max(...omopetl.map((x) => mb(x.memory?.heapUsedPeak) ?? 0)),
        omopetlRssPeakMB: Math.max(...omopetl.map((x) => mb(x.memory?.rssPeak) ?? 0)),
        slowestSteps: Object.entries(stepDurations(o.metrics))
          .sort((a, b) => b[1] - a[1])
          .slice(0, 8)
          .map(([step, ms]) => ({ step, ms })),
        rowCounts: countsOmopetl,
      };
      rows.push(row);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  console.log(`\nSynthea -> OMOP on DuckDB (best of ${reps}; ratio = omopetl run / the same SQL on one @duckdb/node-api connection; target <= 1.10 at x100+)`);
  console.log("| scale | patients | source MB | omopetl s | direct s | ratio | load s (omopetl / direct) | transform s (omopetl / direct) | outside steps s (omopetl / direct) | CPU s (omopetl / direct) | patients/s | CDM rows | JS heap peak MB | RSS peak MB (omopetl / direct) |");
  console.log("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const r of rows) {
    const op = r.omopetlPhases;
    const dp = r.directPhases;
    console.log(
      `| x${r.scale} | ${r.patients} | ${r.sourceMB} | ${r.omopetlS} | ${r.directS} | ${r.ratio.toFixed(2)}${r.scale >= 100 ? (r.ratio <= 1.1 ? " (met)" : " (NOT met)") : ""} | ${op.loadS} / ${dp.loadS} | ${op.transformS} / ${dp.transformS} | ${op.outsideStepsS} / ${dp.outsideStepsS} | ${r.omopetlCpuS} / ${r.directCpuS} | ${r.patientsPerS} | ${r.cdmRows}${r.cdmRowsEqual ? "" : " (DIFFER)"} | ${r.omopetlHeapPeakMB} | ${r.omopetlRssPeakMB} / ${r.directMemory.rssPeakMB} |`,
    );
  }
  if (reps > 1) for (const r of rows) console.log(`x${r.scale}: ratio of each round (its two runs side by side): ${r.roundRatios.map((x) => x.toFixed(2)).join(", ")}`);
  for (const r of rows) console.log(`x${r.scale}: slowest steps (omopetl, fastest round): ${r.slowestSteps.slice(0, 5).map((x) => `${x.step} ${sec(x.ms)} s`).join(", ")}`);
  if (rows.some((r) => r.scale === 1000)) {
    const ref = REFERENCE_DBT_SYNTHEA_X1000;
    console.log(`reference only, not measured by this bench: ${ref.seconds} s end to end (${ref.source})`);
  }
  const big = rows.filter((r) => r.scale >= 1000);
  for (const r of big) console.log(`x${r.scale} memory: JS heap peak ${r.omopetlHeapPeakMB} MB (target < 100), RSS peak ${r.omopetlRssPeakMB} MB (target < 1200)`);
  return rows;
}

/**
 * Idempotence at one scale: a first run into an empty database, a second run with nothing changed, a `--resume` run
 * after the successful second one (nothing to resume: it reuses every unchanged step), and a `--resume` run after one
 * source file changed (its load and what depends on it run).
 */
export async function benchRerun(ctx, scale, { memoryLimit }) {
  const data = await ensureScaledSynthea(ctx.syntheaDir, scale, ctx.log);
  const dir = mkdtempSync(path.join(os.tmpdir(), `omopetl-bench-rerun-x${scale}-`));
  try {
    const dbFile = path.join(dir, "omop.duckdb");
    writeConfig(dir, { default: { provider: "duckdb", path: dbFile, ...(memoryLimit ? { memoryLimit } : {}) } });
    const runs = [];
    for (const [what, extra, before] of [
      ["first run (empty database)", []],
      ["second run, nothing changed", []],
      ["--resume after a successful run", ["--resume"]],
      // A new modification time is a changed file to --resume (the cached copy's contents stay as generated).
      ["--resume after touching payers.csv", ["--resume"], () => utimesSync(path.join(data.dir, "payers.csv"), new Date(), new Date())],
    ]) {
      before?.();
      ctx.log(`rerun x${scale}: ${what} ...`);
      const r = await omopetlDuckRun(ctx, dir, data.dir, extra);
      const counts = await duckdbRowCounts(dbFile, "cdm");
      runs.push({
        what,
        s: sec(r.ms),
        stepsRun: r.metrics.steps.filter((s) => s.status === "succeeded").length,
        stepsReused: r.metrics.steps.filter((s) => s.status === "reused").length,
        rowsWritten: r.metrics.totals?.rowsAffected,
        cdmRows: Object.values(counts).reduce((a, b) => a + b, 0),
        note: /nothing to resume[^\n]*/.exec(r.stderr + r.stdout)?.[0],
        ...memoryRow(r.memory),
      });
    }
    for (const r of runs) r.vsFirst = Number((r.s / runs[0].s).toFixed(2));
    console.log(`\nIdempotent re-runs on DuckDB, x${scale}`);
    console.log("| run | wall s | vs first | steps run | steps reused | CDM rows |");
    console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
    for (const r of runs) console.log(`| ${r.what} | ${r.s} | ${r.vsFirst.toFixed(2)} | ${r.stepsRun} | ${r.stepsReused} | ${r.cdmRows} |`);
    const note = runs.find((r) => r.note)?.note;
    if (note) console.log(`(--resume: "${note}")`);
    return { scale, runs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Tables whose row counts differ: table -> [first, second]. */
function diffCounts(a, b) {
  const out = {};
  for (const t of new Set([...Object.keys(a), ...Object.keys(b)])) if (a[t] !== b[t]) out[t] = [a[t], b[t]];
  return out;
}

/** The vocabulary's tables: in the bench's PostgreSQL schemas they share bench_cdm with the CDM tables. */
export const VOCABULARY_TABLES = new Set(["concept", "concept_ancestor", "concept_class", "concept_relationship", "concept_synonym", "domain", "drug_strength", "relationship", "vocabulary", "source_to_concept_map"]);

export const PG_SCHEMAS = { source: "bench_src", staging: "bench_stage", cdm: "bench_cdm", vocab: "bench_cdm" };

export function psql(url, args) {
  // Notices ("schema ... does not exist, skipping") are noise here.
  return spawnSync("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, ...args], { encoding: "utf8", env: { ...process.env, PGOPTIONS: "-c client_min_messages=warning" } });
}

export function dropPgSchemas(url) {
  const r = psql(url, ["-c", [...new Set(Object.values(PG_SCHEMAS))].map((s) => `DROP SCHEMA IF EXISTS ${s} CASCADE;`).join(" ")]);
  if (r.status !== 0) throw new Error(`dropping the bench schemas failed: ${r.stderr}`);
}

export function pgRowCounts(url) {
  const r = psql(url, ["-At", "-F", "\t", "-c", `SELECT table_name FROM information_schema.tables WHERE table_schema = '${PG_SCHEMAS.cdm}' AND table_type = 'BASE TABLE' ORDER BY 1`]);
  const tables = r.stdout.split("\n").filter(Boolean);
  const union = tables.map((t) => `SELECT '${t}', count(*) FROM ${PG_SCHEMAS.cdm}."${t}"`).join(" UNION ALL ");
  const c = psql(url, ["-At", "-F", "\t", "-c", union]);
  return Object.fromEntries(
    c.stdout
      .split("\n")
      .filter(Boolean)
      .map((l) => l.split("\t"))
      .filter(([t]) => !VOCABULARY_TABLES.has(t))
      .sort((x, y) => (x[0] < y[0] ? -1 : 1))
      .map(([t, n]) => [t, Number(n)]),
  );
}

/**
 * A copy of the workflow whose `schemas:` are the bench's PostgreSQL schemas and whose DML paths are absolute, so
 * `omopetl compile --dialect postgres --sql-dir` writes exactly the SQL `omopetl run --target pg` executes.
 */
export function workflowWithSchemas(workflow, dir) {
  const base = path.dirname(workflow);
  let text = readFileSync(workflow, "utf8");
  text = text.replace(/^schemas:.*$/m, `schemas: ${JSON.stringify(PG_SCHEMAS)}`);
  text = text.replace(/^(\s*-?\s*dml:\s*)(\S+)\s*$/gm, (_m, lead, p) => `${lead}${JSON.stringify(path.resolve(base, p))}`);
  const out = path.join(dir, path.basename(workflow));
  writeFileSync(out, text);
  return out;
}

/**
 * PostgreSQL at each scale: `omopetl run --target pg` (schemas bench_*), then the same SQL through psql, one
 * `psql -f` per step in plan order (`-1` for transactional steps); schemas dropped before each and after all.
 */
export async function benchPostgres(ctx, scales, { url, reps }) {
  const version = psql(url, ["-At", "-c", "SHOW server_version"]);
  if (version.status !== 0) {
    console.log(`\nPostgreSQL: skipped (${url} unreachable: ${version.stderr.trim().split("\n")[0]})`);
    return { skipped: version.stderr.trim() };
  }
  const rows = [];
  for (const scale of scales) {
    const data = await ensureScaledSynthea(ctx.syntheaDir, scale, ctx.log);
    // COPY runs as the server's user: every folder up to the files and the files themselves must be readable by it.
    const unreadable = readdirSync(data.dir)
      .filter((f) => f.endsWith(".csv"))
      .filter((f) => (statSync(path.join(data.dir, f)).mode & 0o004) === 0);
    if (unreadable.length) throw new Error(`${data.dir}: not world-readable (${unreadable.join(", ")}); PostgreSQL's COPY could not read them`);
    const dir = mkdtempSync(path.join(os.tmpdir(), `omopetl-bench-pg-x${scale}-`));
    try {
      writeConfig(dir, { pg: { provider: "postgres", url, schemas: PG_SCHEMAS } });
      const wf = workflowWithSchemas(ctx.workflow, dir);
      const sqlDir = path.join(dir, "sql");
      const c = await runNode([ctx.cli, "compile", wf, "--param", `source_dir=${data.dir}`, "--param", `vocab_dir=${ctx.vocabDir}`, "--spec-dir", ctx.specDir, "--dialect", "postgres", "--sql-dir", sqlDir, "-o", path.join(dir, "plan.json")], {
        cwd: dir,
        probe: false,
        log: ctx.log,
      });
      if (c.status !== 0) throw new Error("omopetl compile --dialect postgres failed");
      const files = readdirSync(sqlDir).filter((f) => f.endsWith(".sql")).sort();
      const omopetl = [];
      const direct = [];
      let countsOmopetl;
      let countsPsql;
      for (let rep = 0; rep < reps; rep++) {
        dropPgSchemas(url);
        ctx.log(`pg x${scale} round ${rep + 1}/${reps}: omopetl run --target pg ...`);
        const metricsFile = path.join(dir, "metrics.json");
        const r = await runNode([ctx.cli, "run", ...workflowArgs(ctx, data.dir), "--target", "pg", "--metrics-out", metricsFile], { cwd: dir, log: ctx.log });
        if (r.status !== 0) throw new Error("omopetl run on PostgreSQL failed");
        omopetl.push({ ...r, metrics: JSON.parse(readFileSync(metricsFile, "utf8")) });
        countsOmopetl = pgRowCounts(url);
        dropPgSchemas(url);
        ctx.log(`pg x${scale} round ${rep + 1}/${reps}: psql -f each step ...`);
        const t0 = performance.now();
        for (const f of files) {
          const file = path.join(sqlDir, f);
          const tx = readFileSync(file, "utf8").split("\n", 4).join("\n").includes("runs in one transaction");
          const p = psql(url, [...(tx ? ["-1"] : []), "-f", file]);
          if (p.status !== 0) throw new Error(`psql -f ${f} failed: ${p.stderr.slice(-2000)}`);
        }
        direct.push({ ms: performance.now() - t0 });
        countsPsql = pgRowCounts(url);
      }
      const best = (xs) => xs.reduce((a, b) => (b.ms < a.ms ? b : a));
      const o = best(omopetl);
      const d = best(direct);
      const same = JSON.stringify(countsOmopetl) === JSON.stringify(countsPsql);
      const rowCountDiff = same ? undefined : diffCounts(countsOmopetl, countsPsql);
      if (rowCountDiff) ctx.log(`pg x${scale}: CDM row counts differ between omopetl and psql: ${JSON.stringify(rowCountDiff)}`);
      rows.push({
        scale,
        patients: PATIENTS * scale,
        omopetlS: sec(o.ms),
        omopetlRunsS: omopetl.map((x) => sec(x.ms)),
        psqlS: sec(d.ms),
        psqlRunsS: direct.map((x) => sec(x.ms)),
        ratio: Number((o.ms / d.ms).toFixed(3)),
        // Each round's two runs are adjacent in time: their ratios show how much of the best-of ratio is noise.
        roundRatios: omopetl.map((x, i) => Number((x.ms / direct[i].ms).toFixed(3))),
        patientsPerS: Math.round((PATIENTS * scale) / (o.ms / 1000)),
        cdmRows: Object.values(countsOmopetl).reduce((a, b) => a + b, 0),
        cdmRowsEqual: same,
        ...(rowCountDiff ? { rowCountDiff } : {}),
        omopetlHeapPeakMB: Math.max(...omopetl.map((x) => mb(x.memory?.heapUsedPeak) ?? 0)),
        omopetlRssPeakMB: Math.max(...omopetl.map((x) => mb(x.memory?.rssPeak) ?? 0)),
        slowestSteps: Object.entries(stepDurations(o.metrics))
          .sort((a, b) => b[1] - a[1])
          .slice(0, 8)
          .map(([step, ms]) => ({ step, ms })),
      });
    } finally {
      dropPgSchemas(url);
      rmSync(dir, { recursive: true, force: true });
    }
  }
  console.log(`\nSynthea -> OMOP on PostgreSQL ${version.stdout.trim()} (best of ${reps}; ratio = omopetl run / psql -f per step)`);
  console.log("| scale | patients | omopetl s | psql s | ratio | patients/s | CDM rows | omopetl JS heap peak MB | omopetl RSS peak MB (target < 200) |");
  console.log("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const r of rows) {
    console.log(`| x${r.scale} | ${r.patients} | ${r.omopetlS} | ${r.psqlS} | ${r.ratio.toFixed(2)} | ${r.patientsPerS} | ${r.cdmRows}${r.cdmRowsEqual ? "" : " (DIFFER)"} | ${r.omopetlHeapPeakMB} | ${r.omopetlRssPeakMB} |`);
  }
  return { server: version.stdout.trim(), rows };
}
