// The data quality checks' cost in `npm run bench`: `omopetl run` vs `omopetl run --check` of the Synthea workflow on
// DuckDB at one scale, each into a fresh database file, alternating rounds so both see the same machine load; the best
// wall time of each side gives the ratio (the target: the checks add less than 25% at x100).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { runNode } from "./synthea-bench.js";
import { ensureScaledSynthea } from "./synthea-scale.js";

const sec = (ms) => Number((ms / 1000).toFixed(2));

/** `run` and `run --check` side by side at `scale`; returns the measurements and prints a table. */
export async function benchCheck(ctx, scale, { reps, memoryLimit, dqdDir }) {
  const data = await ensureScaledSynthea(ctx.syntheaDir, scale, ctx.log);
  const dir = mkdtempSync(path.join(os.tmpdir(), `omopetl-bench-check-x${scale}-`));
  try {
    const dbFile = path.join(dir, "omop.duckdb");
    writeFileSync(path.join(dir, "omopetl.config.yaml"), JSON.stringify({ targets: { default: { provider: "duckdb", path: dbFile, ...(memoryLimit ? { memoryLimit } : {}) } } }, null, 2) + "\n");
    const args = [ctx.cli, "run", ctx.workflow, "--param", `source_dir=${data.dir}`, "--param", `vocab_dir=${ctx.vocabDir}`, "--spec-dir", ctx.specDir];
    const plain = [];
    const checked = [];
    let summary = "";
    for (let rep = 0; rep < reps; rep++) {
      for (const [label, extra, into] of [["run", [], plain], ["run --check", ["--check", "--fail-on", "none"], checked]]) {
        rmSync(dbFile, { force: true });
        rmSync(`${dbFile}.wal`, { force: true });
        ctx.log(`x${scale} round ${rep + 1}/${reps}: omopetl ${label} ...`);
        const r = await runNode([...args, ...extra], { cwd: dir, env: { OMOPETL_DQD_DIR: dqdDir }, log: ctx.log });
        if (r.status !== 0) throw new Error(`omopetl ${label} failed (exit ${r.status})`);
        into.push(r.ms);
        if (extra.length > 0) summary = r.stdout.split("\n").filter((l) => l.startsWith("check run") || l.startsWith("total")).join("; ");
      }
    }
    // "total  passed failed n/a errors" of the summary.
    const total = (summary.match(/total\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)/) ?? []).slice(1).map(Number);
    const row = {
      scale,
      runBestS: sec(Math.min(...plain)),
      runCheckBestS: sec(Math.min(...checked)),
      ratio: Number((Math.min(...checked) / Math.min(...plain)).toFixed(2)),
      checks: total.reduce((a, b) => a + b, 0),
      failed: total[1],
      runsS: plain.map(sec),
      runCheckRunsS: checked.map(sec),
      summary,
    };
    console.log(`\nrun vs run --check (DuckDB, Synthea x${scale}; best of ${reps} alternating rounds; target: ratio < 1.25)`);
    console.log("| scale | run s | run --check s | ratio | checks | failed |");
    console.log("| ---: | ---: | ---: | ---: | ---: | ---: |");
    console.log(`| x${scale} | ${row.runBestS} | ${row.runCheckBestS} | ${row.ratio} | ${row.checks} | ${row.failed} |`);
    return row;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
