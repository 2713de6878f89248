// `npm run bench -- baseline --baseline <dir>`: this checkout's `omopetl run` side by side with another checkout's
// (its built dist, e.g. `git worktree add /tmp/omopetl-base <commit> && cd /tmp/omopetl-base && npm ci && npm run
// build`), on the same Synthea copies, in alternating rounds (baseline, this, baseline, this, ...) so both sides see
// the same machine load. Prints per scale each side's median wall time and phases (load, transform, outside steps),
// their ratios, the slowest steps of both, memory peaks, and whether every CDM table has the same content (a hash of
// every row, ids included) on both sides.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ensureScaledSynthea } from "./synthea-scale.js";
import {
  dropPgSchemas,
  mb,
  phases,
  PG_SCHEMAS,
  psql,
  runNode,
  sec,
  stepDurations,
  stepKinds,
  VOCABULARY_TABLES,
  workflowArgs,
  workflowWithSchemas,
  writeConfig,
} from "./synthea-bench.js";

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ratio = (a, b) => (b > 0 ? Number((a / b).toFixed(3)) : undefined);

/** The two sides: the baseline checkout's CLI and this checkout's. */
function sides(ctx, baselineDir) {
  const cli = path.join(path.resolve(baselineDir), "bin/omopetl.js");
  if (!existsSync(path.join(path.resolve(baselineDir), "dist"))) {
    throw new Error(`--baseline ${baselineDir}: no dist/ there (run npm ci && npm run build in it)`);
  }
  return [
    { name: "baseline", cli, workflow: path.join(path.resolve(baselineDir), "resources/workflows/synthea-cdm54.yaml") },
    { name: "this", cli: ctx.cli, workflow: ctx.workflow },
  ];
}

/**
 * Every CDM table's row count and a content hash (the sum of every row's hash, so row order does not matter and a
 * duplicated row does) in a DuckDB file, read by the bench's own DuckDB after the run.
 */
async function duckdbContent(file, schema) {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const instance = await DuckDBInstance.create(":memory:");
  const conn = await instance.connect();
  try {
    await conn.run(`ATTACH '${file.replaceAll("'", "''")}' AS hashed (READ_ONLY)`);
    const tables = (await conn.runAndReadAll(`SELECT table_name FROM duckdb_tables() WHERE database_name = 'hashed' AND schema_name = '${schema}' ORDER BY 1`))
      .getRows()
      .map((r) => String(r[0]));
    const out = {};
    for (const t of tables) {
      const [n, h] = (await conn.runAndReadAll(`SELECT count(*), COALESCE(sum(hash(t)::HUGEINT), 0)::VARCHAR FROM hashed.${schema}."${t}" AS t`)).getRows()[0];
      out[t] = `${Number(n)}:${h}`;
    }
    return out;
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** The same on PostgreSQL: row count and an md5 over the sorted md5s of every row's text. */
function pgContent(url) {
  const r = psql(url, ["-At", "-c", `SELECT table_name FROM information_schema.tables WHERE table_schema = '${PG_SCHEMAS.cdm}' AND table_type = 'BASE TABLE' ORDER BY 1`]);
  const out = {};
  for (const t of r.stdout.split("\n").filter((x) => x && !VOCABULARY_TABLES.has(x))) {
    const c = psql(url, ["-At", "-F", ":", "-c", `SELECT count(*), md5(COALESCE(string_agg(md5(t::text), '' ORDER BY md5(t::text)), '')) FROM ${PG_SCHEMAS.cdm}."${t}" AS t`]);
    out[t] = c.stdout.trim();
  }
  return out;
}

/** Tables whose content differs between the two sides. */
function contentDiff(a, b) {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((t) => a[t] !== b[t]).sort();
}

/** Median of each phase over rounds, and the median wall time. */
function summary(runs, kinds) {
  const ph = runs.map((r) => phases(stepDurations(r.metrics), kinds, r.ms));
  const steps = {};
  for (const r of runs) for (const [s, ms] of Object.entries(stepDurations(r.metrics))) (steps[s] ??= []).push(ms);
  return {
    wallS: sec(median(runs.map((r) => r.ms))),
    runsS: runs.map((r) => sec(r.ms)),
    loadS: Number(median(ph.map((p) => p.loadS)).toFixed(2)),
    transformS: Number(median(ph.map((p) => p.transformS)).toFixed(2)),
    transformRunsS: ph.map((p) => p.transformS),
    outsideStepsS: Number(median(ph.map((p) => p.outsideStepsS + p.otherStepsS)).toFixed(2)),
    cpuS: sec(median(runs.map((r) => r.memory?.cpuMs ?? 0))),
    heapPeakMB: Math.max(...runs.map((r) => mb(r.memory?.heapUsedPeak) ?? 0)),
    rssPeakMB: Math.max(...runs.map((r) => mb(r.memory?.rssPeak) ?? 0)),
    stepMedianMs: Object.fromEntries(Object.entries(steps).map(([s, xs]) => [s, median(xs)])),
  };
}

function printComparison(title, rows) {
  console.log(`\n${title}`);
  console.log("| scale | side | wall s (median) | rounds s | load s | transform s | outside steps s | CPU s | JS heap peak MB | RSS peak MB |");
  console.log("| ---: | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const r of rows) {
    for (const [name, s] of [["baseline", r.baseline], ["this", r.this]]) {
      console.log(`| x${r.scale} | ${name} | ${s.wallS} | ${s.runsS.join(", ")} | ${s.loadS} | ${s.transformS} | ${s.outsideStepsS} | ${s.cpuS} | ${s.heapPeakMB} | ${s.rssPeakMB} |`);
    }
    const q = r.ratios;
    console.log(`| x${r.scale} | this / baseline | ${q.wall} | ${q.roundWall.join(", ")} | ${q.load} | ${q.transform} | ${q.outsideSteps} | ${q.cpu} | | |`);
  }
  for (const r of rows) {
    const top = Object.entries(r.baseline.stepMedianMs)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8)
      .map(([s, ms]) => `${s} ${sec(ms)} -> ${sec(r.this.stepMedianMs[s] ?? 0)} s`);
    console.log(`x${r.scale}: slowest steps of the baseline (median s, baseline -> this): ${top.join(", ")}`);
    console.log(
      `x${r.scale}: CDM content (every row hashed, ids included): ${r.contentEqual ? `identical in all ${r.tables} tables` : `DIFFERS in ${r.contentDiffers.join(", ")}`}`,
    );
  }
}

function ratiosOf(b, t, bRuns, tRuns) {
  return {
    wall: ratio(t.wallS, b.wallS),
    roundWall: tRuns.map((x, i) => ratio(x.ms, bRuns[i].ms)),
    load: ratio(t.loadS, b.loadS),
    transform: ratio(t.transformS, b.transformS),
    outsideSteps: ratio(t.outsideStepsS, b.outsideStepsS),
    cpu: ratio(t.cpuS, b.cpuS),
  };
}

/**
 * DuckDB: per scale, `reps` rounds, each the baseline's `omopetl run` then this checkout's, each into a fresh
 * database file; the CDM content of the last round's two databases is compared.
 */
export async function benchBaselineDuckDb(ctx, baselineDir, scales, { reps, memoryLimit }) {
  const [base, mine] = sides(ctx, baselineDir);
  const rows = [];
  for (const scale of scales) {
    const data = await ensureScaledSynthea(ctx.syntheaDir, scale, ctx.log);
    const dir = mkdtempSync(path.join(os.tmpdir(), `omopetl-bench-baseline-x${scale}-`));
    try {
      const kinds = {};
      for (const side of [base, mine]) {
        const planFile = path.join(dir, `plan-${side.name}.json`);
        const c = await runNode([side.cli, "compile", ...workflowArgs({ ...ctx, workflow: side.workflow }, data.dir), "--dialect", "duckdb", "-o", planFile], { cwd: dir, probe: false, log: ctx.log });
        if (c.status !== 0) throw new Error(`${side.name}: omopetl compile failed`);
        Object.assign(kinds, stepKinds(planFile));
      }
      const runs = { baseline: [], this: [] };
      const files = {};
      for (let rep = 0; rep < reps; rep++) {
        for (const side of [base, mine]) {
          const db = path.join(dir, `${side.name}.duckdb`);
          rmSync(db, { force: true });
          rmSync(`${db}.wal`, { force: true });
          writeConfig(dir, { default: { provider: "duckdb", path: db, ...(memoryLimit ? { memoryLimit } : {}) } });
          ctx.log(`baseline x${scale} round ${rep + 1}/${reps}: ${side.name} ...`);
          const metricsFile = path.join(dir, `metrics-${side.name}.json`);
          const r = await runNode([side.cli, "run", ...workflowArgs({ ...ctx, workflow: side.workflow }, data.dir), "--metrics-out", metricsFile], { cwd: dir, log: ctx.log });
          if (r.status !== 0) throw new Error(`${side.name}: omopetl run failed (exit ${r.status})`);
          runs[side.name].push({ ...r, metrics: JSON.parse(readFileSync(metricsFile, "utf8")) });
          files[side.name] = db;
        }
      }
      const cb = await duckdbContent(files.baseline, "cdm");
      const ct = await duckdbContent(files.this, "cdm");
      const differs = contentDiff(cb, ct);
      const b = summary(runs.baseline, kinds);
      const t = summary(runs.this, kinds);
      rows.push({ scale, reps, baseline: b, this: t, ratios: ratiosOf(b, t, runs.baseline, runs.this), tables: Object.keys(ct).length, contentEqual: differs.length === 0, contentDiffers: differs });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  printComparison(`Synthea -> OMOP on DuckDB, this checkout vs the baseline ${baselineDir} (alternating rounds, medians; ratio = this / baseline)`, rows);
  return rows;
}

/** PostgreSQL: the same, each run into the bench's schemas (dropped before every run and after all). */
export async function benchBaselinePostgres(ctx, baselineDir, scales, { url, reps }) {
  const version = psql(url, ["-At", "-c", "SHOW server_version"]);
  if (version.status !== 0) {
    console.log(`\nPostgreSQL baseline comparison: skipped (${url} unreachable: ${version.stderr.trim().split("\n")[0]})`);
    return { skipped: version.stderr.trim() };
  }
  const [base, mine] = sides(ctx, baselineDir);
  const rows = [];
  for (const scale of scales) {
    const data = await ensureScaledSynthea(ctx.syntheaDir, scale, ctx.log);
    const dir = mkdtempSync(path.join(os.tmpdir(), `omopetl-bench-baseline-pg-x${scale}-`));
    try {
      writeConfig(dir, { pg: { provider: "postgres", url, schemas: PG_SCHEMAS } });
      const kinds = {};
      const wf = {};
      for (const side of [base, mine]) {
        const sideDir = path.join(dir, side.name);
        rmSync(sideDir, { recursive: true, force: true });
        mkdirSync(sideDir);
        wf[side.name] = workflowWithSchemas(side.workflow, sideDir);
        const planFile = path.join(dir, `plan-${side.name}.json`);
        const c = await runNode([side.cli, "compile", ...workflowArgs({ ...ctx, workflow: wf[side.name] }, data.dir), "--dialect", "postgres", "-o", planFile], { cwd: dir, probe: false, log: ctx.log });
        if (c.status !== 0) throw new Error(`${side.name}: omopetl compile --dialect postgres failed`);
        Object.assign(kinds, stepKinds(planFile));
      }
      const runs = { baseline: [], this: [] };
      const content = {};
      for (let rep = 0; rep < reps; rep++) {
        for (const side of [base, mine]) {
          dropPgSchemas(url);
          ctx.log(`baseline pg x${scale} round ${rep + 1}/${reps}: ${side.name} ...`);
          const metricsFile = path.join(dir, `metrics-${side.name}.json`);
          const r = await runNode([side.cli, "run", ...workflowArgs({ ...ctx, workflow: wf[side.name] }, data.dir), "--target", "pg", "--metrics-out", metricsFile], { cwd: dir, log: ctx.log });
          if (r.status !== 0) throw new Error(`${side.name}: omopetl run --target pg failed (exit ${r.status})`);
          runs[side.name].push({ ...r, metrics: JSON.parse(readFileSync(metricsFile, "utf8")) });
          if (rep === reps - 1) content[side.name] = pgContent(url);
        }
      }
      const differs = contentDiff(content.baseline, content.this);
      const b = summary(runs.baseline, kinds);
      const t = summary(runs.this, kinds);
      rows.push({ scale, reps, baseline: b, this: t, ratios: ratiosOf(b, t, runs.baseline, runs.this), tables: Object.keys(content.this).length, contentEqual: differs.length === 0, contentDiffers: differs });
    } finally {
      dropPgSchemas(url);
      rmSync(dir, { recursive: true, force: true });
    }
  }
  printComparison(`Synthea -> OMOP on PostgreSQL ${version.stdout.trim()}, this checkout vs the baseline ${baselineDir} (alternating rounds, medians; ratio = this / baseline)`, rows);
  return { server: version.stdout.trim(), rows };
}
