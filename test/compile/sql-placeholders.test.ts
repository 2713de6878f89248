import { describe, expect, it } from "vitest";
import { scanSqlPlaceholders, substituteSqlPlaceholders } from "../../src/core/model/sql-placeholders.js";
import { DuckDbGenerator } from "../../src/providers/duckdb/index.js";
import { PostgresGenerator } from "../../src/providers/postgres/index.js";

const contexts = (sql: string) => scanSqlPlaceholders(sql).map((p) => `${p.kind}:${p.name}:${p.context}`);

describe("sql placeholders", () => {
  it("knows whether a placeholder stands in code, a string, an identifier or a comment", () => {
    expect(contexts("SELECT ${params.a}, '${params.b}', \"${params.c}\" FROM ${schemas.cdm}.person -- ${params.d}\nWHERE ${raw:params.e}")).toEqual([
      "param:a:code",
      "param:b:string",
      "param:c:identifier",
      "schema:cdm:code",
      "param:d:comment",
      "raw:e:code",
    ]);
  });

  it("follows doubled quotes, E'' backslash escapes, dollar quotes and nested block comments", () => {
    expect(contexts("SELECT 'it''s ${params.a}' , ${params.b}")).toEqual(["param:a:string", "param:b:code"]);
    expect(contexts("SELECT E'a\\' ${params.a}', ${params.b}")).toEqual(["param:a:string", "param:b:code"]);
    expect(contexts("SELECT 'a\\', ${params.b}")).toEqual(["param:b:code"]);
    expect(contexts("DO $body$ SELECT ${params.a} $body$; SELECT $$ ${params.b} $$, ${params.c}, $1")).toEqual([
      "param:a:string",
      "param:b:string",
      "param:c:code",
    ]);
    expect(contexts("/* a /* b */ ${params.a} */ ${params.b}")).toEqual(["param:a:comment", "param:b:code"]);
    expect(contexts("SELECT '${params.a}")).toEqual(["param:a:string"]);
  });

  it("substitutes in one pass: a value is never scanned again", () => {
    const out = substituteSqlPlaceholders("SELECT ${params.a}, ${params.b}", (p) => (p.name === "a" ? "'${params.b}'" : "2"));
    expect(out).toBe("SELECT '${params.b}', 2");
  });

  for (const g of [new DuckDbGenerator(), new PostgresGenerator()]) {
    it(`${g.dialect}: paramLiteral renders complete literals of the declared type and refuses mismatches`, () => {
      expect(g.paramLiteral("x'; DROP TABLE t; --", "string")).toBe("'x''; DROP TABLE t; --'");
      expect(g.paramLiteral("/data/a b", "path")).toBe("'/data/a b'");
      expect(g.paramLiteral(42, "integer")).toBe("42");
      expect(g.paramLiteral(-1.5, "number")).toBe("-1.5");
      expect(g.paramLiteral(true, "boolean")).toBe("TRUE");
      expect(() => g.paramLiteral("1; DROP TABLE t", "integer")).toThrow(/INVALID_LITERAL|not a valid integer/);
      expect(() => g.paramLiteral(1.5, "integer")).toThrow(/not a valid integer/);
      expect(() => g.paramLiteral(Number.NaN, "number")).toThrow(/not a valid number/);
      expect(() => g.paramLiteral("a\0b", "string")).toThrow(/NUL/);
    });
  }
});
