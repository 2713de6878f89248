/**
 * The start of the Spark SQL generator (src/providers/spark/spark-generator.ts, not a registered provider yet): its
 * quoting, types and DDL rendered, and executed on the real Spark Thrift server with Delta (scripts/services.sh up
 * spark) where one answers; with CI set a missing server is a failure.
 */
import { randomBytes } from "node:crypto";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TableDef } from "../../src/core/model/plan.js";
import type { Connection, RenderContext } from "../../src/providers/provider-api.js";
import { queryExistingTables } from "../../src/providers/provider-api.js";
import { connectSpark } from "../../src/providers/spark/index.js";
import { SparkGenerator, toSparkPattern } from "../../src/providers/spark/spark-generator.js";
import { javaRegex, javaReplacement } from "../../src/providers/spark/spark-regex.js";
import { isCi } from "../setup/postgres.js";
import { cdm54TableDefs } from "./helpers/cdm-tables.js";

const host = process.env["OMOPETL_TEST_SPARK_HOST"] ?? "127.0.0.1";
const port = Number(process.env["OMOPETL_TEST_SPARK_PORT"] ?? 10000);
const sparkUp = await new Promise<boolean>((resolve) => {
  const s = net.connect({ host, port });
  const done = (ok: boolean) => {
    s.destroy();
    resolve(ok);
  };
  s.setTimeout(2000, () => done(false));
  s.once("connect", () => done(true));
  s.once("error", () => done(false));
});

const gen = new SparkGenerator();
const all = cdm54TableDefs();
const pick = (names: string[]): TableDef[] => names.map((n) => all.find((t) => t.name === n)!);
const HOSTILE = ["it's", "back\\slash\\", "\\'; DROP TABLE x; --", "two''quotes", "new\nline", "ü €", "`tick`"];

describe("Spark generator: rendering", () => {
  it("quotes identifiers with backticks (inner backticks doubled) and escapes string literals with backslashes", () => {
    expect(gen.ident("person")).toBe("person");
    expect(gen.ident("Person")).toBe("`Person`");
    expect(gen.ident("select")).toBe("`select`");
    expect(gen.ident("a`b")).toBe("`a``b`");
    expect(gen.stringLiteral("it's")).toBe("'it\\'s'");
    expect(gen.stringLiteral("a\\b")).toBe("'a\\\\b'");
    expect(() => gen.stringLiteral("a\0b")).toThrow(/NUL/);
  });

  it("turns strftime formats into Spark datetime patterns, quoting literal letters; unknown directives are named", () => {
    expect(toSparkPattern("%Y%m%d")).toEqual({ pattern: "yyyyMMdd" });
    expect(toSparkPattern("%d/%m/%Y %H:%M:%S.%f")).toEqual({ pattern: "dd/MM/yyyy HH:mm:ss.SSSSSS" });
    expect(toSparkPattern("%Y-%m-%dT%H at it's")).toEqual({ pattern: "yyyy-MM-dd'T'HH' at it''s'" });
    expect(toSparkPattern("%Y%j")).toEqual({ unsupported: "%j" });
  });

  it("spells the regex flavour for Java: DOTALL, $ as the end of the text, sets escaped, replacement groups as $n", () => {
    // The values these compute are compared with DuckDB's and PostgreSQL's in regex-flavour.test.ts.
    expect(javaRegex("^a.b$")).toBe("(?s)^a.b\\z");
    expect(javaRegex("[]a&&b-][^-z][0-9]\\$")).toBe("(?s)[\\]a\\&\\&b\\-][^\\-z][0-9]\\$");
    expect(javaReplacement("\\3-\\1$2\\\\")).toBe("$3-$1\\$\\2\\\\");
    expect(() => javaRegex("\\d")).toThrow(/INVALID_PLAN/);
    const s = { k: "lit", value: "a1", type: "string" } as const;
    const lit = (value: string) => ({ k: "lit", value, type: "string" }) as const;
    expect(gen.expr({ k: "fn", name: "regexp_extract", args: [s, lit("[0-9]$")], type: "string" } as never)).toBe(
      "(CASE WHEN 'a1' RLIKE '(?s)[0-9]\\\\z' THEN regexp_extract('a1', '(?s)[0-9]\\\\z', 0) END)",
    );
  });

  it("refuses a load with file_columns before rendering it: the provider does not declare fileNameColumns", () => {
    const body = {
      kind: "load",
      target: { schema: "source", name: "beneficiary" },
      files: ["/data/DE1_0_2008_Beneficiary.csv"],
      format: { type: "csv", header: true, delimiter: ",", quote: '"', nullValues: [] },
      columns: [{ name: "desynpuf_id", type: { kind: "varchar" }, required: false }],
      fileColumns: [{ name: "year", pattern: "_([0-9]{4})_" }],
      mode: "replace",
    } as const;
    const ctx = { schemas: {}, tables: [] } as unknown as RenderContext;
    expect(() => gen.renderStep({ name: "beneficiary", body } as never, ctx)).toThrow(
      "error UNSUPPORTED_FEATURE: the spark provider does not support file_columns in loads: source.beneficiary. Load with the duckdb or postgres provider, or add the file's name in a transform.",
    );
  });

  it("renders CDM tables as Delta tables without key constraints, deterministically; rebuild is CREATE OR REPLACE", () => {
    const ctx: RenderContext = { tables: all, schemas: { cdm: "cdm", vocab: "vocab" }, idMap: { schema: "cdm", name: "omopetl_id_map" } };
    const tables = pick(["person", "observation_period"]);
    const ddl = gen.renderDdl(tables, "tables", ctx);
    expect(ddl).toEqual(gen.renderDdl(tables, "tables", ctx));
    expect(ddl[0]).toBe("CREATE SCHEMA IF NOT EXISTS cdm");
    const person = ddl.find((s) => s.startsWith("CREATE TABLE IF NOT EXISTS cdm.person ("))!;
    expect(person).toMatch(/\n\)\sUSING DELTA$/);
    expect(person).toContain("person_id INT NOT NULL");
    expect(person).toContain("birth_datetime TIMESTAMP_NTZ");
    expect(person).toContain("person_source_value STRING");
    expect(ddl.join("\n")).not.toMatch(/PRIMARY KEY|FOREIGN KEY/);
    const constraints = gen.renderDdl(tables, "constraints", ctx);
    expect(constraints).toHaveLength(1);
    expect(constraints[0]).toMatch(/^-- .*primary key \(person_id\) not declared[^]*\nSELECT 1 AS omopetl_note WHERE FALSE$/);
  });
});

describe.skipIf(!(sparkUp || isCi()))(`Spark generator on a real Thrift server at ${host}:${port} (skipped: no Spark Thrift server answers there; start one with scripts/services.sh up spark)`, () => {
  const schema = `omopetl_gen_${randomBytes(4).toString("hex")}`;
  let conn: Connection;
  beforeAll(async () => {
    conn = await connectSpark({ provider: "spark", host, port, retries: 0 });
  }, 120_000);
  afterAll(async () => {
    await conn?.execute(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await conn?.close();
  }, 120_000);

  it("string literals round-trip hostile text exactly; identifiers with backticks and capitals name one column", async () => {
    const cols = HOSTILE.map((s, i) => `${gen.stringLiteral(s)} AS ${gen.ident(`C${i}\`x`)}`).join(", ");
    const [row] = await conn.query(`SELECT ${cols}`);
    expect(row).toEqual(Object.fromEntries(HOSTILE.map((s, i) => [`C${i}\`x`, s])));
  }, 60_000);

  it("parses dates and timestamps with the translated patterns", async () => {
    const d = (gen as unknown as { renderParseDate(s: string, f: string): string }).renderParseDate("'20200229'", "%Y%m%d");
    const t = (gen as unknown as { renderParseTimestamp(s: string, f: string): string }).renderParseTimestamp("'29/02/2020 23:59:58'", "%d/%m/%Y %H:%M:%S");
    expect(await conn.query(`SELECT ${d} AS d, ${t} AS t`)).toEqual([{ d: "2020-02-29", t: "2020-02-29 23:59:58" }]);
  }, 60_000);

  it("the DDL of CDM tables executes twice (idempotent) as Delta tables, and a rebuild empties a table atomically", async () => {
    const ctx: RenderContext = { tables: all, schemas: { cdm: schema, vocab: schema }, idMap: { schema: "cdm", name: "omopetl_id_map" } };
    const tables = pick(["person", "observation_period"]);
    for (let round = 0; round < 2; round++) for (const sql of gen.renderDdl(tables, "tables", ctx)) await conn.execute(sql);
    for (const sql of gen.renderDdl(tables, "constraints", ctx)) await conn.execute(sql);
    const [detail] = await conn.query<{ format: string }>(`DESCRIBE DETAIL ${schema}.person`);
    expect(detail?.format).toBe("delta");
    const cols = await conn.query<{ col_name: string; data_type: string }>(`DESCRIBE TABLE ${schema}.person`);
    expect(cols.slice(0, 3).map((c) => [c.col_name, c.data_type])).toEqual([
      ["person_id", "int"],
      ["gender_concept_id", "int"],
      ["year_of_birth", "int"],
    ]);
    await conn.execute(`INSERT INTO ${schema}.observation_period VALUES (1, 1, DATE'2020-01-01', DATE'2020-12-31', 44814724)`);
    expect(await conn.query(`SELECT count(*) AS n FROM ${schema}.observation_period`)).toEqual([{ n: "1" }]);
    const rebuild = (gen as unknown as { renderRebuildTable(d: TableDef, c: RenderContext): string[] }).renderRebuildTable(pick(["observation_period"])[0]!, ctx);
    for (const sql of rebuild) await conn.execute(sql);
    expect(await conn.query(`SELECT count(*) AS n FROM ${schema}.observation_period`)).toEqual([{ n: "0" }]);
  }, 240_000);

  it("lists which tables exist by SHOW SCHEMAS and SHOW TABLES: missing schemas and tables left out, temporary views too", async () => {
    const ctx: RenderContext = { tables: all, schemas: { cdm: schema, vocab: `${schema}_nosuch` }, idMap: { schema: "cdm", name: "omopetl_id_map" } };
    await conn.execute(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    for (const t of ["person", "person_x"]) await conn.execute(`CREATE TABLE IF NOT EXISTS ${schema}.${t} (a INT) USING DELTA`);
    // One session, so the temporary view is visible to the listing (SHOW TABLES lists it under namespace '').
    const one = await connectSpark({ provider: "spark", host, port, retries: 0, poolSize: 1 });
    try {
      await one.execute("CREATE OR REPLACE TEMPORARY VIEW death AS SELECT 1 AS a");
      const query = gen.renderExistingTables(
        [
          { schema: "cdm", name: "Person" },
          { schema: "cdm", name: "death" },
          { schema: "cdm", name: "person_x" },
          { schema: "vocab", name: "concept" },
        ],
        ctx,
      );
      const rows = await queryExistingTables(one, query);
      expect(rows.map((r) => `${r.schema_name}.${r.table_name}`).sort()).toEqual([`${schema}.person`, `${schema}.person_x`]);
    } finally {
      await one.close();
    }
    expect(() => gen.renderExistingTables([{ schema: "cdm", name: "per son" }], ctx)).toThrow(/INVALID_IDENTIFIER/);
  }, 120_000);
});
