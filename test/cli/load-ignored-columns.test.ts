import { chmodSync, cpSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { fixturesDir } from "../helpers/paths.js";
import { dropPgSchemas, ENGINES, engineSchemas, queryEngine, writeTwoEngineConfig, type EngineName } from "../helpers/two-engines.js";

/**
 * Header columns a load does not take (issue 13: "say what happens to header columns that are not declared"): they
 * are ignored, and listed once per load as a note (a misspelt column would otherwise vanish unseen), by `validate`,
 * `compile` and `run` for the files compile time can read. Not a warning: `--strict` still passes. Files of a glob
 * with the same ignored columns share one note; a CDM load names its table. Both engines load the declared columns
 * only, with the same rows. Fixture: test/fixtures/loads/ignored.
 */
const prefix = `lign_${process.pid}_${Date.now().toString(36)}`;
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "omopetl-lign-"));
  cpSync(path.join(fixturesDir, "loads/ignored"), dir, { recursive: true });
  chmodSync(dir, 0o755); // the PostgreSQL server reads the files itself, as its own user
  chmodSync(path.join(dir, "data"), 0o755);
  writeTwoEngineConfig(dir, prefix);
});

afterAll(() => dropPgSchemas(dir, prefix));

const cli = (args: string[]) => runCli(args, { cwd: dir });

const NOTES = [
  "note: dml/patients.yaml: patients.csv: 3 header columns not declared, ignored: A, B, C",
  "note: dml/visits.yaml: visits_1.csv and 1 more file: 1 header column not declared, ignored: Extra",
  "note: dml/vocabulary.yaml: vocabulary.csv: 1 header column not in CDM table vocabulary, ignored: notes",
];
const notesOf = (stderr: string): string[] => stderr.split("\n").filter((l) => l.startsWith("note: "));

describe("header columns a load does not take are ignored and listed", () => {
  it("validate --strict lists one note per load (and group of files), and passes", () => {
    const r = cli(["validate", "workflow.yaml", "--strict"]);
    expect(r.code, r.stderr).toBe(0);
    expect(notesOf(r.stderr)).toEqual(NOTES);
  });

  const loaded: Partial<Record<EngineName, unknown>> = {};
  for (const engine of ENGINES) {
    it(`${engine}: run prints the notes and loads the declared columns only`, async () => {
      const r = cli(["run", "workflow.yaml", "--target", engine]);
      expect(r.code, r.stderr).toBe(0);
      expect(notesOf(r.stderr)).toEqual(NOTES);
      const s = engineSchemas(prefix, engine);
      const columns = await queryEngine(
        dir,
        engine,
        `SELECT table_name AS t, column_name AS c FROM information_schema.columns WHERE table_schema = '${s.source}' ORDER BY table_name, ordinal_position`,
      );
      expect(columns).toEqual([
        { t: "patients", c: "id" },
        { t: "patients", c: "birthdate" },
        { t: "visits", c: "id" },
        { t: "visits", c: "patient" },
      ]);
      const rows = {
        patients: await queryEngine(dir, engine, `SELECT id, CAST(birthdate AS VARCHAR) AS birthdate FROM ${s.source}.patients ORDER BY id`),
        visits: await queryEngine(dir, engine, `SELECT id, patient FROM ${s.source}.visits ORDER BY id`),
        vocabulary: await queryEngine(dir, engine, `SELECT vocabulary_id, vocabulary_name, vocabulary_concept_id FROM ${s.vocab}.vocabulary`),
      };
      expect(rows).toEqual({
        patients: [
          { id: "p1", birthdate: "2000-01-01" },
          { id: "p2", birthdate: "1999-12-31" },
        ],
        visits: [
          { id: 1, patient: "p1" },
          { id: 2, patient: "p2" },
          { id: 3, patient: "p1" },
        ],
        vocabulary: [{ vocabulary_id: "Local", vocabulary_name: "Local codes", vocabulary_concept_id: 0 }],
      });
      loaded[engine] = rows;
    });
  }

  it("the same rows on both engines", () => {
    expect(loaded.duckdb).toBeDefined();
    expect(loaded.pg).toEqual(loaded.duckdb);
  });
});
