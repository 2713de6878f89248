// npm run bench: benchmarks whose targets are printed as ratios measured side by side in one run (never asserted in tests).
// Needs `npm run build` first. Results: stdout table + bench/results/<date>.json.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { compileWorkflow } from "../dist/core/compile/compile-workflow.js";
import { SpecificationManager } from "../dist/core/spec/specification-manager.js";
import { writeSyntheticWorkflow } from "./synthetic-workflow.js";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const shared = process.env.OMOPETL_SHARED_DIR ?? path.resolve(repo, "../shared");
const specDir = path.join(shared, "cdm/inst/csv");
const only = process.argv.slice(2);
const want = (name) => only.length === 0 || only.includes(name);

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
  results.cli.push({ what: "node -e 0 (baseline)", bestMs: node }, { what: "omopetl --version", bestMs: version }, { what: "omopetl compile (features fixture)", bestMs: compile });
  console.log("\nCLI cold start (best of 5)");
  console.log("| command | best ms | vs bare node |");
  console.log("| --- | ---: | ---: |");
  for (const r of results.cli) console.log(`| ${r.what} | ${r.bestMs} | ${(r.bestMs / node).toFixed(2)}x |`);
}

if (want("compile")) await benchCompile();
if (want("cli")) benchCli();

mkdirSync(path.join(repo, "bench/results"), { recursive: true });
const file = path.join(repo, "bench/results", `${new Date().toISOString().slice(0, 10)}.json`);
writeFileSync(file, JSON.stringify(results, null, 2) + "\n");
console.log(`\nwrote ${path.relative(repo, file)}`);
