// npm run bench: benchmarks whose targets are printed as ratios measured side by side in one run (never asserted in tests).
// Needs `npm run build` first. Results: stdout tables + bench/results/<date>.json.
//
//   npm run bench                               compile, cli, run (x1, x10, x100), rerun (x100), check (x100), pg (x10, x100)
//   npm run bench -- run --scales 1,10,100,1000 only the DuckDB run benchmark, at these scales
//   npm run bench -- compile cli                only these sections
//   npm run bench -- baseline --baseline /tmp/base --scales 1000 --pg-scales 100 --reps 3
//                                               this checkout vs another's built dist, alternating rounds
//   npm run bench -- merge --merge-rows 1000000 a merge step reading its select twice vs once (DuckDB and PostgreSQL)
//   npm run bench -- check --check-scale 100    run vs run --check (the data quality checks) on DuckDB
//   npm run bench -- spark --spark-scales 1,10 [--spark-cluster-url hive://127.0.0.1:10001]
//                                               the workflow on Spark (scripts/services.sh up spark) vs the same SQL
//                                               through the Thrift server; with the cluster URL, once more on the
//                                               standalone cluster (up spark-cluster: a master and two workers)
// Options: --scales (run), --pg-scales (pg), --rerun-scale (rerun), --merge-rows (merge, default 1000000),
//          --check-scale (check, default 100), --spark-scales (spark, default 1,10), --spark-url (default
//          hive://127.0.0.1:10000; none: only the cluster's run), --spark-cluster-url (the cluster's server, x1 once), --reps N (rounds per scale; best is kept),
//          --memory-limit X (DuckDB memory_limit of both sides, default 768MB: the process then peaks near 1 GB;
//          "none" for DuckDB's own default, 80% of RAM), --pg-url URL, --baseline DIR (the baseline section: a checkout
//          of another commit, built; its `omopetl run` and this one's alternate per round, ratios per phase).
// Scaled Synthea copies are cached in $OMOPETL_BENCH_CACHE or <tmp>/omopetl-bench/x<N> (built once, reused).
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { compileWorkflow } from "../dist/core/compile/compile-workflow.js";
import { SpecificationManager } from "../dist/core/spec/specification-manager.js";
import { benchBaselineDuckDb, benchBaselinePostgres } from "./baseline-bench.js";
import { benchMerge } from "./merge-bench.js";
import { benchDuckDb, benchPostgres, benchRerun } from "./synthea-bench.js";
import { benchCheck } from "./check-bench.js";
import { benchSpark } from "./spark-bench.js";
import { benchCacheDir } from "./synthea-scale.js";
import { writeSyntheticWorkflow } from "./synthetic-workflow.js";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const shared = process.env.OMOPETL_SHARED_DIR ?? path.resolve(repo, "../shared");
const specDir = path.join(shared, "cdm/inst/csv");

const SECTIONS = ["compile", "cli", "run", "rerun", "pg", "baseline", "merge", "check", "spark"];
const VALUED = new Set(["--scales", "--pg-scales", "--rerun-scale", "--merge-rows", "--check-scale", "--reps", "--memory-limit", "--pg-url", "--baseline", "--spark-scales", "--spark-url", "--spark-cluster-url"]);
const argv = process.argv.slice(2);
const options = {};
const only = [];
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const [flag, inline] = a.startsWith("--") ? a.split(/=(.*)/s, 2) : [a];
  if (VALUED.has(flag)) options[flag.slice(2)] = inline ?? argv[++i];
  else if (SECTIONS.includes(a)) only.push(a);
  else {
    console.error(`unknown argument "${a}"; sections: ${SECTIONS.join(", ")}; options: ${[...VALUED].join(", ")}`);
    process.exit(2);
  }
}
// The baseline section runs only when asked for (it needs --baseline), and --baseline alone selects it.
if (options.baseline !== undefined && !only.includes("baseline")) only.push("baseline");
if (only.includes("baseline") && options.baseline === undefined) {
  console.error("the baseline section needs --baseline <dir> (another checkout, with npm ci && npm run build done in it)");
  process.exit(2);
}
const want = (name) => (only.length === 0 ? name !== "baseline" : only.includes(name));
const list = (v, dflt) => (v === undefined ? dflt : String(v).split(",").map((x) => Number(x.trim())));
for (const [k, v] of Object.entries({
  scales: list(options.scales, []),
  "pg-scales": list(options["pg-scales"], []),
  "rerun-scale": list(options["rerun-scale"], []),
  "merge-rows": list(options["merge-rows"], []),
  "check-scale": list(options["check-scale"], []),
  "spark-scales": list(options["spark-scales"], []),
  reps: list(options.reps, []),
})) {
  if (v.some((n) => !Number.isInteger(n) || n < 1)) {
    console.error(`--${k} takes positive integers${k.endsWith("scales") ? ", e.g. 1,10,100" : ""}`);
    process.exit(2);
  }
}

const results = { machine: { node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30) }, compile: [], cli: [] };
const ms = (t0) => Number((performance.now() - t0).toFixed(1));

async function benchCompile() {
  const manager = new SpecificationManager({ dir: specDir, offline: true });
  await manager.load("5.4");
  for (const n of [100, 1000, 10000]) {
    const dir = mkdtempSync(path.join(os.tmpdir(), `omopetl-bench-${n}-`));
    writeSyntheticWorkflow(dir, n);
    const runs = [];
    for (let i = 0; i < (n >= 10000 ? 3 : 5); i++) {
      const t0 = performance.now();
      const r = await compileWorkflow(path.join(dir, "workflow.yaml"), { cwd: dir, loadSpec: (v) => manager.load(v) });
      runs.push(ms(t0));
      if (!r.plan) throw new Error(`synthetic workflow ${n} did not compile: ${JSON.stringify(r.diagnostics.slice(0, 3))}`);
    }
    rmSync(dir, { recursive: true, force: true });
    const best = Math.min(...runs);
    results.compile.push({ steps: n, bestMs: best, runsMs: runs });
  }
  const t1k = results.compile.find((r) => r.steps === 1000).bestMs;
  const t10k = results.compile.find((r) => r.steps === 10000).bestMs;
  console.log("\nCompile (synthetic workflows; best of runs)");
  console.log("| steps | best ms | runs ms |");
  console.log("| ---: | ---: | --- |");
  for (const r of results.compile) console.log(`| ${r.steps} | ${r.bestMs} | ${r.runsMs.join(", ")} |`);
  results.compileTargets = { tenKUnder2s: t10k < 2000, ratio10kTo1k: Number((t10k / t1k).toFixed(2)), ratioTarget: 12 };
  console.log(`10k steps: ${t10k} ms (target < 2000 ms: ${t10k < 2000 ? "met" : "NOT met"}); time(10k)/time(1k) = ${(t10k / t1k).toFixed(2)} (target <= 12: ${t10k / t1k <= 12 ? "met" : "NOT met"})`);
}

function benchCli() {
  const cli = path.join(repo, "bin/omopetl.js");
  const time = (args) => {
    const runs = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const r = spawnSync(process.execPath, [cli, ...args], { cwd: repo, encoding: "utf8" });
      runs.push(ms(t0));
      if (r.status !== 0) throw new Error(`omopetl ${args.join(" ")} failed: ${r.stderr}`);
    }
    return Math.min(...runs);
  };
  const node = (() => {
    const runs = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      spawnSync(process.execPath, ["-e", "0"]);
      runs.push(ms(t0));
    }
    return Math.min(...runs);
  })();
  const version = time(["--version"]);
  const compile = time(["compile", "test/fixtures/compile/features/workflow.yaml", "--spec-dir", specDir, "-p", "source_dir=/d", "-p", "vocab_dir=/v"]);
  const out = mkdtempSync(path.join(os.tmpdir(), "omopetl-bench-cli-"));
  const synthea = time([
    "compile", "resources/workflows/synthea-cdm54.yaml", "--spec-dir", specDir, "-o", path.join(out, "plan.json"),
    "-p", `source_dir=${path.join(shared, "data/dbt-synthea/synthea")}`, "-p", `vocab_dir=${path.join(shared, "data/vocabulary")}`,
  ]);
  rmSync(out, { recursive: true, force: true });
  results.cli.push(
    { what: "node -e 0 (baseline)", bestMs: node },
    { what: "omopetl --version", bestMs: version },
    { what: "omopetl compile (features fixture)", bestMs: compile },
    { what: "omopetl compile (the Synthea workflow)", bestMs: synthea },
  );
  console.log("\nCLI cold start (best of 5)");
  console.log("| command | best ms | vs bare node |");
  console.log("| --- | ---: | ---: |");
  for (const r of results.cli) console.log(`| ${r.what} | ${r.bestMs} | ${(r.bestMs / node).toFixed(2)}x |`);
}

function loadAverage() {
  return os.loadavg().map((x) => Number(x.toFixed(2)));
}

const synthea = {
  cli: path.join(repo, "bin/omopetl.js"),
  directScript: path.join(repo, "bench/duckdb-direct.js"),
  workflow: path.join(repo, "resources/workflows/synthea-cdm54.yaml"),
  syntheaDir: path.join(shared, "data/dbt-synthea/synthea"),
  vocabDir: path.join(shared, "data/vocabulary"),
  specDir,
  log: (m) => process.stderr.write(`${m}\n`),
};
const memoryLimit = options["memory-limit"] === "none" ? undefined : (options["memory-limit"] ?? "768MB");
const reps = options.reps !== undefined ? Number(options.reps) : undefined;
results.machine.loadAverageAtStart = loadAverage();
results.machine.duckdb = await (async () => {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const instance = await DuckDBInstance.create(":memory:");
  const conn = await instance.connect();
  const v = String((await conn.runAndReadAll("SELECT version()")).getRows()[0][0]);
  conn.closeSync();
  instance.closeSync();
  return v;
})();
results.machine.benchCache = benchCacheDir();

if (want("compile")) await benchCompile();
if (want("cli")) benchCli();
if (want("run")) {
  const scales = list(options.scales, [1, 10, 100]);
  results.run = await benchDuckDb(synthea, scales, { reps: reps ?? 2, memoryLimit });
}
if (want("rerun")) results.rerun = await benchRerun(synthea, Number(options["rerun-scale"] ?? 100), { memoryLimit });
if (want("check")) results.check = await benchCheck(synthea, Number(options["check-scale"] ?? 100), { reps: reps ?? 2, memoryLimit, dqdDir: path.join(shared, "dqd") });
const pgUrl = options["pg-url"] ?? process.env.OMOPETL_BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
if (want("pg")) results.pg = await benchPostgres(synthea, list(options["pg-scales"], [10, 100]), { url: pgUrl, reps: reps ?? 1 });
if (only.includes("spark")) {
  // Only when asked: minutes per scale on a Spark Thrift server (the default sections need no Spark).
  const vocabularyTables = (await import("./synthea-bench.js")).VOCABULARY_TABLES;
  // --spark-url none: only the cluster's run.
  if (options["spark-url"] !== "none") {
    results.spark = await benchSpark(synthea, list(options["spark-scales"], [1, 10]), { url: options["spark-url"] ?? "hive://127.0.0.1:10000", reps: reps ?? 1, label: "local mode", vocabularyTables });
  }
  if (options["spark-cluster-url"] !== undefined) {
    results.sparkCluster = await benchSpark(synthea, [1], { url: options["spark-cluster-url"], reps: 1, label: "standalone cluster, 2 workers", vocabularyTables });
  }
}
if (only.includes("merge")) {
  // Only when asked: minutes of 1M-row merges on both engines.
  results.merge = await benchMerge({ rows: Number(options["merge-rows"] ?? 1_000_000), reps: reps ?? 3, pgReps: reps ?? 2, pgUrl, memoryLimit: memoryLimit ?? "none" });
}
if (want("baseline")) {
  const url = options["pg-url"] ?? process.env.OMOPETL_BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
  results.baseline = {
    dir: path.resolve(options.baseline),
    duckdb: await benchBaselineDuckDb(synthea, options.baseline, list(options.scales, [100]), { reps: reps ?? 3, memoryLimit }),
    ...(options["pg-scales"] !== undefined ? { pg: await benchBaselinePostgres(synthea, options.baseline, list(options["pg-scales"], []), { url, reps: reps ?? 3 }) } : {}),
  };
}
results.machine.loadAverageAtEnd = loadAverage();
results.machine.note = "other processes share this machine: compare the ratios (measured side by side) rather than absolute times";

mkdirSync(path.join(repo, "bench/results"), { recursive: true });
// A run of some sections only does not overwrite the day's full results.
// Nor does a run at other scales overwrite one of the same sections: the scales are part of the name.
const scaleTag = options.scales !== undefined ? `-x${list(options.scales, []).join("-x")}` : "";
const file = path.join(repo, "bench/results", `${new Date().toISOString().slice(0, 10)}${only.length ? `-${only.join("-")}` : ""}${scaleTag}.json`);
writeFileSync(file, JSON.stringify(results, null, 2) + "\n");
console.log(`\nwrote ${path.relative(repo, file)}`);
