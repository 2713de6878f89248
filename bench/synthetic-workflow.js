// Generates a synthetic workflow of N DML steps with realistic joins, lookups and expressions, for compile benchmarks.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

/**
 * Writes `<dir>/workflow.yaml` and `<dir>/dml/*.yaml`: 10 source loads, then (n - 10) transforms into staging tables,
 * each reading a load and an earlier staging table (so the DAG is deep and wide), with a vocabulary lookup, CASE,
 * date arithmetic, string functions and a window function.
 */
export function writeSyntheticWorkflow(dir, n) {
  mkdirSync(path.join(dir, "dml"), { recursive: true });
  const loads = 10;
  writeFileSync(
    path.join(dir, "workflow.yaml"),
    `name: synthetic_${n}\ncdm_version: "5.4"\nparams:\n  source_dir: { type: path, default: /data }\nsteps:\n  - dml: dml/*.yaml\n`,
  );
  writeFileSync(path.join(dir, "dml", "vocab_concept.yaml"), "kind: load\ntarget: vocab.concept\nfiles: ${params.source_dir}/CONCEPT.csv\n");
  writeFileSync(path.join(dir, "dml", "vocab_concept_relationship.yaml"), "kind: load\ntarget: vocab.concept_relationship\nfiles: ${params.source_dir}/CONCEPT_RELATIONSHIP.csv\n");
  // Lookups check their vocabulary ids against VOCABULARY, so every lookup step reads it.
  writeFileSync(path.join(dir, "dml", "vocab_vocabulary.yaml"), "kind: load\ntarget: vocab.vocabulary\nfiles: ${params.source_dir}/VOCABULARY.csv\n");
  for (let i = 0; i < loads; i++) {
    writeFileSync(
      path.join(dir, "dml", `load_${i}.yaml`),
      `kind: load\ntarget: source.events_${i}\nfiles: \${params.source_dir}/events_${i}.csv\ncolumns:\n  id: varchar\n  patient: varchar\n  code: varchar\n  start: date\n  stop: date\n  value: varchar\n  amount: float\n`,
    );
  }
  for (let i = loads; i < n; i++) {
    const src = i % loads;
    const prev = i - 1 >= loads ? `staging.t_${i - 1 - ((i * 7) % Math.min(i - loads, 50))}` : undefined;
    const join = prev
      ? `joins:\n  - { table: ${prev}, as: p, on: "p.event_id = e.id", type: left }\n`
      : "";
    writeFileSync(
      path.join(dir, "dml", `t_${i}.yaml`),
      `kind: transform
target: staging.t_${i}
mode: rebuild
from: source.events_${src} AS e
${join}lookups:
  c: { code: e.code, vocabulary: SNOMED, domain: Condition }
where: e.start IS NOT NULL AND e.start <= coalesce(e.stop, DATE '2100-01-01')
columns:
  event_id: e.id
  person_key: upper(trim(e.patient))
  concept_id: c.concept_id
  source_concept_id: c.source_concept_id
  start_date: e.start
  end_date: coalesce(e.stop, e.start)
  days: coalesce(e.stop, e.start) - e.start
  start_year: EXTRACT(YEAR FROM e.start)
  bucket: "CASE WHEN e.amount IS NULL THEN 'none' WHEN e.amount < 10 THEN 'low' WHEN e.amount BETWEEN 10 AND 100 THEN 'mid' ELSE 'high' END"
  value_num: CAST(nullif(e.value, '') AS float)
  label: concat(e.code, ':', coalesce(e.value, '?'))
  seq: row_number() OVER (PARTITION BY e.patient ORDER BY e.start, e.id)
${prev ? "  prev_days: p.days\n" : ""}indexes: [[event_id]]
`,
    );
  }
}
