// What-if tool for the DuckDB SQL: rewrites the statements of a plan compiled with `omopetl compile --dialect duckdb`
// the way a proposed change to src/providers would generate them, so the change can be measured with
// bench/duckdb-direct.js before anyone writes it. Not used by `npm run bench`.
//
//   node bench/plan-variants.js <plan.json> <out.json> <variant...>
//   node bench/duckdb-direct.js <out.json> <sql-dir of plan.json> <db file> --memory-limit 768MB --timings t.json
//
// Variants:
//   nopk      the id map without PRIMARY KEY (domain, source_key) / UNIQUE (domain, id) (no ART indexes to maintain)
//   prune     id assignment enumerates keys without the LEFT JOINs that neither its key, its WHERE nor another join reads
//   noidx     no CREATE INDEX for staging tables (`indexes:` of transforms)
//   nocdmidx  no OHDSI standard indexes (the `part: indexes` ddl step)
//   nocdmpk   CDM tables without their PRIMARY KEY
//   all       nopk + prune + noidx + nocdmidx
import { readFileSync, writeFileSync } from "node:fs";

const [input, output, ...variants] = process.argv.slice(2);
const KNOWN = ["nopk", "prune", "noidx", "nocdmidx", "nocdmpk", "all"];
if (!input || !output || variants.some((v) => !KNOWN.includes(v))) {
  process.stderr.write(`usage: node bench/plan-variants.js <plan.json> <out.json> <${KNOWN.join("|")}>...\n`);
  process.exit(2);
}
const on = (v) => variants.includes(v) || (variants.includes("all") && ["nopk", "prune", "noidx", "nocdmidx"].includes(v));

/** Drops LEFT JOINs of an id-assignment INSERT whose alias nothing else in the statement reads (to a fixpoint). */
function pruneJoins(sql) {
  if (!/^INSERT INTO \S+\.omopetl_id_map /.test(sql)) return sql;
  const join = /\n {2}LEFT JOIN (\S+) AS (\w+)\n {4}ON [^\n]*(\n {6}AND [^\n]*)*/g;
  for (let changed = true; changed; ) {
    changed = false;
    for (const m of sql.matchAll(join)) {
      const rest = sql.replace(m[0], "");
      if (!new RegExp(`\\b${m[2]}\\.`).test(rest)) {
        sql = rest;
        changed = true;
        break;
      }
    }
  }
  return sql;
}

const plan = JSON.parse(readFileSync(input, "utf8"));
if (plan.dialect !== "duckdb") throw new Error(`${input} was not compiled with --dialect duckdb`);
for (const step of plan.steps) {
  const isIndexDdl = step.body.kind === "ddl" && step.body.part === "indexes";
  const isTablesDdl = step.body.kind === "ddl" && step.body.part === "tables";
  let sql = step.sql ?? [];
  if (on("noidx") && !isIndexDdl) sql = sql.filter((q) => !/^CREATE INDEX/.test(q));
  if (on("nocdmidx") && isIndexDdl) sql = [];
  if (on("nopk")) sql = sql.map((q) => q.replace(/,\n {2}PRIMARY KEY \(domain, source_key\),\n {2}UNIQUE \(domain, id\)\n/, "\n"));
  if (on("nocdmpk") && isTablesDdl) sql = sql.map((q) => q.replace(/,\n {2}PRIMARY KEY \([^)]*\)\n/, "\n"));
  if (on("prune")) sql = sql.map(pruneJoins);
  step.sql = sql;
}
writeFileSync(output, JSON.stringify(plan));
