import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { dropPgSchemas, ENGINES, engineSchemas, queryEngine, type EngineName } from "../helpers/two-engines.js";
import { writeTwoEngineConfig } from "../helpers/two-engines.js";

/**
 * A wide claims extract loaded without declaring its columns (`columns: from_header`, typed overrides in
 * `column_types`), then cleaned with the functions of messy sources (the README's worked example): the same rows on
 * DuckDB and PostgreSQL, a re-run equal to a fresh run, and misuse located at compile time.
 */
const prefix = `lfh_${process.pid}_${Date.now().toString(36)}`;
let dir: string;

const CARRIER = [
  "CLM_ID,DESYNPUF_ID,CLM_FROM_DT,CLM_THRU_DT,ICD9_DGNS_CD_1,ICD9_DGNS_CD_2,LINE_NCH_PMT_AMT_1",
  "887733,00013D2EFD8E45D1,20080105,20080105,4019,V700,12.50",
  "887734,00013D2EFD8E45D1,20080212,2/14/2008,V5869,,n/a",
  "887735,00016F745862898F,20090301,20090302,25000,4011,",
].join("\n");

const load = (extra = "") =>
  `kind: load\ntarget: source.carrier\nfiles: ../data/carrier.csv\nformat: { date_format: "%Y%m%d" }\ncolumns: from_header\ncolumn_types:\n  clm_id: bigint\n  clm_from_dt: date\n${extra}`;

const CLEAN = `kind: transform
target: staging.claims_clean
mode: rebuild
from: source.carrier AS c
columns:
  clm_id: c.clm_id
  icd9: regexp_replace(c.icd9_dgns_cd_1, '^([0-9]{3})([0-9]+)$', '\\1.\\2')
  is_v_code: regexp_matches(c.icd9_dgns_cd_1, '^V[0-9]')
  from_date: c.clm_from_dt
  thru_date: parse_date(c.clm_thru_dt, '%Y%m%d', '%m/%d/%Y')
  payment: try_cast(c.line_nch_pmt_amt_1 AS float)
  patient: translate(c.desynpuf_id, 'ABCDEF', 'abcdef')
`;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "omopetl-lfh-"));
  chmodSync(dir, 0o755); // the PostgreSQL server reads the file itself, as its own user
  mkdirSync(path.join(dir, "dml"));
  mkdirSync(path.join(dir, "data"));
  writeFileSync(path.join(dir, "data/carrier.csv"), CARRIER);
  writeFileSync(path.join(dir, "workflow.yaml"), 'name: fh\ncdm_version: "5.4"\nsteps:\n  - dml: dml/carrier.yaml\n  - dml: dml/clean.yaml\n');
  writeFileSync(path.join(dir, "dml/clean.yaml"), CLEAN);
  writeTwoEngineConfig(dir, prefix);
});

afterAll(() => dropPgSchemas(dir, prefix));

const cli = (args: string[]) => runCli(args, { cwd: dir });
const query = (engine: EngineName, sql: string) => queryEngine(dir, engine, sql);

const EXPECTED = [
  { clm_id: 887733, icd9: "401.9", is_v_code: false, from_date: "2008-01-05", thru_date: "2008-01-05", payment: 12.5, patient: "00013d2efd8e45d1" },
  { clm_id: 887734, icd9: "V5869", is_v_code: true, from_date: "2008-02-12", thru_date: "2008-02-14", payment: null, patient: "00013d2efd8e45d1" },
  { clm_id: 887735, icd9: "250.00", is_v_code: false, from_date: "2009-03-01", thru_date: "2009-03-02", payment: null, patient: "00016f745862898f" },
];

describe("columns: from_header and the functions of messy sources", () => {
  const tables: Partial<Record<EngineName, unknown>> = {};
  for (const engine of ENGINES) {
    it(`${engine}: every header column loads (varchar unless typed), and the cleaned rows are the expected ones, run after run`, async () => {
      writeFileSync(path.join(dir, "dml/carrier.yaml"), load());
      const s = engineSchemas(prefix, engine);
      const read = async () => {
        const rows = await query(engine, `SELECT * FROM ${s.staging}.claims_clean ORDER BY clm_id`);
        return rows.map((r) => ({ ...r, clm_id: Number(r["clm_id"]), from_date: String(r["from_date"]).slice(0, 10), thru_date: String(r["thru_date"]).slice(0, 10) }));
      };
      const first = cli(["run", "workflow.yaml", "--target", engine]);
      expect(first.code, first.stderr).toBe(0);
      const cols = await query(engine, `SELECT * FROM ${s.source}.carrier ORDER BY clm_id`);
      expect(Object.keys(cols[0]!)).toEqual(["clm_id", "desynpuf_id", "clm_from_dt", "clm_thru_dt", "icd9_dgns_cd_1", "icd9_dgns_cd_2", "line_nch_pmt_amt_1"]);
      expect(cols[1]!["clm_thru_dt"]).toBe("2/14/2008");
      const fresh = await read();
      expect(fresh).toEqual(EXPECTED);
      const again = cli(["run", "workflow.yaml", "--target", engine]);
      expect(again.code, again.stderr).toBe(0);
      expect(await read()).toEqual(fresh);
      tables[engine] = fresh;
    });
  }

  it("both engines wrote the same table", () => {
    expect(tables.pg).toBeDefined();
    expect(tables.pg).toEqual(tables.duckdb);
  });

  it("validate: a typed column that is in no header is located with the header's closest name", () => {
    writeFileSync(path.join(dir, "dml/carrier.yaml"), load("  clm_thru_date: date\n"));
    const r = cli(["validate", "workflow.yaml"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'dml/carrier.yaml:9:3 error LOAD_HEADER_MISMATCH: the declared column "clm_thru_date" is in no header of "../data/carrier.csv" (the header has: CLM_ID, DESYNPUF_ID, CLM_FROM_DT, CLM_THRU_DT, ICD9_DGNS_CD_1, ICD9_DGNS_CD_2, LINE_NCH_PMT_AMT_1). Did you mean "CLM_THRU_DT"?',
    );
    expect(r.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  });

  it("validate: column_types without from_header, and from_header without a header to read, are located errors", () => {
    writeFileSync(path.join(dir, "dml/carrier.yaml"), "kind: load\ntarget: source.carrier\nfiles: ../data/carrier.csv\ncolumns: { clm_id: bigint }\ncolumn_types: { clm_id: bigint }\n");
    const a = cli(["validate", "workflow.yaml"]);
    expect(a.code).toBe(1);
    expect(a.stderr).toContain("dml/carrier.yaml:5:1 error COLUMN_TYPES_WITHOUT_FROM_HEADER: column_types only goes with columns: from_header.");
    writeFileSync(path.join(dir, "dml/carrier.yaml"), "kind: load\ntarget: source.carrier\nfiles: ../data/none-*.csv\ncolumns: from_header\n");
    const b = cli(["validate", "workflow.yaml"]);
    expect(b.code).toBe(1);
    expect(b.stderr).toContain("dml/carrier.yaml:4:10 error FROM_HEADER_UNREADABLE: columns: from_header needs a header to read at compile time, and no local file of the load could be read.");
  });
});
