// The engine's own limit for the run benchmark: executes a plan compiled with `omopetl compile --dialect duckdb -o
// plan.json --sql-dir dir` directly through @duckdb/node-api, every step's statements in plan order on ONE connection,
// in a transaction when the step says so (the "-- runs in one transaction" line of its .sql file). No orchestrator,
// no ledger, no retries.
//
//   node bench/duckdb-direct.js <plan.json> <sql-dir> <database file> [--memory-limit 1GB] [--threads 2] [--timings out.json]
//
// Prints one JSON line: { ms, steps, statements } (wall time from opening the database to closing it).
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";

const [planFile, sqlDir, dbFile, ...rest] = process.argv.slice(2);
if (!planFile || !sqlDir || !dbFile) {
  process.stderr.write("usage: node bench/duckdb-direct.js <plan.json> <sql-dir> <database file> [--memory-limit X] [--threads N] [--timings out.json]\n");
  process.exit(2);
}
const opt = (name) => {
  const i = rest.indexOf(name);
  return i >= 0 ? rest[i + 1] : undefined;
};

const plan = JSON.parse(readFileSync(planFile, "utf8"));
if (plan.dialect !== "duckdb") throw new Error(`${planFile} was not compiled with --dialect duckdb`);
// `--sql-dir` writes NNN_<step>.sql in plan order; its header says whether the step is one transaction.
const files = readdirSync(sqlDir).filter((f) => f.endsWith(".sql")).sort();
if (files.length !== plan.steps.length) throw new Error(`${sqlDir} has ${files.length} .sql files for ${plan.steps.length} steps`);
const transactional = files.map((f, i) => {
  const head = readFileSync(path.join(sqlDir, f), "utf8").split("\n", 4).join("\n");
  if (!head.includes(`-- step ${plan.steps[i].name} `)) throw new Error(`${f} is not step ${plan.steps[i].name}`);
  if (head.includes("runs in one transaction")) return true;
  if (head.includes("statements run one by one")) return false;
  throw new Error(`${f}: cannot tell whether the step is transactional`);
});

const options = {};
if (opt("--memory-limit")) options.memory_limit = opt("--memory-limit");
if (opt("--threads")) options.threads = opt("--threads");
// Any other DuckDB setting, for experiments: --set checkpoint_threshold=1GB (repeatable).
for (const [i, a] of rest.entries()) if (a === "--set") {
  const [k, ...v] = rest[i + 1].split("=");
  options[k] = v.join("=");
}

const t0 = performance.now();
const instance = await DuckDBInstance.create(":memory:", options);
const conn = await instance.connect();
// As the duckdb provider does: the file attached under a fixed catalog name, then selected.
if (dbFile !== ":memory:") {
  await conn.run(`ATTACH '${path.resolve(dbFile).replaceAll("'", "''")}' AS bench_db`);
  await conn.run("USE bench_db");
}
const timings = [];
let statements = 0;
for (const [i, step] of plan.steps.entries()) {
  const s0 = performance.now();
  const perStatement = [];
  if (transactional[i]) await conn.run("BEGIN TRANSACTION");
  for (const sql of step.sql ?? []) {
    const q0 = performance.now();
    await conn.run(sql);
    perStatement.push(Math.round(performance.now() - q0));
    statements++;
  }
  if (transactional[i]) await conn.run("COMMIT");
  timings.push({ step: step.name, ms: Math.round(performance.now() - s0), statements: perStatement });
}
conn.closeSync();
instance.closeSync();
const ms = Math.round(performance.now() - t0);
if (opt("--timings")) writeFileSync(opt("--timings"), JSON.stringify(timings, null, 2) + "\n");
process.stdout.write(JSON.stringify({ ms, steps: plan.steps.length, statements }) + "\n");
