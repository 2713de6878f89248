/**
 * Pure generation: quoting and escaping, errors instead of silently different SQL, determinism, helpers.
 */
import { describe, expect, it } from "vitest";
import { OmopetlError } from "../../src/core/diagnostics/diagnostic.js";
import type { Expr } from "../../src/core/expr/ast.js";
import type { BaseSqlGenerator } from "../../src/providers/base/base-generator.js";
import { globToRegex, localPath, uriScheme } from "../../src/providers/base/file-patterns.js";
import { objectName } from "../../src/providers/base/plan-helpers.js";
import { toPostgresTemplate } from "../../src/providers/base/strftime.js";
import { DuckDbGenerator } from "../../src/providers/duckdb/index.js";
import { PostgresGenerator } from "../../src/providers/postgres/index.js";
import { isTransientPostgresError } from "../../src/providers/postgres/index.js";
import { renderContextFromPlan, SqlExecutionError, UnsupportedFeatureError } from "../../src/providers/provider-api.js";
import * as b from "./helpers/plan-builders.js";

const duck = new DuckDbGenerator();
const pg = new PostgresGenerator();
const both: [string, BaseSqlGenerator][] = [
  ["duckdb", duck],
  ["postgres", pg],
];
const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    return e instanceof OmopetlError ? e.diagnostic.code : `not an OmopetlError: ${String(e)}`;
  }
  return undefined;
};

const SCHEMAS = { source: "src", staging: "stage", cdm: "cdm" };
const PATIENTS = b.tableDef("source", "patients", [b.column("id", b.varchar()), b.column("d", b.DATE)]);

describe.each(both)("%s identifiers and literals", (_name, g) => {
  it("leaves plain names bare and quotes everything else", () => {
    expect(g.ident("person_id")).toBe("person_id");
    expect(g.ident("_x1")).toBe("_x1");
    expect(g.ident("offset")).toBe('"offset"');
    expect(g.ident("user")).toBe('"user"');
    expect(g.ident("Person")).toBe('"Person"');
    expect(g.ident("a b")).toBe('"a b"');
    expect(g.ident('x"; DROP TABLE t; --')).toBe('"x""; DROP TABLE t; --"');
    expect(g.ident("ünï")).toBe('"ünï"');
  });

  it("rejects identifiers no quoting can carry", () => {
    expect(code(() => g.ident(""))).toBe("INVALID_IDENTIFIER");
    expect(code(() => g.ident("a\0b"))).toBe("INVALID_IDENTIFIER");
    expect(code(() => g.ident("a\ud800b"))).toBe("INVALID_IDENTIFIER");
  });

  it("escapes string literals and rejects NUL", () => {
    expect(g.stringLiteral("it's")).toBe("'it''s'");
    expect(g.stringLiteral("'; DROP TABLE x; --")).toBe("'''; DROP TABLE x; --'");
    expect(g.stringLiteral("ü 𝄞 \n")).toBe("'ü 𝄞 \n'");
    expect(code(() => g.stringLiteral("a\0"))).toBe("INVALID_LITERAL");
    expect(code(() => g.expr(b.lit(Number.NaN)))).toBe("INVALID_LITERAL");
    expect(code(() => g.expr(b.lit(Infinity)))).toBe("INVALID_LITERAL");
    expect(g.expr(b.lit(2, "float"))).toBe("2.0");
    expect(g.expr(b.lit("2020-01-02", "date"))).toBe("DATE '2020-01-02'");
  });

  it("never writes -- by negating a negative number", () => {
    const e: Expr = { k: "neg", arg: b.lit(-1), type: "integer" };
    expect(g.expr(e)).not.toContain("--");
    expect(g.expr(b.bin("-", b.lit(1), b.lit(-1), "integer"))).toBe("1 - -1");
  });

  it("rejects functions outside the catalogue instead of passing them through", () => {
    const e = b.fn("pg_sleep", [b.lit(1)], "any");
    expect(() => g.expr(e)).toThrow(UnsupportedFeatureError);
    expect(code(() => g.expr(e))).toBe("UNSUPPORTED_FEATURE");
    expect(code(() => g.expr(b.fn("row_number", [], "bigint")))).toBe("INVALID_PLAN");
  });

  it("renders null ordering explicitly, and text in byte order", () => {
    const w = b.window("row_number", [], [], [{ expr: b.col("t", "a"), desc: false }, { expr: b.col("t", "b"), desc: true }], "bigint");
    const bytes = g.dialect === "postgres" ? 'COLLATE "C"' : 'COLLATE "binary"';
    expect(g.expr(w)).toBe(`row_number() OVER (ORDER BY t.a ${bytes} NULLS LAST, t.b ${bytes} DESC NULLS FIRST)`);
    // Only text is collated; an expression is parenthesised so the collation covers all of it.
    const n = b.window("row_number", [], [], [{ expr: b.col("t", "n", "integer"), desc: false }, { expr: b.fn("lower", [b.col("t", "a")], "string"), desc: false }], "bigint");
    expect(g.expr(n)).toBe(`row_number() OVER (ORDER BY t.n NULLS LAST, (lower(t.a)) ${bytes} NULLS LAST)`);
  });

  it("maps types as OHDSI's DDL does, but float as DOUBLE PRECISION (NUMERIC is DECIMAL(18,3) on DuckDB)", () => {
    expect([b.INT, b.BIGINT, b.FLOAT, b.DATE, b.DATETIME, b.varchar(50), b.varchar()].map((t) => g.columnTypeName(t))).toEqual([
      "INTEGER",
      "BIGINT",
      "DOUBLE PRECISION",
      "DATE",
      "TIMESTAMP",
      "VARCHAR(50)",
      "TEXT",
    ]);
  });

  it("fails on schemas, tables and plans it cannot resolve", () => {
    const ctx = b.context([PATIENTS], SCHEMAS);
    expect(code(() => g.table(b.ref("nowhere", "t"), ctx))).toBe("UNKNOWN_SCHEMA");
    expect(code(() => g.renderStep(b.step("d", { kind: "ddl", part: "tables", tables: [b.ref("cdm", "nope")] }), ctx))).toBe("INVALID_PLAN");
    const sql = b.step("s", { kind: "sql", statements: { snowflake: ["SELECT 1"] }, transactional: true });
    expect(code(() => g.renderStep(sql, ctx))).toBe("UNSUPPORTED_FEATURE");
    const bad = b.step("s", { kind: "sql", statements: { default: ["SELECT * FROM ${schemas.nowhere}.t"] }, transactional: true });
    expect(code(() => g.renderStep(bad, ctx))).toBe("UNKNOWN_SCHEMA");
    const keyless = b.transformStep("t", b.ref("staging", "x"), "merge", [b.column("a", b.INT)], [b.select({ table: b.ref("source", "patients"), alias: "p" }, { a: b.lit(1) })]);
    expect(code(() => g.renderStep(keyless, ctx))).toBe("INVALID_PLAN");
  });

  it("refuses to enumerate id keys through the join of an id being assigned", () => {
    const ctx = b.context([PATIENTS], SCHEMAS);
    const id = b.idFor("x_id", "x", b.col("p", "id"));
    const sel = b.select({ table: b.ref("source", "patients"), alias: "p" }, { x_id: id.value }, { joins: [id.join], ids: [id.id], where: b.isNull(id.value, true) });
    const step = b.transformStep("x", b.ref("staging", "x"), "replace", [b.column("x_id", b.INT)], [sel]);
    expect(code(() => g.renderStep(step, ctx))).toBe("INVALID_PLAN");
  });

  it("filters NULL id keys only when the key can be NULL", () => {
    const ctx = b.context([PATIENTS], SCHEMAS);
    const assignment = (key: ReturnType<typeof b.col>) => {
      const id = b.idFor("x_id", "x", key);
      const sel = b.select({ table: b.ref("source", "patients"), alias: "p" }, { x_id: id.value }, { joins: [id.join], ids: [id.id] });
      return g.renderStep(b.transformStep("x", b.ref("staging", "x"), "replace", [b.column("x_id", b.INT)], [sel]), ctx).statements.find((q) => q.includes("_keys") && q.includes("SELECT DISTINCT"))!;
    };
    const bare = b.col("p", "id");
    // The compiler's key shape: coalesce(length || ':' || value, '~'), parts joined by '|'.
    const part = b.fn("coalesce", [b.bin("||", b.bin("||", b.cast(b.fn("length", [bare], "integer"), b.varchar()), b.lit(":")), bare), b.lit("~")], "string");
    expect(assignment(bare)).toContain("WHERE n.k IS NOT NULL");
    expect(assignment(part)).not.toContain("IS NOT NULL");
    expect(assignment(b.bin("||", b.bin("||", part, b.lit("|")), part))).not.toContain("IS NOT NULL");
    expect(assignment(b.bin("||", part, bare))).toContain("WHERE n.k IS NOT NULL");
  });

  it("is deterministic", () => {
    const ctx = b.context([PATIENTS], SCHEMAS);
    const id = b.idFor("x_id", "x", b.col("p", "id"));
    const sel = b.select({ table: b.ref("source", "patients"), alias: "p" }, { x_id: id.value, d: b.col("p", "d", "date") }, { joins: [id.join], ids: [id.id] });
    const step = b.transformStep("x", b.ref("staging", "x"), "merge", [b.column("x_id", b.INT), b.column("d", b.DATE)], [sel], { key: ["x_id"] });
    expect(g.renderStep(step, ctx)).toEqual(g.renderStep(structuredClone(step), ctx));
  });

  it("keeps hostile names inside comments", () => {
    const def = b.tableDef("cdm", "evil\n DROP TABLE x; --", [b.column("a", b.INT)], {
      cdm: true,
      primaryKey: ["a"],
      foreignKeys: [{ column: "a", references: b.ref("cdm", "other\r\nDROP TABLE y"), referencesColumn: "a" }],
    });
    for (const stmt of g.renderDdl([def], "constraints", b.context([def], SCHEMAS))) {
      if (!stmt.startsWith("--")) continue;
      for (const line of stmt.trimEnd().split("\n")) expect(line.startsWith("--")).toBe(true);
    }
  });
});

describe("dialect differences", () => {
  const ctx = b.context([PATIENTS], SCHEMAS);

  it("Postgres writes backslashes in E'' strings so standard_conforming_strings cannot matter", () => {
    expect(pg.stringLiteral("a\\'b")).toBe("E'a\\\\''b'");
    expect(duck.stringLiteral("a\\'b")).toBe("'a\\''b'");
  });

  it("Postgres rejects identifiers it would truncate; DuckDB takes them", () => {
    expect(code(() => pg.ident("ä".repeat(32)))).toBe("INVALID_IDENTIFIER");
    expect(pg.ident("a".repeat(63))).toBe("a".repeat(63));
    expect(duck.ident(`a${"ä".repeat(32)}`)).toBe(`"a${"ä".repeat(32)}"`);
  });

  it("Postgres cannot load from object stores, Parquet, or globbed directories", () => {
    const load = (files: string[], format = b.CSV) => b.loadStep("l", b.ref("source", "patients"), files, PATIENTS.columns, format);
    expect(code(() => pg.renderStep(load(["s3://bucket/p.csv"]), ctx))).toBe("UNSUPPORTED_FEATURE");
    expect(code(() => pg.renderStep(load(["/data/p.parquet"], { ...b.CSV, type: "parquet" }), ctx))).toBe("UNSUPPORTED_FEATURE");
    expect(code(() => pg.renderStep(load(["/data/*/p.csv"]), ctx))).toBe("UNSUPPORTED_FEATURE");
    expect(code(() => pg.renderStep(load(["relative/p.csv"]), ctx))).toBe("INVALID_PLAN");
    expect(pg.renderStep(load(["file:///data/p%20q.csv"]), ctx).statements.join("\n")).toContain("'/data/p q.csv'");
    expect(duck.renderStep(load(["s3://bucket/p.csv"]), ctx).statements.join("\n")).toContain("'s3://bucket/p.csv'");
    expect(duck.renderStep(load(["/d/p.parquet"], { ...b.CSV, type: "parquet" }), ctx).statements.join("\n")).toContain("read_parquet(['/d/p.parquet']");
    expect(code(() => duck.renderStep(load(["ftp://host/p.csv"]), ctx))).toBe("UNSUPPORTED_FEATURE");
  });

  it("to_date reads its format by the one grammar on both (no strptime, no PostgreSQL to_date); refuses formats outside it", () => {
    const toDate = b.fn("to_date", [b.col("t", "s", "string"), b.lit("%Y%m%d")], "date");
    for (const g of [pg, duck]) {
      const sql = g.expr(toDate);
      expect(sql).not.toMatch(/strptime|to_date\(/);
      // Compact fields are cut at their offsets, then the ISO text is cast.
      expect(sql).toContain("CAST(substr(t.s, 1, 4) || '-' || substr(t.s, 5, 2) || '-' || substr(t.s, 7, 2) AS DATE)");
    }
    expect(code(() => pg.expr(b.fn("to_date", [b.lit("x"), b.lit("%Z")], "date")))).toBe("INVALID_DATE_FORMAT");
    expect(code(() => pg.expr(b.fn("to_date", [b.lit("x"), b.col("t", "fmt")], "date")))).toBe("UNSUPPORTED_FEATURE");
  });

  it("integer division is integer division on both", () => {
    const e = b.bin("/", b.col("t", "a", "integer"), b.col("t", "b", "integer"), "integer");
    // DuckDB's NULL for x / 0 becomes an error (PostgreSQL's own behaviour): the divisor is guarded unless constant.
    expect(duck.expr(e)).toBe("t.a // (CASE WHEN t.b = 0 THEN CAST(error('division by zero') AS INTEGER) ELSE t.b END)");
    expect(duck.expr(b.bin("/", b.col("t", "a", "integer"), b.lit(10), "integer"))).toBe("t.a // 10");
    expect(pg.expr(e)).toBe("t.a / t.b");
    const q = b.bin("/", b.col("t", "a", "integer"), b.col("t", "b", "integer"), "float");
    expect(pg.expr(q)).toBe("CAST(t.a AS DOUBLE PRECISION) / t.b");
  });

  it("adds CDM primary keys in the constraints part: DuckDB as a unique index, Postgres by guarded ALTER", () => {
    const def = b.tableDef("cdm", "thing", [b.column("thing_id", b.INT, true)], { cdm: true, primaryKey: ["thing_id"] });
    const c = b.context([def], SCHEMAS);
    expect(duck.renderDdl([def], "tables", c).join("\n")).not.toContain("PRIMARY KEY");
    expect(duck.renderDdl([def], "constraints", c).join("\n")).toContain("CREATE UNIQUE INDEX IF NOT EXISTS xpk_thing ON cdm.thing (thing_id)");
    expect(pg.renderDdl([def], "tables", c).join("\n")).not.toContain("PRIMARY KEY");
    expect(pg.renderDdl([def], "constraints", c).join("\n")).toContain("ADD CONSTRAINT xpk_thing PRIMARY KEY (thing_id)");
    // A staging table with a key declares it with the table on DuckDB (no idempotent way to add one later).
    const staged = b.tableDef("staging", "thing", [b.column("thing_id", b.INT, true)], { primaryKey: ["thing_id"] });
    expect(duck.renderDdl([staged], "tables", b.context([staged], SCHEMAS)).join("\n")).toContain("PRIMARY KEY (thing_id)");
  });

  it("both engines check a CDM table's primary key after each write to it, in the step's transaction", () => {
    const def = b.tableDef("cdm", "thing", [b.column("thing_id", b.INT, true)], { cdm: true, primaryKey: ["thing_id"] });
    const c = b.context([def, PATIENTS], SCHEMAS);
    const step = b.transformStep("thing", b.ref("cdm", "thing"), "replace", [b.column("thing_id", b.INT)], [b.select({ table: b.ref("source", "patients"), alias: "p" }, { thing_id: b.lit(1) })]);
    const duckStep = duck.renderStep(step, c);
    expect(duckStep.transactional).toBe(true);
    expect(duckStep.statements.at(-1)).toMatch(/^SELECT error\(a\.msg\)\nFROM \(\n  SELECT 'duplicate primary key in cdm\.thing: ' \|\| 'thing_id = '/);
    const pgStep = pg.renderStep(step, c);
    expect(pgStep.transactional).toBe(true);
    expect(pgStep.statements.at(-2)).toMatch(/^DO \$omopetl\$[^]*SELECT 'duplicate primary key in cdm\.thing: ' \|\| 'thing_id = '[^]*RAISE EXCEPTION/);
  });

  it("creates the standard indexes by default on Postgres, on DuckDB only when the target asks", () => {
    const def = b.tableDef("cdm", "thing", [b.column("thing_id", b.INT, true), b.column("person_id", b.INT)], { cdm: true, indexes: [["person_id"]] });
    const c = b.context([def], SCHEMAS);
    const indexes = (g: BaseSqlGenerator, ctx: typeof c): string => g.renderDdl([def], "indexes", ctx).join("\n");
    expect(indexes(pg, c)).toBe("CREATE INDEX IF NOT EXISTS idx_thing_person_id ON cdm.thing (person_id)");
    expect(indexes(duck, c)).toBe("-- 1 standard indexes not created: duckdb does not create them by default; set indexes: true on the target to create them.\n");
    expect(indexes(duck, { ...c, indexes: true })).toBe("CREATE INDEX IF NOT EXISTS idx_thing_person_id ON cdm.thing (person_id)");
    expect(indexes(pg, { ...c, indexes: false })).toBe("-- 1 standard indexes not created: the target sets indexes: false.\n");
    // The target's option reaches the context; a missing or non-boolean one leaves the provider's default.
    const plan = { tables: [def], schemas: SCHEMAS, idMap: b.ref("staging", "omopetl_id_map") };
    expect(renderContextFromPlan(plan, { indexes: true }).indexes).toBe(true);
    expect(renderContextFromPlan(plan, { schemas: { cdm: "x" } })).not.toHaveProperty("indexes");
  });
});

describe("helpers", () => {
  it("translates strftime to PostgreSQL templates", () => {
    expect(toPostgresTemplate("%Y%m%d")).toEqual({ template: "YYYYMMDD" });
    expect(toPostgresTemplate("%d/%m/%Y %H:%M:%S")).toEqual({ template: "DD/MM/YYYY HH24:MI:SS" });
    expect(toPostgresTemplate("%Y-%m-%dT%H")).toEqual({ template: 'YYYY-MM-DD"T"HH24' });
    expect(toPostgresTemplate("100%% %Y")).toEqual({ template: '"100% "YYYY' });
    expect(toPostgresTemplate("%Q")).toEqual({ unsupported: "%Q" });
    expect(toPostgresTemplate("%Y%")).toEqual({ unsupported: "%" });
  });

  it("turns globs into anchored regular expressions", () => {
    const re = (g: string) => new RegExp(globToRegex(g)!);
    expect(re("*.csv").test("CONCEPT.csv")).toBe(true);
    expect(re("*.csv").test("CONCEPT.csv.gz")).toBe(false);
    expect(re("part-?.tsv").test("part-1.tsv")).toBe(true);
    expect(re("[!a]*").test("abc")).toBe(false);
    expect(re("a+b(c).csv").test("a+b(c).csv")).toBe(true);
    expect(globToRegex("[abc")).toBeUndefined();
    expect(uriScheme("S3://x/y")).toBe("s3");
    expect(uriScheme("/x/y")).toBeUndefined();
    expect(localPath("file:///a/b%20c")).toBe("/a/b c");
  });

  it("keeps generated object names within the identifier limit and distinct", () => {
    const long = (s: string) => objectName("fpk", ["a".repeat(40), s], 63);
    expect(Buffer.byteLength(long("x"))).toBeLessThanOrEqual(63);
    expect(long("x")).not.toBe(long("y"));
    expect(objectName("idx", ["person", "person_id"], 63)).toBe("idx_person_person_id");
  });

  it("SqlExecutionError names the step and statement and keeps the driver error", () => {
    const sql = `SELECT ${"x, ".repeat(300)}boom`;
    const driver = Object.assign(new Error("syntax error at or near boom"), { code: "42601", position: String(sql.indexOf("boom") + 1) });
    const e = new SqlExecutionError("person", 3, sql, driver);
    expect(e.diagnostic.code).toBe("SQL_EXECUTION_FAILED");
    expect(e.stepName).toBe("person");
    expect(e.statementIndex).toBe(3);
    expect(e.driverCode).toBe("42601");
    expect(e.sqlExcerpt).toContain("boom");
    expect(e.sqlExcerpt.length).toBeLessThan(420);
    expect(e.cause).toBe(driver);
    expect(e.message).toMatch(/step "person" failed at statement 4: syntax error/);
  });

  it("classifies transient Postgres failures", () => {
    for (const c of ["40001", "40P01", "57P01", "ECONNREFUSED", "ECONNRESET"]) expect(isTransientPostgresError({ code: c })).toBe(true);
    expect(isTransientPostgresError(new SqlExecutionError("s", 0, "x", Object.assign(new Error("deadlock"), { code: "40P01" })))).toBe(true);
    expect(isTransientPostgresError(new Error("Connection terminated unexpectedly"))).toBe(true);
    expect(isTransientPostgresError({ code: "23505" })).toBe(false);
    expect(isTransientPostgresError(new Error("syntax"))).toBe(false);
  });
});
