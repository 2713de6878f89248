import { chmodSync, cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { fixturesDir } from "../helpers/paths.js";
import { dropPgSchemas, ENGINES, engineSchemas, queryEngine, writeTwoEngineConfig, type EngineName } from "../helpers/two-engines.js";

/**
 * An empty field (or a `nulls` value) in a NOT NULL column of a CDM or vocabulary load: it failed with the engine's
 * own error naming neither file nor row (`NOT NULL constraint failed: vocabulary.vocabulary_id`, `null value in
 * column "vocabulary_id" ... violates not-null constraint`), and failed a load with `on_error: reject` as a whole.
 * Now it is a bad value: LOAD_BAD_VALUE with the file, the row and the column, the same text on both engines, or a
 * rejected row. Fixture: test/fixtures/loads/required (vocabulary.csv: row 2's name is the nulls value NA, row 3
 * has no vocabulary_id).
 */
const prefix = `lreq_${process.pid}_${Date.now().toString(36)}`;
let dir: string;
const dml = () => path.join(dir, "dml/vocabulary.yaml");

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "omopetl-lreq-"));
  cpSync(path.join(fixturesDir, "loads/required"), dir, { recursive: true });
  chmodSync(dir, 0o755); // the PostgreSQL server reads the files itself, as its own user
  chmodSync(path.join(dir, "data"), 0o755);
  writeTwoEngineConfig(dir, prefix);
});

afterAll(() => dropPgSchemas(dir, prefix));

const vocab = (engine: EngineName) => engineSchemas(prefix, engine).vocab;
const REASON = "is empty (or one of the load's nulls), but the column is NOT NULL";

describe("a NULL in a NOT NULL column of a load is a located bad value", () => {
  const messages: string[] = [];
  for (const engine of ENGINES) {
    it(`${engine}: LOAD_BAD_VALUE names the file, the row and the column; nothing is written`, async () => {
      const r = runCli(["run", "workflow.yaml", "--target", engine], { cwd: dir });
      expect(r.code).toBe(1);
      const line = /(LOAD_BAD_VALUE: .*?)( \[[0-9A-Z]{5}\])? \(attempt/.exec(r.stderr)?.[1];
      expect(line).toContain(`${path.join(dir, "data/vocabulary.csv")} row 2 (data rows counted from 1, after the header), column vocabulary_name: "NA" ${REASON}.`);
      expect(r.stderr).not.toMatch(/not-null constraint|NOT NULL constraint failed/);
      expect(await queryEngine(dir, engine, `SELECT CAST(count(*) AS INTEGER) AS n FROM ${vocab(engine)}.vocabulary`)).toEqual([{ n: 0 }]);
      messages.push(line!);
    });
  }

  it("the same message on both engines", () => {
    expect(messages).toHaveLength(2);
    expect(messages[1]).toBe(messages[0]);
  });

  it("with on_error: reject, both engines divert the same rows and load the others", async () => {
    writeFileSync(dml(), `${readFileSync(dml(), "utf8")}on_error: reject\n`);
    const seen: unknown[] = [];
    for (const engine of ENGINES) {
      const r = runCli(["run", "workflow.yaml", "--target", engine], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`2 rows rejected -> ${vocab(engine)}.vocabulary_rejects`);
      const loaded = await queryEngine(dir, engine, `SELECT vocabulary_id, vocabulary_name FROM ${vocab(engine)}.vocabulary ORDER BY vocabulary_id`);
      expect(loaded).toEqual([
        { vocabulary_id: "Local", vocabulary_name: "Local codes" },
        { vocabulary_id: "Other", vocabulary_name: "Other codes" },
      ]);
      const rejects = await queryEngine(dir, engine, `SELECT CAST("row" AS INTEGER) AS "row", "column", value, reason FROM ${vocab(engine)}.vocabulary_rejects ORDER BY 1, 2`);
      expect(rejects).toEqual([
        { row: 2, column: "vocabulary_name", value: "NA", reason: REASON },
        { row: 3, column: "vocabulary_id", value: null, reason: REASON },
      ]);
      seen.push({ loaded, rejects });
    }
    expect(seen[1]).toEqual(seen[0]);
  });
});
