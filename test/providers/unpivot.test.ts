/**
 * `unpivot:`: the golden fixture compile/unpivot is compiled against a small claims file and run on DuckDB and on the
 * real PostgreSQL, twice: a pattern of diagnosis columns (dx_{1..3}) joined to an inline code map on the unpivoted
 * value, a list of amounts (paid, copay) with a window over the value, an unpivot inside a with: sub-select, and two
 * column groups over the same slots (a line's code and amount: a line is skipped only when both are empty) give
 * exactly the expected rows, the same on both engines and on a re-run; the empty values (NULL, '') are skipped and
 * counted by the row accounting.
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { TransformBody } from "../../src/core/model/plan.js";
import { fixturesDir } from "../helpers/paths.js";
import type { EngineName } from "./helpers/engines.js";
import { fixtureOnEngine } from "./helpers/fixture-on-engine.js";

const FIXTURE = path.join(fixturesDir, "compile/unpivot");

/**
 * c1: two codes and a gap, three line amounts; c2: one code, no copay, no line amount; c3: no code at all (one quoted
 * empty), no line amount; c4: three codes, no paid/copay, line amounts 1 and 3.
 */
const CLAIMS = `id,patient,claim_date,dx_1,dx_2,dx_3,paid,copay,amt_1,amt_2,amt_3
c1,p1,2020-01-01,4019,25000,,100.5,10,10,20,5
c2,p1,2020-02-01,,4019,,50,,,,
c3,p2,2020-03-01,,"",,20,20,,,
c4,p2,2020-04-01,E119,4019,V700,,,1,,3
`;

/** Text columns stay text (codes look like numbers); numbers come back as bigint, number or numeric text. */
const TEXT = new Set(["claim_id", "patient", "code", "first_code", "kind"]);
const normal = (k: string, v: unknown): unknown => (!TEXT.has(k) && (typeof v === "bigint" || (typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v))) ? Number(v) : v);

/** Surrogate ids over (claim, slot), assigned in byte order of the key: the same on both engines and on a re-run. */
const DIAGNOSES = [
  { diagnosis_id: 1, claim_id: "c1", slot: 1, code: "4019", concept_id: 320128, is_primary: true },
  { diagnosis_id: 2, claim_id: "c1", slot: 2, code: "25000", concept_id: 201826, is_primary: false },
  { diagnosis_id: 3, claim_id: "c2", slot: 2, code: "4019", concept_id: 320128, is_primary: false },
  { diagnosis_id: 4, claim_id: "c4", slot: 1, code: "E119", concept_id: 201826, is_primary: true },
  { diagnosis_id: 5, claim_id: "c4", slot: 2, code: "4019", concept_id: 320128, is_primary: false },
  { diagnosis_id: 6, claim_id: "c4", slot: 3, code: "V700", concept_id: 0, is_primary: false },
];
/** p2's two amounts of 20 tie: the key (claim, slot) breaks the tie, paid (slot 1) first. */
const AMOUNTS = [
  { claim_id: "c1", slot: 1, kind: "paid", amount: 100.5, rank_in_patient: 1 },
  { claim_id: "c1", slot: 2, kind: "copay", amount: 10, rank_in_patient: 3 },
  { claim_id: "c2", slot: 1, kind: "paid", amount: 50, rank_in_patient: 2 },
  { claim_id: "c3", slot: 1, kind: "paid", amount: 20, rank_in_patient: 1 },
  { claim_id: "c3", slot: 2, kind: "copay", amount: 20, rank_in_patient: 2 },
];
/** A line is kept when its code or its amount is there (c1's third line: an amount only; c2's second: a code only). */
const LINES = [
  { claim_id: "c1", line: 1, code: "4019", amount: 10 },
  { claim_id: "c1", line: 2, code: "25000", amount: 20 },
  { claim_id: "c1", line: 3, code: null, amount: 5 },
  { claim_id: "c2", line: 2, code: "4019", amount: null },
  { claim_id: "c4", line: 1, code: "E119", amount: 1 },
  { claim_id: "c4", line: 2, code: "4019", amount: null },
  { claim_id: "c4", line: 3, code: "V700", amount: 3 },
];
const CODES = [
  { patient: "p1", codes: 2, first_code: "25000" },
  { patient: "p2", codes: 3, first_code: "4019" },
];

describe.each(["duckdb", "postgres"] as EngineName[])("%s runs unpivot", (engineName) => {
  const f = fixtureOnEngine(engineName, "unpivot", FIXTURE, { "claims.csv": CLAIMS }, normal);
  const table = (name: string): string => f.staging(name);
  const rows = (sql: string) => f.rows(sql);
  const runAll = () => f.runAll();

  it("writes one row per non-empty slot, keeping the slot number, and re-runs to the same rows", async () => {
    const read = async () => [
      await rows(`SELECT diagnosis_id, claim_id, slot, code, concept_id, is_primary FROM ${table("claim_diagnoses")} ORDER BY claim_id, slot`),
      await rows(`SELECT claim_id, slot, kind, amount, rank_in_patient FROM ${table("claim_amounts")} ORDER BY claim_id, slot`),
      await rows(`SELECT patient, codes, first_code FROM ${table("patient_codes")} ORDER BY patient`),
      await rows(`SELECT claim_id, line, code, amount FROM ${table("claim_lines")} ORDER BY claim_id, line`),
    ];
    const expected = { claim_diagnoses: 6, claim_amounts: 5, patient_codes: 2, claim_lines: 7 };
    expect(await runAll()).toMatchObject(expected);
    const first = await read();
    expect(first).toEqual([DIAGNOSES, AMOUNTS, CODES, LINES]);
    expect(await runAll()).toMatchObject(expected);
    expect(await read()).toEqual(first);
  });

  it("counts the skipped empty values in the row accounting", async () => {
    const g = f.engine.provider.generator;
    const step = (name: string) => f.plan.steps.find((s) => s.name === name)!.body as TransformBody;
    const q = g.renderRowAccounting!(step("claim_diagnoses"), f.ctx)!;
    const [counts] = await rows(q.sql);
    // 4 claims read, 12 slots after the join on dx_{1..3} (and the left join, which adds none), 6 not empty.
    expect(q.counts.map((c) => c.reason)).toEqual([
      "rows read",
      "several matches in unpivot dx, left join with.code_map m",
      "empty value in unpivot dx (slot skipped)",
    ]);
    expect(Object.values(counts!)).toEqual([4, 12, 6]);
    const amounts = g.renderRowAccounting!(step("claim_amounts"), f.ctx)!;
    const [a] = await rows(amounts.sql);
    // 8 slots, 5 amounts not empty (c2's copay and c4's two are NULL), all 5 above zero; then the window's select.
    expect(amounts.counts.map((c) => c.reason)).toEqual([
      "rows read",
      "several matches in unpivot a",
      "empty value in unpivot a (slot skipped)",
      "where a.value > 0",
    ]);
    expect(Object.values(a!)).toEqual([4, 8, 5, 5]);
  });
});
