import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { CliResult } from "../helpers/cli.js";
import { rerunFixture, tableContent, type ComparedTable, type RerunDb, type RerunSource } from "../helpers/rerun-compare.js";
import { ENGINES, engineSchemas, queryEngine, type EngineName } from "../helpers/two-engines.js";

/**
 * A re-run equals a fresh run for `mode: merge` steps too (issue 13, item 7). A MERGE alone inserts and updates: the
 * rows it wrote for source rows deleted since (or whose key changed) stayed in the target. Now a merge step deletes
 * the rows it wrote earlier whose key its select no longer produces, and only those: rows of cdm.person are written
 * by two merge steps (men and women), which must not delete each other's rows, and a patient moves from one to the
 * other. Each engine runs a small ETL on an "old" database, the source is edited (rows deleted, a key changed, a
 * foreign key changed, values changed), and the re-run on the old database is compared with a fresh run on a new
 * one, table by table (ids through the source keys they stand for).
 */
const WORKFLOW = `name: rerun_merge
cdm_version: "5.4"
steps:
  - dml: dml/cdm_tables.yaml
  - dml: dml/load/*.yaml
  - dml: dml/person_m.yaml
  - dml: dml/person_f.yaml
  - dml: dml/visit_occurrence.yaml
  - dml: dml/cost.yaml
  - dml: dml/visit_days.yaml
`;

const person = (where: string): string =>
  [
    "kind: transform",
    "target: cdm.person",
    "mode: merge",
    "from: source.patients AS p",
    `where: "${where}"`,
    "ids:",
    "  person_id: { source_key: [p.id] }",
    "columns:",
    "  gender_concept_id: \"CASE p.gender WHEN 'M' THEN 8507 ELSE 8532 END\"",
    "  year_of_birth: EXTRACT(YEAR FROM p.birthdate)",
    '  race_concept_id: "0"',
    '  ethnicity_concept_id: "0"',
    "  person_source_value: p.id",
    "",
  ].join("\n");

const DML: Record<string, string> = {
  "cdm_tables.yaml": "kind: ddl\npart: tables\ntables: [person, visit_occurrence, cost]\n",
  "load/patients.yaml": "kind: load\ntarget: source.patients\nfiles: ../../data/patients.csv\ncolumns: { id: varchar, gender: varchar, birthdate: date }\n",
  "load/visits.yaml": "kind: load\ntarget: source.visits\nfiles: ../../data/visits.csv\ncolumns: { id: varchar, patient: varchar, start: date }\n",
  "load/claims.yaml": "kind: load\ntarget: source.claims\nfiles: ../../data/claims.csv\ncolumns: { id: varchar, visit: varchar, amount: float }\n",
  "person_m.yaml": person("p.gender = 'M'"),
  "person_f.yaml": person("p.gender <> 'M'"),
  "visit_occurrence.yaml": [
    "kind: transform",
    "target: cdm.visit_occurrence",
    "mode: merge",
    "from: source.visits AS v",
    "ids:",
    "  visit_occurrence_id: { source_key: [v.id] }",
    "  person_id: { source_key: [v.patient], domain: person.person_id, assign: false }",
    "columns:",
    "  visit_concept_id: 9202",
    "  visit_start_date: v.start",
    "  visit_end_date: v.start",
    "  visit_type_concept_id: 32817",
    "  visit_source_value: v.id",
    "",
  ].join("\n"),
  // A staging target keyed on two columns (the ledger stores them as one length-prefixed text).
  "visit_days.yaml": [
    "kind: transform",
    "target: staging.visit_days",
    "mode: merge",
    "key: [patient, start]",
    "from: source.visits AS v",
    "columns:",
    "  patient: v.patient",
    "  start: v.start",
    "  visit: v.id",
    "",
  ].join("\n"),
  "cost.yaml": [
    "kind: transform",
    "target: cdm.cost",
    "mode: merge",
    "from: source.claims AS c",
    "ids:",
    "  cost_id: { source_key: [c.id] }",
    "  cost_event_id: { source_key: [c.visit], domain: visit_occurrence.visit_occurrence_id, assign: false }",
    "columns:",
    "  cost_domain_id: \"'Visit'\"",
    "  cost_type_concept_id: 32817",
    "  total_charge: c.amount",
    "",
  ].join("\n"),
};

const BEFORE: RerunSource = {
  patients: ["p1,M,1970-01-01", "p2,F,1980-02-02", "p3,M,1990-03-03", "p4,F,2000-04-04"],
  visits: ["v1,p1,2020-01-01", "v2,p1,2020-02-01", "v3,p2,2020-03-01", "v4,p3,2020-04-01", "v5,p3,2020-05-01", "v6,p4,2020-06-01"],
  claims: ["c1,v1,10.5", "c2,v2,20.25", "c3,v3,30", "c4,v4,40", "c5,v5,50", "c6,v6,60"],
};

/**
 * Rows deleted (patient p2, visit v3, claim c3), a key changed (visit v4 is now v4b), a foreign key changed (c1 ->
 * v2), values changed (p4's birth year, v5's date, c2's amount), and p3 moved from the men's step to the women's.
 */
const AFTER: RerunSource = {
  patients: ["p1,M,1970-01-01", "p3,F,1990-03-03", "p4,F,2001-04-04"],
  visits: ["v1,p1,2020-01-01", "v2,p1,2020-02-01", "v4b,p3,2020-04-01", "v5,p3,2020-05-15", "v6,p4,2020-06-01"],
  claims: ["c1,v2,10.5", "c2,v2,21.75", "c4,v4b,40", "c5,v5,50", "c6,v6,60"],
};

const TABLES: Record<string, ComparedTable> = {
  person: { columns: ["person_id", "gender_concept_id", "year_of_birth", "person_source_value"], ids: { person_id: "person.person_id" } },
  visit_occurrence: {
    columns: ["visit_occurrence_id", "person_id", "visit_start_date", "visit_source_value"],
    ids: { visit_occurrence_id: "visit_occurrence.visit_occurrence_id", person_id: "person.person_id" },
  },
  cost: { columns: ["cost_id", "cost_event_id", "total_charge"], ids: { cost_id: "cost.cost_id", cost_event_id: "visit_occurrence.visit_occurrence_id" } },
};

const { dirs, prefixes, writeSource, run, runFresh } = rerunFixture("rmerge", WORKFLOW, DML);

const content = (db: RerunDb, engine: EngineName, table: string): Promise<string[]> => tableContent(dirs[db], engine, prefixes[db], table, TABLES[table]!);

/** Every compared table of the old database equals the fresh run's (and is not empty). */
async function expectEqualTables(engine: EngineName): Promise<void> {
  for (const table of Object.keys(TABLES)) {
    const [o, f] = [await content("old", engine, table), await content("fresh", engine, table)];
    expect(o, table).toEqual(f);
    expect(o.length, table).toBeGreaterThan(0);
  }
}

/** The CLI's line for `step` ("✔ cost  5 read · 2 merged · 1 deleted (source gone)  0.02s"). */
const stepLine = (r: CliResult, step: string): string => r.stderr.split("\n").find((l) => l.startsWith(`✔ ${step} `)) ?? "";

describe.each(ENGINES)("%s: merge steps re-run on an old database equal a fresh run", (engine) => {
  it("after rows were deleted, a key changed, a foreign key changed and values changed: the same tables, deletions counted", async () => {
    writeSource("old", BEFORE);
    const first = run("old", engine);
    expect(first.code, first.stderr).toBe(0);
    expect(await content("old", engine, "cost")).toHaveLength(6);

    writeSource("old", AFTER);
    const metrics = path.join(dirs.old, "metrics.json");
    const rerun = run("old", engine, "--metrics-out", metrics);
    expect(rerun.code, rerun.stderr).toBe(0);
    const fresh = await runFresh(engine, AFTER);
    expect(fresh.code, fresh.stderr).toBe(0);
    await expectEqualTables(engine);
    const days = async (db: RerunDb): Promise<unknown[]> =>
      queryEngine(dirs[db], engine, `SELECT patient, CAST(start AS VARCHAR) AS start, visit FROM ${engineSchemas(prefixes[db], engine).staging}.visit_days ORDER BY 1, 2`);
    expect(await days("old")).toEqual(await days("fresh"));
    expect(stepLine(rerun, "visit_days")).toMatch(/ · 2 deleted \(source gone\)/); // v3's (p2) and v5's old date

    // Row accounting: c3 and v3 were deleted from the source and v4 became v4b, so their rows are gone.
    expect(stepLine(rerun, "cost")).toMatch(/ · 1 deleted \(source gone\)/);
    expect(stepLine(rerun, "visit_occurrence")).toMatch(/ · 2 deleted \(source gone\)/);
    const steps = (JSON.parse(readFileSync(metrics, "utf8")) as { steps: { name: string; rows: { sourceGone?: number; deleted?: number } }[] }).steps;
    expect(steps.find((s) => s.name === "cost")?.rows).toMatchObject({ sourceGone: 1, deleted: 1 });
    // ... and the ledger keeps it, beside the reasons rows were not written.
    const s = engineSchemas(prefixes.old, engine);
    const recorded = await queryEngine(
      dirs.old,
      engine,
      `SELECT step_name, reason, CAST("rows" AS INTEGER) AS n FROM ${s.staging}.omopetl_step_rows WHERE effect = 'deleted' AND step_name IN ('cost', 'visit_occurrence') ORDER BY step_name`,
    );
    expect(recorded).toEqual([
      { step_name: "cost", reason: "source gone", n: 1 },
      { step_name: "visit_occurrence", reason: "source gone", n: 2 },
    ]);
  });

  it("a re-run of an unchanged source deletes nothing and writes nothing", async () => {
    const before = await Promise.all(Object.keys(TABLES).map((t) => content("old", engine, t)));
    const rerun = run("old", engine);
    expect(rerun.code, rerun.stderr).toBe(0);
    for (const step of ["person_m", "person_f", "visit_occurrence", "cost", "visit_days"]) {
      expect(stepLine(rerun, step), step).toMatch(/ 0 merged /);
      expect(stepLine(rerun, step), step).not.toContain("deleted");
    }
    expect(await Promise.all(Object.keys(TABLES).map((t) => content("old", engine, t)))).toEqual(before);
  });

  it("two merge steps writing disjoint rows of one table keep each other's rows, also when run alone", async () => {
    const s = engineSchemas(prefixes.old, engine);
    const people = async (): Promise<string[]> =>
      (await queryEngine(dirs.old, engine, `SELECT person_source_value AS p FROM ${s.cdm}.person ORDER BY 1`)).map((r) => String(r.p));
    expect(await people()).toEqual(["p1", "p3", "p4"]);
    for (const step of ["person_m", "person_f"]) {
      const alone = run("old", engine, "-s", step);
      expect(alone.code, alone.stderr).toBe(0);
      expect(stepLine(alone, step), step).not.toContain("deleted");
      expect(await people(), step).toEqual(["p1", "p3", "p4"]);
    }
    // A patient leaving one step's rows is deleted by that step alone, without touching the other's.
    writeSource("old", { ...AFTER, patients: AFTER.patients.filter((p) => !p.startsWith("p1,")), visits: AFTER.visits.filter((v) => !v.includes(",p1,")), claims: ["c4,v4b,40", "c5,v5,50", "c6,v6,60"] });
    const alone = run("old", engine, "-s", "patients", "-s", "person_m");
    expect(alone.code, alone.stderr).toBe(0);
    expect(alone.stderr).not.toContain("✔ person_f");
    expect(stepLine(alone, "person_m")).toMatch(/ · 1 deleted \(source gone\)/);
    expect(await people()).toEqual(["p3", "p4"]);
  });

  it("after a merge step is renamed, the rows its old name wrote still equal a fresh run", async () => {
    const renamed = WORKFLOW.replace("  - dml: dml/person_f.yaml\n", "  - name: person_women\n    dml: dml/person_f.yaml\n");
    expect(renamed).not.toBe(WORKFLOW);
    // p2 leaves the source under the new name: the old name's record of it must not keep its row.
    const edited: RerunSource = { ...BEFORE, patients: BEFORE.patients.filter((p) => !p.startsWith("p2,")), visits: BEFORE.visits.filter((v) => !v.includes(",p2,")), claims: BEFORE.claims.filter((c) => !c.includes(",v3,")) };
    try {
      writeSource("old", BEFORE);
      const before = run("old", engine);
      expect(before.code, before.stderr).toBe(0);
      for (const db of ["old", "fresh"] as const) writeFileSync(path.join(dirs[db], "workflow.yaml"), renamed);
      writeSource("old", edited);
      const rerun = run("old", engine);
      expect(rerun.code, rerun.stderr).toBe(0);
      const fresh = await runFresh(engine, edited);
      expect(fresh.code, fresh.stderr).toBe(0);
      await expectEqualTables(engine);
    } finally {
      for (const db of ["old", "fresh"] as const) writeFileSync(path.join(dirs[db], "workflow.yaml"), WORKFLOW);
    }
  });
});
