import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LookupCoverageReport } from "../../src/orchestrators/orchestrator-api.js";
import { runCli } from "../helpers/cli.js";
import { syntheaDir, vocabDir } from "../helpers/paths.js";
import { dropPgSchemas, ENGINES, engineSchemas, queryEngine, writeTwoEngineConfig, type EngineName } from "../helpers/two-engines.js";

/**
 * The mapping coverage report (issue 13, lookups): after each run, per lookup, the distinct codes and rows read,
 * how many mapped, and the most frequent unmapped codes with their counts — in the CLI output (short), the
 * --metrics-out JSON (full) and the ledger (omopetl_lookup_coverage). Run on the Synthea data and the shipped
 * vocabulary on DuckDB and PostgreSQL; every number is confirmed by a direct SQL count written independently of the
 * lookup's joins (NOT EXISTS over a valid 'Maps to' to a valid standard concept).
 */
const prefix = `lkc_${process.pid}_${Date.now().toString(36)}`;
let dir: string;
const schemasOf = (engine: EngineName) => engineSchemas(prefix, engine);
const query = (engine: EngineName, sql: string) => queryEngine(dir, engine, sql);

/** Two lookups over Synthea: supplies (every code unmapped in this vocabulary) and conditions (two unmapped). */
const LOOKUPS = [
  { step: "supply_codes", source: "supplies", lookup: "sup" },
  { step: "condition_codes", source: "conditions", lookup: "cond" },
] as const;

function load(table: string, file: string, columns: string): string {
  return `kind: load\ntarget: source.${table}\nfiles: ${JSON.stringify(file)}\nformat: { type: csv, header: true }\ncolumns: { ${columns} }\n`;
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "omopetl-lkc-"));
  chmodSync(dir, 0o755);
  mkdirSync(path.join(dir, "dml"));
  const vocabLoad = (t: string, file: string) =>
    `kind: load\ntarget: vocab.${t}\nfiles: ${JSON.stringify(path.join(vocabDir, file))}\nformat: { delimiter: auto, date_format: auto, quote: auto }\n`;
  writeFileSync(path.join(dir, "dml/cdm_tables.yaml"), "kind: ddl\npart: tables\ntables: [concept, concept_relationship, vocabulary]\n");
  writeFileSync(path.join(dir, "dml/concept.yaml"), vocabLoad("concept", "CONCEPT.csv"));
  writeFileSync(path.join(dir, "dml/vocabulary.yaml"), vocabLoad("vocabulary", "VOCABULARY.csv"));
  writeFileSync(path.join(dir, "dml/concept_relationship.yaml"), vocabLoad("concept_relationship", "CONCEPT_RELATIONSHIP.csv"));
  writeFileSync(path.join(dir, "dml/supplies.yaml"), load("supplies", path.join(syntheaDir, "supplies.csv"), "date: date, patient: varchar, encounter: varchar, code: varchar, description: varchar, quantity: integer"));
  writeFileSync(
    path.join(dir, "dml/conditions.yaml"),
    load("conditions", path.join(syntheaDir, "conditions.csv"), "start: varchar, stop: varchar, patient: varchar, encounter: varchar, code: varchar, description: varchar"),
  );
  for (const l of LOOKUPS) {
    writeFileSync(
      path.join(dir, `dml/${l.step}.yaml`),
      [
        "kind: transform",
        `target: staging.${l.step}`,
        "mode: rebuild",
        `from: source.${l.source} AS s`,
        // A left join that repeats every row (12 supplies share each code) and that neither the code nor the
        // where reads: the coverage still counts each source row once.
        ...(l.source === "supplies" ? ["joins:", "  - { table: source.supplies, as: dup, type: left, on: dup.code = s.code }"] : []),
        "lookups:",
        `  ${l.lookup}: { code: s.code, vocabulary: SNOMED }`,
        "columns:",
        "  code: s.code",
        `  concept_id: ${l.lookup}.concept_id`,
        "",
      ].join("\n"),
    );
  }
  const steps = ["cdm_tables", "concept", "concept_relationship", "vocabulary", "supplies", "conditions", ...LOOKUPS.map((l) => l.step)];
  writeFileSync(path.join(dir, "workflow.yaml"), `name: coverage\ncdm_version: "5.4"\nsteps:\n${steps.map((s) => `  - dml: dml/${s}.yaml\n`).join("")}`);
  writeTwoEngineConfig(dir, prefix);
});

afterAll(() => dropPgSchemas(dir, prefix));

/** The coverage a direct count gives: codes of `source` without a valid 'Maps to' to a valid standard concept. */
async function directCoverage(engine: EngineName, source: string): Promise<Omit<LookupCoverageReport, "lookup">> {
  const s = schemasOf(engine);
  const hasMapping = `EXISTS (SELECT 1 FROM ${s.vocab}.concept c
    JOIN ${s.vocab}.concept_relationship r ON r.concept_id_1 = c.concept_id AND r.relationship_id = 'Maps to' AND r.invalid_reason IS NULL
    JOIN ${s.vocab}.concept t ON t.concept_id = r.concept_id_2 AND t.standard_concept = 'S' AND t.invalid_reason IS NULL
    WHERE c.concept_code = x.code AND c.vocabulary_id = 'SNOMED')`;
  const perCode = await query(engine, `SELECT x.code AS code, count(*) AS n, CASE WHEN ${hasMapping} THEN 1 ELSE 0 END AS mapped FROM ${s.source}.${source} AS x WHERE x.code IS NOT NULL GROUP BY x.code`);
  const rows = perCode.map((r) => ({ code: String(r.code), n: Number(r.n), mapped: Number(r.mapped) === 1 }));
  const unmapped = rows.filter((r) => !r.mapped).sort((a, b) => b.n - a.n || (a.code < b.code ? -1 : 1));
  const [nulls] = await query(engine, `SELECT count(*) AS n FROM ${s.source}.${source} WHERE code IS NULL`);
  const sum = (xs: typeof rows) => xs.reduce((t, r) => t + r.n, 0);
  return {
    codes: rows.length,
    codesMapped: rows.length - unmapped.length,
    codesUnmapped: unmapped.length,
    rows: sum(rows),
    rowsMapped: sum(rows) - sum(unmapped),
    rowsUnmapped: sum(unmapped),
    rowsWithoutCode: Number(nulls!.n),
    topUnmapped: unmapped.slice(0, 10).map((r) => ({ code: r.code, rows: r.n })),
  };
}

describe("the mapping coverage report of each lookup, on the Synthea data", () => {
  const reports: Partial<Record<EngineName, Record<string, LookupCoverageReport[]>>> = {};
  for (const engine of ENGINES) {
    it(`${engine}: --metrics-out has each lookup's full report, confirmed by a direct count`, async () => {
      const r = runCli(["run", "workflow.yaml", "--target", engine, "--metrics-out", `metrics-${engine}.json`], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      const metrics = JSON.parse(readFileSync(path.join(dir, `metrics-${engine}.json`), "utf8")) as { runId: string; steps: { name: string; coverage?: LookupCoverageReport[] }[] };
      const byStep: Record<string, LookupCoverageReport[]> = {};
      for (const l of LOOKUPS) {
        const coverage = metrics.steps.find((s) => s.name === l.step)!.coverage!;
        expect(coverage).toEqual([{ lookup: l.lookup, ...(await directCoverage(engine, l.source)) }]);
        byStep[l.step] = coverage;
      }
      // What the shard is known for: every supply code is unmapped (72 rows, 6 codes of 12 rows each)...
      expect(byStep.supply_codes![0]).toMatchObject({ codes: 6, codesMapped: 0, rows: 72, rowsUnmapped: 72 });
      expect(byStep.supply_codes![0]!.topUnmapped).toHaveLength(6);
      expect(byStep.supply_codes![0]!.topUnmapped[0]).toEqual({ code: "409534002", rows: 12 });
      // ...and two condition codes are (15777000 "Prediabetes", deprecated in this release, 5 rows).
      expect(byStep.condition_codes![0]).toMatchObject({ codesUnmapped: 2, rowsUnmapped: 9 });
      expect(byStep.condition_codes![0]!.topUnmapped).toEqual([
        { code: "15777000", rows: 5 },
        { code: "10939881000119104", rows: 4 },
      ]);
      reports[engine] = byStep;

      // The CLI prints a short form under the step's line.
      expect(r.stderr).toMatch(/✔ condition_codes .*\n\s+lookup cond: 46 of 48 codes mapped \(429 of 438 rows, 97\.9%\) · unmapped: 15777000 5, 10939881000119104 4\n/);
      expect(r.stderr).toMatch(/\n\s+lookup sup: 0 of 6 codes mapped \(0 of 72 rows, 0\.0%\) · unmapped: 409534002 12, 419343004 12, 469673003 12 \(\+3 more codes\)\n/);

      // The ledger keeps the full report per run, step and lookup.
      const ledger = await query(
        engine,
        `SELECT step_name, select_index, lookup_name, codes, codes_mapped, rows_read, rows_mapped, rows_without_code, top_unmapped FROM ${schemasOf(engine).staging}.omopetl_lookup_coverage WHERE run_id = '${metrics.runId}' ORDER BY step_name`,
      );
      expect(
        ledger.map((x) => ({ ...x, codes: Number(x.codes), codes_mapped: Number(x.codes_mapped), rows_read: Number(x.rows_read), rows_mapped: Number(x.rows_mapped), rows_without_code: Number(x.rows_without_code), top_unmapped: JSON.parse(String(x.top_unmapped)) })),
      ).toEqual(
        ["condition_codes", "supply_codes"].map((step) => {
          const c = byStep[step]![0]!;
          return { step_name: step, select_index: 1, lookup_name: c.lookup, codes: c.codes, codes_mapped: c.codesMapped, rows_read: c.rows, rows_mapped: c.rowsMapped, rows_without_code: c.rowsWithoutCode, top_unmapped: c.topUnmapped };
        }),
      );
    }, 120_000);
  }

  it("both engines report the same coverage", () => {
    expect(reports.duckdb).toBeDefined();
    expect(reports.pg).toEqual(reports.duckdb);
  });
});
