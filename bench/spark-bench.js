// The Synthea workflow on Spark (issue 17): `omopetl run --target spark` against a Spark Thrift server, beside the
// same compiled SQL submitted directly through the Thrift server (bench/spark-direct.js), alternating per round; the
// CDM row counts of both must agree. Run against the local-mode server (scripts/services.sh up spark) and, once,
// against the standalone cluster's (up spark-cluster: a master and two workers on this machine).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { sparkProvider } from "../dist/providers/spark/index.js";
import { PG_SCHEMAS, mb, runNode, sec, stepDurations, stepKinds, phases, workflowArgs, workflowWithSchemas, writeConfig } from "./synthea-bench.js";
import { ensureScaledSynthea } from "./synthea-scale.js";

const PATIENTS = 27;
const directScript = path.join(path.dirname(fileURLToPath(import.meta.url)), "spark-direct.js");
/** The bench's schemas (the same names as on PostgreSQL: plain identifiers Spark's metastore takes). */
const SCHEMAS = PG_SCHEMAS;

/** host and port of a hive://host:port URL. */
function hostPort(url) {
  const m = /^hive:\/\/([^:/]+):(\d+)\/?$/.exec(url);
  if (!m) throw new Error(`--spark-url takes hive://host:port, not ${url}`);
  return { host: m[1], port: Number(m[2]) };
}

async function withSpark(url, fn) {
  const conn = await sparkProvider.connect({ provider: "spark", ...hostPort(url), retries: 0, poolSize: 1 });
  try {
    return await fn(conn);
  } finally {
    await conn.close();
  }
}

/** Drops the bench's schemas (and everything in them). */
async function dropSchemas(url) {
  await withSpark(url, async (c) => {
    for (const s of new Set(Object.values(SCHEMAS))) await c.execute(`DROP SCHEMA IF EXISTS \`${s}\` CASCADE`);
  });
}

/** Row count of every CDM table but the vocabulary's, sorted by name. */
async function cdmRowCounts(url, vocabulary) {
  return withSpark(url, async (c) => {
    const tables = (await c.query(`SHOW TABLES IN \`${SCHEMAS.cdm}\``)).map((r) => String(r.tableName)).filter((t) => !vocabulary.has(t)).sort();
    const out = {};
    for (const t of tables) out[t] = Number((await c.query(`SELECT count(*) AS n FROM \`${SCHEMAS.cdm}\`.\`${t}\``))[0].n);
    return out;
  });
}

/**
 * Spark at each scale: `reps` rounds of `omopetl run --target spark` (schemas bench_*) and the direct execution of the
 * same SQL, schemas dropped before each side; the best wall time of each gives the ratio.
 */
export async function benchSpark(ctx, scales, { url, reps, label, vocabularyTables }) {
  let version;
  try {
    version = await withSpark(url, async (c) => String(Object.values((await c.query("SELECT version() AS v"))[0])[0]));
  } catch (e) {
    const why = e instanceof Error ? e.message.split("\n")[0] : String(e);
    console.log(`\nSpark (${label}): skipped (${url} unreachable: ${why})`);
    return { skipped: why };
  }
  const { host, port } = hostPort(url);
  const rows = [];
  for (const scale of scales) {
    const data = await ensureScaledSynthea(ctx.syntheaDir, scale, ctx.log);
    const dir = mkdtempSync(path.join(os.tmpdir(), `omopetl-bench-spark-x${scale}-`));
    try {
      writeConfig(dir, { spark: { provider: "spark", host, port, schemas: SCHEMAS } });
      const wf = workflowWithSchemas(ctx.workflow, dir);
      const planFile = path.join(dir, "plan.json");
      const c = await runNode([ctx.cli, "compile", wf, "--param", `source_dir=${data.dir}`, "--param", `vocab_dir=${ctx.vocabDir}`, "--spec-dir", ctx.specDir, "--dialect", "spark", "--sql-dir", path.join(dir, "sql"), "-o", planFile], {
        cwd: dir,
        probe: false,
        log: ctx.log,
      });
      if (c.status !== 0) throw new Error("omopetl compile --dialect spark failed");
      const omopetl = [];
      const direct = [];
      let countsOmopetl;
      let countsDirect;
      for (let rep = 0; rep < reps; rep++) {
        await dropSchemas(url);
        ctx.log(`spark (${label}) x${scale} round ${rep + 1}/${reps}: omopetl run --target spark ...`);
        const metricsFile = path.join(dir, "metrics.json");
        const r = await runNode([ctx.cli, "run", ...workflowArgs(ctx, data.dir), "--target", "spark", "--metrics-out", metricsFile], { cwd: dir, log: ctx.log });
        if (r.status !== 0) throw new Error(`omopetl run on Spark (${label}) failed`);
        omopetl.push({ ...r, metrics: JSON.parse(readFileSync(metricsFile, "utf8")) });
        countsOmopetl = await cdmRowCounts(url, vocabularyTables);
        await dropSchemas(url);
        ctx.log(`spark (${label}) x${scale} round ${rep + 1}/${reps}: the same SQL through the Thrift server ...`);
        const timings = path.join(dir, "direct-timings.json");
        const d = await runNode([directScript, planFile, host, String(port), "--timings", timings], { cwd: dir, log: ctx.log });
        if (d.status !== 0) throw new Error(`direct execution on Spark (${label}) failed`);
        direct.push({ ...d, timings: JSON.parse(readFileSync(timings, "utf8")) });
        countsDirect = await cdmRowCounts(url, vocabularyTables);
      }
      const best = (xs) => xs.reduce((a, b) => (b.ms < a.ms ? b : a));
      const o = best(omopetl);
      const d = best(direct);
      const kinds = stepKinds(planFile);
      const same = JSON.stringify(countsOmopetl) === JSON.stringify(countsDirect);
      rows.push({
        scale,
        patients: PATIENTS * scale,
        omopetlS: sec(o.ms),
        omopetlRunsS: omopetl.map((x) => sec(x.ms)),
        directS: sec(d.ms),
        directRunsS: direct.map((x) => sec(x.ms)),
        ratio: Number((o.ms / d.ms).toFixed(3)),
        roundRatios: omopetl.map((x, i) => Number((x.ms / direct[i].ms).toFixed(3))),
        cdmRows: Object.values(countsOmopetl).reduce((a, b) => a + b, 0),
        cdmRowsEqual: same,
        ...(same ? {} : { countsOmopetl, countsDirect }),
        omopetlPhases: phases(stepDurations(o.metrics), kinds, o.ms),
        directPhases: phases(Object.fromEntries(d.timings.map((t) => [t.step, t.ms])), kinds, d.ms),
        omopetlRssPeakMB: Math.max(...omopetl.map((x) => mb(x.memory?.rssPeak) ?? 0)),
        slowestSteps: Object.entries(stepDurations(o.metrics))
          .sort((a, b) => b[1] - a[1])
          .slice(0, 8)
          .map(([step, ms]) => ({ step, ms })),
      });
    } finally {
      await dropSchemas(url).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  }
  console.log(`\nSynthea -> OMOP on Spark ${version} (${label}, ${url}; best of ${reps}; ratio = omopetl run / the same SQL through the Thrift server)`);
  console.log("| scale | patients | omopetl s | direct s | ratio | rounds | CDM rows | load s (omopetl / direct) | transform s (omopetl / direct) |");
  console.log("| ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |");
  for (const r of rows) {
    const ph = (p, k) => p?.[k] ?? "-";
    console.log(
      `| x${r.scale} | ${r.patients} | ${r.omopetlS} | ${r.directS} | ${r.ratio.toFixed(2)} | ${r.roundRatios.join(", ")} | ${r.cdmRows}${r.cdmRowsEqual ? "" : " (DIFFER)"} | ${ph(r.omopetlPhases, "loadS")} / ${ph(r.directPhases, "loadS")} | ${ph(r.omopetlPhases, "transformS")} / ${ph(r.directPhases, "transformS")} |`,
    );
  }
  return { server: version, label, url, rows };
}
