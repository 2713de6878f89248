import { describe, expect, it } from "vitest";
import type { CastType } from "../../src/core/expr/ast.js";
import { analyzeExpression, assignable, castTypeToValueType, parseTypeName, unify } from "../../src/core/expr/index.js";
import { oneIssue, ok, scope, show } from "./helpers.js";

describe("numeric typing", () => {
  it("promotes integer < bigint < float", () => {
    expect(ok("p.id + p.id").type).toBe("integer");
    expect(ok("p.id + p.big_id").type).toBe("bigint");
    expect(ok("p.big_id * p.weight").type).toBe("float");
    expect(ok("p.id / 2").type).toBe("integer");
    expect(ok("p.id / 2.0").type).toBe("float");
    expect(ok("p.id % 7").type).toBe("integer");
    expect(ok("-p.weight").type).toBe("float");
    expect(ok("p.id + NULL").type).toBe("integer");
  });

  it("% takes integers only", () => {
    const i = oneIssue("p.weight % 2");
    expect([i.code, i.at, i.message]).toEqual(["TYPE_MISMATCH", "p.weight", "operator % needs integers, got float."]);
  });

  it("arithmetic on strings is an error suggesting || or CAST", () => {
    const i = oneIssue("p.gender + 1");
    expect(i.code).toBe("TYPE_MISMATCH");
    expect(i.at).toBe("p.gender");
    expect(i.message).toBe("operator + needs numbers, got string.");
    expect(i.hint).toBe("Use || to concatenate strings, or CAST(p.gender AS integer) to compute with numbers.");
    expect(oneIssue("p.active * 2").message).toBe("operator * needs numbers, got boolean.");
    expect(oneIssue("-p.gender").at).toBe("-p.gender");
  });
});

describe("date arithmetic is normalised", () => {
  it("date - date -> date_diff('day', right, left)", () => {
    expect(show(ok("p.birth_date - c.valid_start_date"))).toBe(
      "(date_diff:integer 'day':string c.valid_start_date:date p.birth_date:date)",
    );
    expect(show(ok("p.death_datetime - p.birth_date"))).toBe("(date_diff:integer 'day':string p.birth_date:date p.death_datetime:datetime)");
    expect(show(ok("p.birth_date - '2000-01-01'"))).toBe(
      "(date_diff:integer 'day':string (cast:date '2000-01-01':string date) p.birth_date:date)",
    );
  });

  it("date ± integer -> date_add(d, ±n, 'day') keeping the type of d", () => {
    expect(show(ok("p.birth_date + 30"))).toBe("(date_add:date p.birth_date:date 30:integer 'day':string)");
    expect(show(ok("p.birth_date - 30"))).toBe("(date_add:date p.birth_date:date -30:integer 'day':string)");
    expect(show(ok("p.birth_date - p.id"))).toBe("(date_add:date p.birth_date:date (neg:integer p.id:integer) 'day':string)");
    expect(show(ok("7 + p.death_datetime"))).toBe("(date_add:datetime p.death_datetime:datetime 7:integer 'day':string)");
  });

  it("other date arithmetic is an error", () => {
    const i = oneIssue("p.birth_date + c.valid_start_date");
    expect(i.code).toBe("TYPE_MISMATCH");
    expect(i.message).toBe("cannot add date to date.");
    expect(i.hint).toMatch(/date_add/);
    expect(oneIssue("p.birth_date - 1.5").message).toBe("cannot subtract float from date.");
    expect(oneIssue("p.birth_date * 2").at).toBe("p.birth_date");
  });
});

describe("comparisons", () => {
  it("compatible types compare to boolean", () => {
    expect(ok("p.id = p.big_id").type).toBe("boolean");
    expect(ok("p.weight >= 1").type).toBe("boolean");
    expect(ok("p.birth_date < p.death_datetime").type).toBe("boolean");
    expect(ok("p.gender <> 'M'").type).toBe("boolean");
    expect(show(ok("p.id != 1"))).toBe("(<>:boolean p.id:integer 1:integer)");
    expect(ok("p.active = TRUE").type).toBe("boolean");
  });

  it("an ISO string literal compared with a date becomes a CAST", () => {
    expect(show(ok("p.birth_date >= '2020-01-01'"))).toBe("(>=:boolean p.birth_date:date (cast:date '2020-01-01':string date))");
    expect(show(ok("'2020-01-01 12:00:00' < p.death_datetime"))).toBe(
      "(<:boolean (cast:datetime '2020-01-01 12:00:00':string datetime) p.death_datetime:datetime)",
    );
    expect(show(ok("p.birth_date = '2020-01-01 12:00'"))).toBe("(=:boolean p.birth_date:date (cast:datetime '2020-01-01 12:00':string datetime))");
  });

  it("a non-ISO string compared with a date is an error", () => {
    const i = oneIssue("p.birth_date >= '01/02/2020'");
    expect([i.code, i.at, i.message]).toEqual(["TYPE_MISMATCH", "p.birth_date >= '01/02/2020'", "cannot compare date with string."]);
    expect(i.hint).toMatch(/not an ISO date/);
  });

  it("date vs number and string vs integer are errors", () => {
    expect(oneIssue("p.birth_date > 2020").message).toBe("cannot compare date with integer.");
    const i = oneIssue("p.id = '1'");
    expect(i.message).toBe("cannot compare integer with string.");
    expect(i.hint).toMatch(/CAST/);
    expect(oneIssue("p.active = 1").message).toBe("cannot compare boolean with integer.");
  });
});

describe("strings, booleans, predicates", () => {
  it("|| requires strings, with a CAST hint naming the operand", () => {
    expect(ok("p.gender || '-' || CAST(p.id AS varchar)").type).toBe("string");
    const i = oneIssue("p.gender || p.id");
    expect([i.code, i.at, i.message, i.hint]).toEqual([
      "TYPE_MISMATCH", "p.id", "|| concatenates strings, got integer.", "Convert it with CAST(p.id AS varchar).",
    ]);
  });

  it("AND/OR/NOT need booleans", () => {
    expect(ok("p.active AND NOT p.id > 3 OR NULL").type).toBe("boolean");
    const i = oneIssue("p.active AND p.id");
    expect([i.at, i.message, i.hint]).toEqual(["p.id", "AND needs a boolean operand, got integer.", "Compare it, e.g. p.id = 1."]);
    expect(oneIssue("NOT p.gender").message).toBe("NOT needs a boolean operand, got string.");
  });

  it("IN list elements must be compatible with the argument; ISO literals coerce", () => {
    expect(show(ok("p.birth_date IN ('2020-01-01', DATE '2020-01-02')"))).toBe(
      "(in:boolean p.birth_date:date (cast:date '2020-01-01':string date) (cast:date '2020-01-02':string date))",
    );
    const i = oneIssue("p.id IN (1, 'two', 3)");
    expect([i.at, i.message]).toEqual(["'two'", "IN: cannot combine integer with string."]);
  });

  it("BETWEEN bounds must be compatible", () => {
    expect(show(ok("p.birth_date BETWEEN '2020-01-01' AND c.valid_start_date"))).toBe(
      "(between:boolean p.birth_date:date (cast:date '2020-01-01':string date) c.valid_start_date:date)",
    );
    expect(oneIssue("p.weight BETWEEN 1 AND 'x'").at).toBe("'x'");
  });

  it("LIKE needs strings; IS NULL takes anything", () => {
    expect(ok("p.gender LIKE 'M%'").type).toBe("boolean");
    expect(oneIssue("p.id LIKE '1%'").message).toBe("LIKE needs string operands, got integer.");
    expect(ok("p.active IS NOT NULL").type).toBe("boolean");
  });
});

describe("CASE and CAST", () => {
  it("CASE branches unify (NULL and numeric promotion)", () => {
    expect(ok("CASE WHEN p.active THEN p.id ELSE NULL END").type).toBe("integer");
    expect(ok("CASE WHEN p.active THEN p.id WHEN p.id > 1 THEN p.weight END").type).toBe("float");
    expect(ok("CASE WHEN p.active THEN NULL END").type).toBe("null");
    expect(show(ok("CASE WHEN p.active THEN p.birth_date ELSE '2099-12-31' END"))).toBe(
      "(case:date [p.active:boolean p.birth_date:date] else (cast:date '2099-12-31':string date))",
    );
  });

  it("CASE errors: non-boolean WHEN, incompatible branches, operand vs WHEN value", () => {
    expect(oneIssue("CASE WHEN p.id THEN 1 END").message).toBe("CASE WHEN needs a boolean operand, got integer.");
    const i = oneIssue("CASE WHEN p.active THEN 1 ELSE 'x' END");
    expect([i.at, i.message]).toEqual(["'x'", "CASE results: cannot combine integer with string."]);
    expect(oneIssue("CASE p.id WHEN 'a' THEN 1 END").at).toBe("'a'");
  });

  it("CAST types and checks", () => {
    expect(show(ok("CAST(p.id AS varchar(20))"))).toBe("(cast:string p.id:integer varchar(20))");
    expect(ok("CAST(p.gender AS date)").type).toBe("date");
    expect(ok("CAST(p.death_datetime AS date)").type).toBe("date");
    expect(ok("CAST(p.active AS integer)").type).toBe("integer");
    const i = oneIssue("CAST(p.birth_date AS integer)");
    expect([i.code, i.at, i.message]).toEqual(["TYPE_MISMATCH", "CAST(p.birth_date AS integer)", "cannot CAST date to integer."]);
    expect(i.hint).toMatch(/date_part/);
    const lit = oneIssue("CAST('2020-13-01' AS date)");
    expect([lit.at, lit.message]).toEqual(["'2020-13-01'", "'2020-13-01' is not a valid date."]);
    expect(oneIssue("CAST('12a' AS integer)").message).toBe("'12a' is not a valid integer.");
    expect(ok("CAST(' 12 ' AS bigint)").type).toBe("bigint");
  });
});

describe("expected boolean and write targets", () => {
  it("expected: boolean rejects other types over the whole text", () => {
    expect(ok("p.active", { expected: "boolean" }).type).toBe("boolean");
    expect(ok("NULL", { expected: "boolean" }).type).toBe("null");
    const i = oneIssue("p.id + 1", { expected: "boolean" });
    expect([i.code, i.offset, i.length, i.message]).toEqual(["TYPE_MISMATCH", 0, 8, "expected a boolean condition, got integer."]);
  });

  it("target: checks assignability and coerces ISO literals", () => {
    expect(show(ok("'2020-01-01'", { target: { kind: "date" } }))).toBe("(cast:date '2020-01-01':string date)");
    expect(ok("p.id", { target: { kind: "float" } }).type).toBe("integer");
    const i = oneIssue("p.gender", { target: { kind: "integer" } });
    expect([i.code, i.message, i.hint]).toEqual([
      "TYPE_MISMATCH", "a value of type string cannot be written to a column of type integer.", "Convert it explicitly: CAST(x AS integer).",
    ]);
  });

  it("non-string YAML scalars are literals", () => {
    expect(show(ok(8507))).toBe("8507:integer");
    expect(show(ok(4000000000))).toBe("4000000000:bigint");
    expect(show(ok(1.25))).toBe("1.25:float");
    expect(show(ok(true, { expected: "boolean" }))).toBe("true:boolean");
    expect(show(ok(null))).toBe("null:null");
    const r = analyzeExpression(8507, scope, { expected: "boolean" });
    expect(r.issues.map((i) => [i.code, i.offset, i.length])).toEqual([["TYPE_MISMATCH", 0, 0]]);
    expect(analyzeExpression(Number.NaN, scope).issues[0]!.code).toBe("EXPR_SYNTAX");
  });
});

describe("type helpers", () => {
  const t = (kind: CastType["kind"], length?: number): CastType => (kind === "varchar" ? (length ? { kind, length } : { kind }) : { kind }) as CastType;

  it("assignable: widening ok, narrowing/conversions need CAST", () => {
    const cases: [Parameters<typeof assignable>[0], CastType, boolean][] = [
      ["integer", t("bigint"), true],
      ["integer", t("float"), true],
      ["bigint", t("integer"), true],
      ["bigint", t("float"), true],
      ["float", t("integer"), false],
      ["string", t("integer"), false],
      ["string", t("varchar", 10), true],
      ["date", t("datetime"), true],
      ["datetime", t("date"), false],
      ["date", t("varchar"), false],
      ["integer", t("varchar"), false],
      ["boolean", t("boolean"), true],
      ["boolean", t("integer"), false],
      ["null", t("date"), true],
      ["any", t("integer"), true],
    ];
    for (const [from, to, expected] of cases) expect(assignable(from, to).ok, `${from} -> ${to.kind}`).toBe(expected);
    const r = assignable("datetime", t("date"));
    expect(!r.ok && r.hint).toBe("Truncate it explicitly: CAST(x AS date).");
    const f = assignable("float", t("integer"));
    expect(!f.ok && f.hint).toBe("Round it explicitly: CAST(round(x) AS integer).");
  });

  it("castTypeToValueType, unify, parseTypeName", () => {
    expect(castTypeToValueType({ kind: "varchar", length: 5 })).toBe("string");
    expect(castTypeToValueType({ kind: "datetime" })).toBe("datetime");
    expect(castTypeToValueType({ kind: "bigint" })).toBe("bigint");
    expect(unify("integer", "float")).toBe("float");
    expect(unify("null", "date")).toBe("date");
    expect(unify("any", "string")).toBe("string");
    expect(unify("date", "datetime")).toBe("datetime");
    expect(unify("string", "date")).toBeUndefined();
    expect(parseTypeName("VARCHAR(50)")).toEqual({ kind: "varchar", length: 50 });
    expect(parseTypeName("varchar(max)")).toEqual({ kind: "varchar" });
    expect(parseTypeName("Integer")).toEqual({ kind: "integer" });
    expect(parseTypeName("double precision")).toEqual({ kind: "float" });
    expect(parseTypeName("numeric(10, 2)")).toEqual({ kind: "float" });
    expect(parseTypeName("timestamp")).toEqual({ kind: "datetime" });
    expect(parseTypeName("money")).toBeUndefined();
    expect(parseTypeName("integer(4)")).toBeUndefined();
  });
});
