import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { CliResult } from "../helpers/cli.js";
import { failureLines, rerunFixture, tableContent, type RerunDb, type RerunSource } from "../helpers/rerun-compare.js";
import { ENGINES, engineSchemas, queryEngine, type EngineName } from "../helpers/two-engines.js";

/**
 * A re-run equals a fresh run (issue 13, item 7, the id map's part). Ids persisted by an earlier run let a step
 * succeed where a fresh database fails: after a claim's visit key changed, the re-run wrote a cost row pointing at a
 * visit that no longer exists, where a fresh run fails on `cost.cost_event_id` NOT NULL. Each engine runs a small
 * CMS-like ETL (patients -> person, visits -> visit_occurrence, claims -> cost whose cost_event_id reads the visit's
 * id) on an "old" database, the source is edited (rows deleted, a key changed, a foreign key changed), and the
 * old database is re-run beside a fresh run on a new one: every CDM table has the same content (ids compared
 * through the source keys they stand for, since a re-run keeps old ids where a fresh run numbers from 1), and a
 * claim pointing at the visit key that left the source fails both runs with the same error.
 */
const WORKFLOW = `name: rerun
cdm_version: "5.4"
steps:
  - dml: dml/cdm_tables.yaml
  - dml: dml/load/*.yaml
  - dml: dml/person.yaml
  - dml: dml/visit_occurrence.yaml
  - dml: dml/cost.yaml
`;

const DML: Record<string, string> = {
  "cdm_tables.yaml": "kind: ddl\npart: tables\ntables: [person, visit_occurrence, cost]\n",
  "load/patients.yaml": "kind: load\ntarget: source.patients\nfiles: ../../data/patients.csv\ncolumns: { id: varchar, gender: varchar, birthdate: date }\n",
  "load/visits.yaml": "kind: load\ntarget: source.visits\nfiles: ../../data/visits.csv\ncolumns: { id: varchar, patient: varchar, start: date }\n",
  "load/claims.yaml": "kind: load\ntarget: source.claims\nfiles: ../../data/claims.csv\ncolumns: { id: varchar, visit: varchar, amount: float }\n",
  "person.yaml": [
    "kind: transform",
    "target: cdm.person",
    "mode: replace",
    "from: source.patients AS p",
    "ids:",
    "  person_id: { source_key: [p.id] }",
    "columns:",
    "  gender_concept_id: \"CASE p.gender WHEN 'M' THEN 8507 ELSE 8532 END\"",
    "  year_of_birth: EXTRACT(YEAR FROM p.birthdate)",
    '  race_concept_id: "0"',
    '  ethnicity_concept_id: "0"',
    "  person_source_value: p.id",
    "",
  ].join("\n"),
  "visit_occurrence.yaml": [
    "kind: transform",
    "target: cdm.visit_occurrence",
    "mode: replace",
    "from: source.visits AS v",
    "ids:",
    "  visit_occurrence_id: { source_key: [v.id] }",
    "  person_id: { source_key: [v.patient], domain: person.person_id, assign: false }",
    "where: v.patient IS NOT NULL",
    "columns:",
    "  visit_concept_id: 9202",
    "  visit_start_date: v.start",
    "  visit_end_date: v.start",
    "  visit_type_concept_id: 32817",
    "  visit_source_value: v.id",
    "",
  ].join("\n"),
  "cost.yaml": [
    "kind: transform",
    "target: cdm.cost",
    "mode: replace",
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
  patients: ["p1,M,1970-01-01", "p2,F,1980-02-02", "p3,M,1990-03-03"],
  visits: ["v1,p1,2020-01-01", "v2,p1,2020-02-01", "v3,p2,2020-03-01", "v4,p3,2020-04-01", "v5,p3,2020-05-01"],
  claims: ["c1,v1,10.5", "c2,v2,20.25", "c3,v3,30", "c4,v4,40", "c5,v5,50"],
};

/** Rows deleted (patient p2 and visit v3, claim c3), a key changed (visit v4 is now v4b), a foreign key changed (c1 -> v2). */
const AFTER: RerunSource = {
  patients: ["p1,M,1970-01-01", "p3,M,1990-03-03"],
  visits: ["v1,p1,2020-01-01", "v2,p1,2020-02-01", "v4b,p3,2020-04-01", "v5,p3,2020-05-01"],
  claims: ["c1,v2,10.5", "c2,v2,20.25", "c4,v4b,40", "c5,v5,50"],
};

/** As AFTER, but claim c5 now names visit v4, the key that left the source (a stale foreign key). */
const STALE: RerunSource = { ...AFTER, claims: ["c1,v2,10.5", "c2,v2,20.25", "c4,v4b,40", "c5,v4,50"] };

const { dirs, prefixes, writeSource, run, runFresh } = rerunFixture("rerun", WORKFLOW, DML);

/** Which id domain each id column of the CDM tables holds. */
const ID_COLUMNS: Record<string, Record<string, string>> = {
  person: { person_id: "person.person_id" },
  visit_occurrence: { visit_occurrence_id: "visit_occurrence.visit_occurrence_id", person_id: "person.person_id" },
  cost: { cost_id: "cost.cost_id", cost_event_id: "visit_occurrence.visit_occurrence_id" },
};
const COLUMNS: Record<string, string[]> = {
  person: ["person_id", "gender_concept_id", "year_of_birth", "person_source_value"],
  visit_occurrence: ["visit_occurrence_id", "person_id", "visit_start_date", "visit_source_value"],
  cost: ["cost_id", "cost_event_id", "cost_domain_id", "total_charge"],
};

/** A table's rows with every id replaced by the source key it stands for, sorted: comparable across databases. */
function content(db: RerunDb, engine: EngineName, table: string): Promise<string[]> {
  return tableContent(dirs[db], engine, prefixes[db], table, { columns: COLUMNS[table]!, ids: ID_COLUMNS[table]! });
}

/** (domain, source_key, id) of the id map, sorted. */
async function idMap(db: RerunDb, engine: EngineName, where = "TRUE"): Promise<string[]> {
  const s = engineSchemas(prefixes[db], engine);
  const rows = await queryEngine(dirs[db], engine, `SELECT domain, source_key, id FROM ${s.staging}.omopetl_id_map WHERE ${where}`);
  return rows.map((r) => JSON.stringify([r.domain, r.source_key, Number(r.id)])).sort();
}

/** The failure as the user sees it, without what differs between two databases (schema prefixes, run ids, times). */
function failure(r: CliResult, db: RerunDb): string {
  return failureLines(r, prefixes[db]);
}

describe.each(ENGINES)("%s: a re-run on an old database equals a fresh run", (engine) => {
  it("after rows were deleted, a key changed and a foreign key changed: the same tables, old ids kept", async () => {
    writeSource("old", BEFORE);
    const first = run("old", engine);
    expect(first.code, first.stderr).toBe(0);
    const idsBefore = await idMap("old", engine);
    expect(await content("old", engine, "cost")).toHaveLength(5);

    writeSource("old", AFTER);
    const rerun = run("old", engine);
    expect(rerun.code, rerun.stderr).toBe(0);
    const fresh = await runFresh(engine, AFTER);
    expect(fresh.code, fresh.stderr).toBe(0);

    for (const table of Object.keys(COLUMNS)) {
      const [o, f] = [await content("old", engine, table), await content("fresh", engine, table)];
      expect(o, table).toEqual(f);
      expect(o.length, table).toBeGreaterThan(0);
    }
    // Stable ids: every key of the first run keeps its id (the map only grows) ...
    const idsAfter = await idMap("old", engine);
    for (const row of idsBefore) expect(idsAfter).toContain(row);
    // ... and the keys a step may join are exactly those of a fresh database's map.
    const live = (await idMap("old", engine, "live")).map((r) => JSON.stringify((JSON.parse(r) as unknown[]).slice(0, 2)));
    const freshKeys = (await idMap("fresh", engine)).map((r) => JSON.stringify((JSON.parse(r) as unknown[]).slice(0, 2)));
    expect(live).toEqual(freshKeys);
  });

  it("a claim naming the visit key that left the source fails the re-run as it fails a fresh run", async () => {
    const costBefore = await content("old", engine, "cost");
    writeSource("old", STALE);
    const rerun = run("old", engine);
    const fresh = await runFresh(engine, STALE);
    expect(fresh.code).toBe(1);
    expect(failure(fresh, "fresh")).toMatch(/cost_event_id/);
    expect(fresh.stderr).toContain("in dml/cost.yaml");
    expect(rerun.code, rerun.stderr).toBe(1);
    expect(failure(rerun, "old")).toBe(failure(fresh, "fresh"));
    // Nothing half-written: the old database's cost table is still the one of the previous (good) run.
    expect(await content("old", engine, "cost")).toEqual(costBefore);
  });

  it("a key that comes back gets its old id again, and the old database still equals a fresh run", async () => {
    writeSource("old", BEFORE);
    const rerun = run("old", engine);
    expect(rerun.code, rerun.stderr).toBe(0);
    const fresh = await runFresh(engine, BEFORE);
    expect(fresh.code, fresh.stderr).toBe(0);
    for (const table of Object.keys(COLUMNS)) expect(await content("old", engine, table), table).toEqual(await content("fresh", engine, table));
    const s = engineSchemas(prefixes.old, engine);
    const [row] = await queryEngine(dirs.old, engine, `SELECT CAST(visit_occurrence_id AS INTEGER) AS id FROM ${s.cdm}.visit_occurrence WHERE visit_source_value = 'v3'`);
    expect(row).toEqual({ id: 3 });
  });

  it("after an assigning step is renamed, the keys its old name recorded no longer count as live", async () => {
    // v5 leaves the source while claim c5 still names it: only the old step name's records would keep v5 live.
    const gone: RerunSource = { ...AFTER, visits: AFTER.visits.filter((v) => !v.startsWith("v5,")) };
    const renamed = WORKFLOW.replace("  - dml: dml/visit_occurrence.yaml\n", "  - name: visit_rows\n    dml: dml/visit_occurrence.yaml\n");
    expect(renamed).not.toBe(WORKFLOW);
    try {
      writeSource("old", AFTER);
      expect(run("old", engine).code).toBe(0);
      for (const db of ["old", "fresh"] as const) writeFileSync(path.join(dirs[db], "workflow.yaml"), renamed);
      writeSource("old", gone);
      const rerun = run("old", engine);
      const fresh = await runFresh(engine, gone);
      expect(fresh.code).toBe(1);
      expect(fresh.stderr).toContain("✔ visit_rows");
      expect(failure(fresh, "fresh")).toMatch(/cost_event_id/);
      expect(rerun.code, rerun.stderr).toBe(1);
      expect(failure(rerun, "old")).toBe(failure(fresh, "fresh"));
    } finally {
      for (const db of ["old", "fresh"] as const) writeFileSync(path.join(dirs[db], "workflow.yaml"), WORKFLOW);
    }
  });

  it("a run finding the id map empty leaves out the liveness settle; a re-run settles and retires the gone keys", async () => {
    // The settle's updates of the map (not the no-ops standing for them), by the --profile of each run (first line of every statement).
    const settles = (db: RerunDb): string[] => {
      const profile = JSON.parse(readFileSync(path.join(dirs[db], "profile.json"), "utf8")) as { steps: { statements: { sql: string }[] }[] };
      return profile.steps.flatMap((st) => st.statements.map((x) => x.sql)).filter((sql) => /^UPDATE \S*omopetl_id_map SET/.test(sql) && !/ WHERE FALSE$/.test(sql));
    };
    const fresh = await runFresh(engine, BEFORE, "--profile", "profile.json");
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(settles("fresh")).toEqual([]);
    writeSource("fresh", AFTER);
    const rerun = run("fresh", engine, "--profile", "profile.json");
    expect(rerun.code, rerun.stderr).toBe(0);
    // Two updates (retire, revive) per assigned domain: person, visit_occurrence and cost.
    expect(settles("fresh")).toHaveLength(6);
    // The re-run retired the keys that left the source: the live keys are those of a fresh run of AFTER.
    const live = (await idMap("fresh", engine, "live")).map((r) => JSON.stringify((JSON.parse(r) as unknown[]).slice(0, 2)));
    const again = await runFresh(engine, AFTER, "--profile", "profile.json");
    expect(again.code, again.stderr).toBe(0);
    expect(settles("fresh")).toEqual([]);
    expect(live).toEqual((await idMap("fresh", engine)).map((r) => JSON.stringify((JSON.parse(r) as unknown[]).slice(0, 2))));
    expect(live).not.toContain(JSON.stringify(["visit_occurrence.visit_occurrence_id", "v3"]));
  });

  it("an id map made by an earlier omopetl (no live column, no key table) is migrated and then retires the gone keys", async () => {
    const s = engineSchemas(prefixes.old, engine);
    await queryEngine(dirs.old, engine, `DROP TABLE ${s.staging}.omopetl_id_map_keys`);
    await queryEngine(dirs.old, engine, `ALTER TABLE ${s.staging}.omopetl_id_map DROP COLUMN live`);
    writeSource("old", STALE);
    const rerun = run("old", engine);
    const fresh = await runFresh(engine, STALE);
    expect(fresh.code).toBe(1);
    expect(rerun.code, rerun.stderr).toBe(1);
    expect(failure(rerun, "old")).toBe(failure(fresh, "fresh"));
  });
});
