// The engine's own pace for the Spark benchmark: executes a plan compiled with `omopetl compile --dialect spark -o
// plan.json --sql-dir dir` directly through the Thrift server, every step's statements in plan order on ONE session
// of the spark provider's connection (hive-driver; no orchestrator, no ledger, no retries, no row accounting).
// Spark has no multi-statement transactions: every statement runs on its own, as the provider runs them.
//
//   node bench/spark-direct.js <plan.json> <host> <port> [--timings out.json]
//
// Prints one JSON line: { ms, steps, statements } (wall time from opening the session to closing it).
import { readFileSync, writeFileSync } from "node:fs";
import { sparkProvider } from "../dist/providers/spark/index.js";

const [planFile, host, port, ...rest] = process.argv.slice(2);
if (!planFile || !host || !port) {
  process.stderr.write("usage: node bench/spark-direct.js <plan.json> <host> <port> [--timings out.json]\n");
  process.exit(2);
}
const timingsFile = rest[rest.indexOf("--timings") + 1];
const plan = JSON.parse(readFileSync(planFile, "utf8"));
if (plan.dialect !== "spark") throw new Error(`${planFile} was not compiled with --dialect spark`);

const t0 = performance.now();
const conn = await sparkProvider.connect({ provider: "spark", host, port: Number(port), retries: 0, poolSize: 1 });
const timings = [];
let statements = 0;
try {
  // One pinned session: a load's temporary views live in the session that made them.
  await conn.session(async (s) => {
    for (const step of plan.steps) {
      const s0 = performance.now();
      for (const sql of step.sql ?? []) {
        await s.execute(sql);
        statements++;
      }
      timings.push({ step: step.name, ms: Math.round(performance.now() - s0) });
    }
  });
} finally {
  await conn.close();
}
const ms = Math.round(performance.now() - t0);
if (rest.includes("--timings")) writeFileSync(timingsFile, JSON.stringify(timings, null, 2) + "\n");
process.stdout.write(JSON.stringify({ ms, steps: plan.steps.length, statements }) + "\n");
