import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { duckdbProvider } from "../../src/providers/duckdb/index.js";
import { postgresProvider } from "../../src/providers/postgres/index.js";
import type { Connection } from "../../src/providers/provider-api.js";
import { runCli } from "../helpers/cli.js";
import { icuDatabaseUrl, NO_ICU_ON_PGLITE } from "../helpers/icu-database.js";
import { specDir } from "../helpers/paths.js";
import { ON_PGLITE } from "../helpers/postgres-server.js";

/**
 * A workflow that filters, groups and picks rows by text order gives the same tables on DuckDB and on a PostgreSQL
 * database whose collation is ICU en-US (where PostgreSQL alone would sort 'a' before 'B', '_x' before 'a1' and
 * 'é' next to 'e'). The expected rows are computed here in UTF-8 byte order, independently of both engines; before
 * text operands were collated, PostgreSQL's rows differed in every one of the three steps.
 */
const prefix = `textorder_${process.pid}_${Date.now().toString(36)}`;
let dir: string;
let pgUrl: string;

const CODES: { id: number; grp: string; code: string }[] = [
  ["a1", "B2", "b3", "_x"],
  ["Z9", "é1", "e2", "A1"],
  ["ab", "aB", "Ab", "AB"],
  ["M", "m", "N_", "N1"],
].flatMap((codes, g) => codes.map((code, i) => ({ id: g * 10 + i, grp: `g${g}`, code })));

const bytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
const min = (xs: string[]): string => [...xs].sort(bytes)[0]!;
const max = (xs: string[]): string => [...xs].sort(bytes).at(-1)!;

function expectedRange(): { id: number; code: string }[] {
  return CODES.filter((c) => bytes(c.code, "B") >= 0 && bytes(c.code, "b") <= 0).map(({ id, code }) => ({ id, code }));
}

function expectedStats(): Record<string, unknown>[] {
  const groups = [...new Set(CODES.map((c) => c.grp))];
  return groups.map((grp) => {
    const codes = CODES.filter((c) => c.grp === grp).map((c) => c.code);
    return {
      grp,
      lo: min(codes),
      hi: max(codes),
      top: max([min(codes), "M"]),
      bottom: min([max(codes), "M"]),
      below: codes.filter((c) => bytes(c, "a") < 0).length,
      first_code: min(codes),
    };
  });
}

const LOAD = "kind: load\ntarget: source.codes\nfiles: ../data/codes.csv\nkey: [id]\ncolumns: { id: integer, grp: varchar, code: varchar }\n";
const RANGE = [
  "kind: transform",
  "target: staging.code_range",
  "mode: rebuild",
  "from: source.codes AS c",
  "where: c.code BETWEEN 'B' AND 'b'",
  "columns: { id: c.id, code: c.code }",
  "",
].join("\n");
const STATS = [
  "kind: transform",
  "target: staging.code_stats",
  "mode: rebuild",
  "from: source.codes AS c",
  "group_by: [c.grp]",
  "columns:",
  "  grp: c.grp",
  "  lo: min(c.code)",
  "  hi: max(c.code)",
  "  top: greatest(min(c.code), 'M')",
  "  bottom: least(max(c.code), 'M')",
  "  below: \"sum(CASE WHEN c.code < 'a' THEN 1 ELSE 0 END)\"",
  "",
].join("\n");
const FIRST = [
  "kind: transform",
  "target: staging.first_code",
  "mode: rebuild",
  "from: source.codes AS c",
  "qualify: row_number() OVER (PARTITION BY c.grp ORDER BY c.code) = 1",
  "columns: { grp: c.grp, first_code: c.code }",
  "",
].join("\n");

type Engine = "duckdb" | "pg";
const ENGINES: Engine[] = ["duckdb", "pg"];
const schemas = (engine: Engine) =>
  engine === "duckdb" ? { source: "src", staging: "stage", cdm: "cdm", vocab: "cdm" } : { source: `${prefix}_src`, staging: `${prefix}_stage`, cdm: `${prefix}_cdm`, vocab: `${prefix}_cdm` };

async function query(engine: Engine, sql: string): Promise<Record<string, unknown>[]> {
  const conn: Connection =
    engine === "duckdb"
      ? await duckdbProvider.connect!({ provider: "duckdb", path: path.join(dir, "omop.duckdb") })
      : await postgresProvider.connect!({ provider: "postgres", url: pgUrl, retries: 0 });
  try {
    return await conn.query(sql);
  } finally {
    await conn.close();
  }
}

if (ON_PGLITE) {
  it.skip(`PGlite: ${NO_ICU_ON_PGLITE}`, () => undefined);
} else {
  beforeAll(async () => {
    pgUrl = await icuDatabaseUrl();
    dir = mkdtempSync(path.join(os.tmpdir(), "omopetl-textorder-"));
    chmodSync(dir, 0o755); // the PostgreSQL server reads the files itself
    mkdirSync(path.join(dir, "dml"));
    mkdirSync(path.join(dir, "data"));
    writeFileSync(path.join(dir, "data/codes.csv"), ["id,grp,code", ...CODES.map((c) => `${c.id},${c.grp},${c.code}`), ""].join("\n"));
    chmodSync(path.join(dir, "data"), 0o755);
    writeFileSync(
      path.join(dir, "workflow.yaml"),
      'name: text_order\ncdm_version: "5.4"\nsteps:\n  - dml: dml/codes.yaml\n  - dml: dml/code_range.yaml\n  - dml: dml/code_stats.yaml\n  - dml: dml/first_code.yaml\n',
    );
    writeFileSync(path.join(dir, "dml/codes.yaml"), LOAD);
    writeFileSync(path.join(dir, "dml/code_range.yaml"), RANGE);
    writeFileSync(path.join(dir, "dml/code_stats.yaml"), STATS);
    writeFileSync(path.join(dir, "dml/first_code.yaml"), FIRST);
    // Two duplicated keys: the message names the smaller, 'B' in byte order ('b' by en-US).
    writeFileSync(path.join(dir, "data/dup_codes.csv"), "code\nb\nB\nb\nB\nc\n");
    writeFileSync(path.join(dir, "dml/dup_codes.yaml"), "kind: load\ntarget: source.dup_codes\nfiles: ../data/dup_codes.csv\nkey: [code]\ncolumns: { code: varchar }\n");
    writeFileSync(path.join(dir, "dup.yaml"), 'name: text_order_dup\ncdm_version: "5.4"\nsteps:\n  - dml: dml/dup_codes.yaml\n');
    const targets = {
      duckdb: { provider: "duckdb", path: "./omop.duckdb", schemas: schemas("duckdb") },
      pg: { provider: "postgres", url: pgUrl, retries: 0, schemas: schemas("pg") },
    };
    writeFileSync(path.join(dir, "omopetl.config.yaml"), `spec: { dir: ${JSON.stringify(specDir)} }\ntargets: ${JSON.stringify(targets)}\n`);
  });

  afterAll(async () => {
    if (pgUrl) await query("pg", ["src", "stage", "cdm"].map((s) => `DROP SCHEMA IF EXISTS "${prefix}_${s}" CASCADE`).join("; "));
  });

  describe("text order in a workflow: DuckDB and an ICU-collated PostgreSQL write the same tables", () => {
    const got: Partial<Record<Engine, unknown>> = {};
    for (const engine of ENGINES) {
      it(`${engine}: where BETWEEN, min/max, greatest/least, < and qualify's ORDER BY follow UTF-8 byte order`, async () => {
        const r = runCli(["run", "workflow.yaml", "--target", engine, "--strict"], { cwd: dir });
        expect(r.code, r.stderr).toBe(0);
        const s = schemas(engine).staging;
        const range = await query(engine, `SELECT id, code FROM ${s}.code_range ORDER BY id`);
        const stats = await query(engine, `SELECT grp, lo, hi, top, bottom, CAST(below AS INTEGER) AS below FROM ${s}.code_stats ORDER BY grp`);
        const first = await query(engine, `SELECT grp, first_code FROM ${s}.first_code ORDER BY grp`);
        const firstOf = new Map(first.map((f) => [f["grp"], f["first_code"]]));
        const combined = stats.map((row) => ({ ...row, first_code: firstOf.get(row["grp"]) }));
        got[engine] = { range, combined };
        expect(range).toEqual(expectedRange());
        expect(combined).toEqual(expectedStats());
      });
    }

    it("both engines wrote the same rows", () => {
      expect(got.duckdb).toBeDefined();
      expect(got.pg).toEqual(got.duckdb);
    });

    it("a load repeating two keys names the smaller in byte order on both engines", () => {
      for (const engine of ENGINES) {
        const r = runCli(["run", "dup.yaml", "--target", engine], { cwd: dir });
        expect(r.code, r.stderr).toBe(1);
        expect(r.stderr, engine).toContain(`duplicate key in ${schemas(engine).source}.dup_codes: code = B occurs 2 times`);
      }
    });
  });
}
