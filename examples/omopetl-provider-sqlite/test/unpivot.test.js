/**
 * omopetl's `unpivot:` (the fixture test/fixtures/compile/unpivot of the omopetl repository) run by omopetl's CLI on
 * SQLite and on the built-in DuckDB provider: a pattern of diagnosis columns joined to an inline code map on the
 * unpivoted value, a list of amounts with a window over the value, an unpivot inside a with: sub-select, and a
 * claim's lines as two column groups over the same slots write the same rows on both (one per non-empty slot, the slot number kept), and a second run on SQLite changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixtureRun } from "./fixture-run.js";

const CLAIMS = `id,patient,claim_date,dx_1,dx_2,dx_3,paid,copay,amt_1,amt_2,amt_3
c1,p1,2020-01-01,4019,25000,,100.5,10,10,20,5
c2,p1,2020-02-01,,4019,,50,,,,
c3,p2,2020-03-01,,"",,20,20,,,
c4,p2,2020-04-01,E119,4019,V700,,,1,,3
`;

/** The written tables, ordered, with numbers as numbers so both engines' values compare. */
const QUERIES = {
  claim_diagnoses: "SELECT diagnosis_id, claim_id, slot, code, concept_id, CASE WHEN is_primary THEN 1 ELSE 0 END AS is_primary FROM staging.claim_diagnoses ORDER BY claim_id, slot",
  claim_amounts: "SELECT claim_id, slot, kind, amount, rank_in_patient FROM staging.claim_amounts ORDER BY claim_id, slot",
  patient_codes: "SELECT patient, codes, first_code FROM staging.patient_codes ORDER BY patient",
  claim_lines: "SELECT claim_id, line, code, amount FROM staging.claim_lines ORDER BY claim_id, line",
};

/** Counts and row numbers (BIGINT) come back as bigint or text; codes stay text even where they look like numbers. */
const COUNTS = new Set(["rank_in_patient", "codes"]);

async function contents(conn) {
  const out = {};
  for (const [t, sql] of Object.entries(QUERIES)) {
    out[t] = (await conn.query(sql)).map((r) => Object.entries(r).map(([k, v]) => (typeof v === "bigint" || (COUNTS.has(k) && typeof v === "string") ? Number(v) : v)));
  }
  return out;
}

describe("unpivot on SQLite", () => {
  const fixture = fixtureRun("unpivot", { "claims.csv": CLAIMS }, []);
  let sqlite;
  let duckdb;
  let first;

  beforeAll(async () => {
    await fixture.run("sq");
    await fixture.run("dk");
    sqlite = await fixture.connect("sq");
    duckdb = await fixture.connect("dk");
    first = await contents(sqlite);
  }, 120_000);

  afterAll(async () => {
    await sqlite?.close();
    await duckdb?.close();
  });

  it("writes one row per non-empty slot, keeping the slot number", () => {
    expect(first.claim_diagnoses).toEqual([
      [1, "c1", 1, "4019", 320128, 1],
      [2, "c1", 2, "25000", 201826, 0],
      [3, "c2", 2, "4019", 320128, 0],
      [4, "c4", 1, "E119", 201826, 1],
      [5, "c4", 2, "4019", 320128, 0],
      [6, "c4", 3, "V700", 0, 0],
    ]);
    expect(first.claim_amounts).toEqual([
      ["c1", 1, "paid", 100.5, 1],
      ["c1", 2, "copay", 10, 3],
      ["c2", 1, "paid", 50, 2],
      ["c3", 1, "paid", 20, 1],
      ["c3", 2, "copay", 20, 2],
    ]);
    // Two column groups over the same slots: a line is skipped only when its code and its amount are both empty.
    expect(first.claim_lines).toEqual([
      ["c1", 1, "4019", 10],
      ["c1", 2, "25000", 20],
      ["c1", 3, null, 5],
      ["c2", 2, "4019", null],
      ["c4", 1, "E119", 1],
      ["c4", 2, "4019", null],
      ["c4", 3, "V700", 3],
    ]);
    expect(first.patient_codes).toEqual([
      ["p1", 2, "25000"],
      ["p2", 3, "4019"],
    ]);
  });

  it("writes what DuckDB writes", async () => {
    expect(await contents(duckdb)).toEqual(first);
  });

  it("a second run changes nothing", async () => {
    await sqlite.close();
    await fixture.run("sq");
    sqlite = await fixture.connect("sq");
    expect(await contents(sqlite)).toEqual(first);
  }, 60_000);
});
