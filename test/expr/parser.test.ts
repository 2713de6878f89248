import { describe, expect, it } from "vitest";
import { parseExpression } from "../../src/core/expr/index.js";
import { ok, shape, show } from "./helpers.js";

/** The EXPR_SYNTAX issue of `text`, with the text it points at. */
function syntax(text: string): { message: string; hint?: string; offset: number; at: string } {
  const r = parseExpression(text);
  expect(r.ast).toBeUndefined();
  expect(r.issues).toHaveLength(1);
  const i = r.issues[0]!;
  expect(i.code).toBe("EXPR_SYNTAX");
  expect(i.severity).toBe("error");
  return { message: i.message, hint: i.hint, offset: i.offset, at: text.slice(i.offset, i.offset + i.length) };
}

describe("precedence and associativity", () => {
  it.each([
    ["1 + 2 * 3", "(+ 1 (* 2 3))"],
    ["(1 + 2) * 3", "(* (+ 1 2) 3)"],
    ["1 - 2 - 3", "(- (- 1 2) 3)"],
    ["8 / 4 / 2", "(/ (/ 8 4) 2)"],
    ["7 % 3 * 2", "(* (% 7 3) 2)"],
    ["-p.id * 2", "(* (neg p.id) 2)"],
    ["- - p.id", "p.id"],
    ["+p.id", "p.id"],
    ["'a' || 'b' || 'c'", "(|| (|| 'a' 'b') 'c')"],
    ["p.gender || 'x' = 'Mx'", "(= (|| p.gender 'x') 'Mx')"],
    ["p.id + 1 = 2 AND TRUE", "(and (= (+ p.id 1) 2) true)"],
    ["TRUE OR FALSE AND FALSE", "(or true (and false false))"],
    ["(TRUE OR FALSE) AND FALSE", "(and (or true false) false)"],
    ["NOT p.id = 1 AND p.active", "(and (not (= p.id 1)) p.active)"],
    ["NOT NOT p.active", "(not (not p.active))"],
    ["p.id BETWEEN 1 AND 2 + 3 AND p.active", "(and (between p.id 1 (+ 2 3)) p.active)"],
    ["p.id = 1 IS NOT NULL", "(is-not-null (= p.id 1))"],
    ["p.gender || 'x' LIKE 'M%' OR p.active", "(or (like (|| p.gender 'x') 'M%') p.active)"],
  ])("%s", (text, expected) => {
    expect(shape(ok(text))).toBe(expected);
  });

  it("keywords are case-insensitive and whitespace/comments are free", () => {
    expect(shape(ok("p.ID between 1\n and 2 -- inclusive\n oR P.active"))).toBe("(or (between p.id 1 2) p.active)");
  });
});

describe("constructs", () => {
  it("literals: integers, bigints, decimals, exponents, strings with '' escapes, booleans, NULL", () => {
    expect(show(ok("42"))).toBe("42:integer");
    expect(show(ok("3000000000"))).toBe("3000000000:bigint");
    expect(show(ok("1.50"))).toBe("1.5:float");
    expect(show(ok(".5"))).toBe("0.5:float");
    expect(show(ok("2e3"))).toBe("2000:float");
    expect(show(ok("'it''s'"))).toBe("'it's':string");
    expect(show(ok("''"))).toBe("'':string");
    expect(show(ok("true"))).toBe("true:boolean");
    expect(show(ok("FALSE"))).toBe("false:boolean");
    expect(show(ok("NULL"))).toBe("null:null");
    expect(show(ok("-7"))).toBe("-7:integer");
  });

  it("DATE and TIMESTAMP literals are casts of string literals", () => {
    expect(show(ok("DATE '2020-02-29'"))).toBe("(cast:date '2020-02-29':string date)");
    expect(show(ok("timestamp '2020-01-01 10:30:00'"))).toBe("(cast:datetime '2020-01-01 10:30:00':string datetime)");
    expect(show(ok("TIMESTAMP '2020-01-01T10:30'"))).toBe("(cast:datetime '2020-01-01T10:30':string datetime)");
  });

  it("quoted identifiers may be reserved words; qualified names in either form", () => {
    const s = { tables: [{ alias: "t", columns: new Map([["end", "date" as const], ["my col", "integer" as const]]) }] };
    expect(show(ok('"end"', {}, s))).toBe("t.end:date");
    expect(show(ok('t."END"', {}, s))).toBe("t.end:date");
    expect(show(ok('"t"."my col" + 1', {}, s))).toBe("(+:integer t.my col:integer 1:integer)");
    expect(show(ok('"my ""col"" x" IS NULL', {}, { tables: [{ alias: "t", columns: new Map([['my "col" x', "integer" as const]]) }] }))).toBe(
      '(is-null:boolean t.my "col" x:integer)',
    );
  });

  it("CASE with and without operand, with and without ELSE", () => {
    expect(shape(ok("CASE WHEN p.id > 1 THEN 'a' WHEN p.id > 0 THEN 'b' ELSE 'c' END"))).toBe(
      "(case [(> p.id 1) 'a'] [(> p.id 0) 'b'] else 'c')",
    );
    expect(shape(ok("case p.gender when 'M' then 8507 when 'F' then 8532 end"))).toBe("(case p.gender ['M' 8507] ['F' 8532])");
  });

  it("CAST with every type name", () => {
    const cases: [string, string][] = [
      ["integer", "integer"], ["int", "integer"], ["bigint", "bigint"], ["float", "float"], ["double", "float"],
      ["double precision", "float"], ["real", "float"], ["numeric", "float"], ["numeric(10,2)", "float"],
      ["varchar", "varchar"], ["varchar(50)", "varchar(50)"], ["text", "varchar"], ["string", "varchar"],
      ["date", "date"], ["datetime", "datetime"], ["timestamp", "datetime"], ["boolean", "boolean"], ["bool", "boolean"],
    ];
    for (const [name, kind] of cases) {
      const src = ["date", "datetime", "timestamp"].includes(name) ? "p.gender" : name.startsWith("bool") ? "p.id" : "p.id";
      expect(shape(ok(`CAST(${src} AS ${name})`)), name).toBe(`(cast ${src} ${kind})`);
    }
  });

  it("IN, NOT IN, BETWEEN, NOT BETWEEN, IS [NOT] NULL, [NOT] LIKE", () => {
    expect(shape(ok("p.id IN (1, 2, 3)"))).toBe("(in p.id 1 2 3)");
    expect(shape(ok("p.id NOT IN (1)"))).toBe("(not-in p.id 1)");
    expect(shape(ok("p.id NOT BETWEEN 1 AND 10"))).toBe("(not-between p.id 1 10)");
    expect(shape(ok("p.gender IS NULL"))).toBe("(is-null p.gender)");
    expect(shape(ok("p.gender is not null"))).toBe("(is-not-null p.gender)");
    expect(shape(ok("p.gender NOT LIKE 'M%'"))).toBe("(not-like p.gender 'M%')");
  });

  it("EXTRACT becomes date_part", () => {
    expect(show(ok("EXTRACT(YEAR FROM p.birth_date)"))).toBe("(date_part:integer 'year':string p.birth_date:date)");
    expect(show(ok("extract(hour from p.death_datetime)"))).toBe("(date_part:integer 'hour':string p.death_datetime:datetime)");
  });

  it("calls: count(*), count(DISTINCT x), bare current_date, nested calls", () => {
    expect(show(ok("count(*)", { allowAggregates: true }))).toBe("(count:bigint)");
    expect(show(ok("COUNT(DISTINCT p.id)", { allowAggregates: true }))).toBe("(count distinct:bigint p.id:integer)");
    expect(show(ok("current_date"))).toBe("(current_date:date)");
    expect(show(ok("current_date()"))).toBe("(current_date:date)");
    expect(shape(ok("upper(trim(p.gender))"))).toBe("(upper (trim p.gender))");
  });

  it("window calls with PARTITION BY and ORDER BY items", () => {
    const e = ok("row_number() OVER (PARTITION BY p.id, p.gender ORDER BY p.birth_date DESC NULLS LAST, p.weight ASC, c.id NULLS FIRST)", {
      allowWindows: true,
    });
    expect(show(e)).toBe(
      "(row_number:bigint over [p.id:integer p.gender:string] [p.birth_date:date desc nulls-last p.weight:float c.id:integer nulls-first])",
    );
    expect(shape(ok("sum(p.weight) over ()", { allowWindows: true }))).toBe("(sum p.weight over [] [])");
    expect(shape(ok("lag(p.weight, 2) over (order by p.birth_date)", { allowWindows: true }))).toBe("(lag p.weight 2 over [] [p.birth_date])");
  });
});

describe("syntax errors point at the offending text", () => {
  it.each([
    ["", "empty expression", ""],
    ["   ", "empty expression", "   "],
    ["p.id = = 1", 'expected an expression, found "="', "="],
    ["p.id +", "expected an expression, found end of expression", ""],
    ["(p.id + 1", 'expected ")", found end of expression', ""],
    ["p.id 1", "unexpected number 1 after the end of the expression", "1"],
    ["'abc", "unterminated string", "'abc"],
    ['"abc', "unterminated quoted identifier", '"abc'],
    ['""', "empty quoted identifier", '""'],
    ["p.id ; drop table x", 'unexpected character ";"', ";"],
    ["p.id == 1", '"==" is not an operator', "=="],
    ["p.id::int", '"::" casts are not supported', "::"],
    ["12abc", 'invalid number "12a"', "12a"],
    ["CASE p.id END", "expected WHEN, found keyword END", "END"],
    ["CASE WHEN TRUE 1 END", "expected THEN, found number 1", "1"],
    ["CASE WHEN TRUE THEN 1", "expected END, found end of expression", ""],
    ["p.id IN ()", 'expected a value in the IN list, found ")"', ")"],
    ["p.id IN 1", 'expected "(" after IN, found number 1', "1"],
    ["p.id BETWEEN 1 OR 2", "expected AND, found keyword OR", "OR"],
    ["p.id IS 1", "expected NULL after IS, found number 1", "1"],
    ["CAST(p.id AS money)", '"money" is not a supported type', "money"],
    ["CAST(p.id AS integer(4))", '"integer(4)" is not a supported type', "integer(4)"],
    ["CAST(p.id integer)", 'expected AS, found "integer"', "integer"],
    ["EXTRACT(year p.birth_date)", 'expected FROM, found "p"', "p"],
    ["DATE '2020-02-30'", "'2020-02-30' is not a valid DATE literal", "'2020-02-30'"],
    ["TIMESTAMP '2020-01-01 25:00'", "'2020-01-01 25:00' is not a valid TIMESTAMP literal", "'2020-01-01 25:00'"],
    ["a.b.c", "a column reference has at most two parts (alias.column)", "a.b."],
    ["p.lower(x)", 'expected an operator, found "("', "("],
    ["count(*) over (order by p.id groups between 1 preceding and current row)", "GROUPS frames are not supported", "groups"],
    ["row_number() over (order by p.id nulls middle)", 'expected FIRST or LAST after NULLS, found "middle"', "middle"],
    ["then", "expected an expression, found keyword THEN", "then"],
  ])("%j", (text, message, at) => {
    const s = syntax(text);
    expect(s.message).toBe(message);
    expect(s.at).toBe(at);
  });

  it("hints for common mistakes", () => {
    expect(syntax("p.id::int").hint).toBe("Use CAST(x AS type).");
    expect(syntax("CAST(p.id AS intger)").hint).toBe('Did you mean "integer"?');
    expect(syntax("p.id = 1 AS flag").hint).toMatch(/YAML key/);
    expect(syntax("p.id IN (SELECT 1)").hint).toMatch(/Subqueries are not supported/);
    expect(syntax("end + 1").hint).toBe('To use "end" as a column name, double-quote it: "end".');
    expect(syntax("`x`").hint).toMatch(/double quotes/);
  });

  it("parseExpression keeps offsets on every node", () => {
    const r = parseExpression("  lower(p.gender) || 'x'");
    expect(r.issues).toEqual([]);
    const ast = r.ast!;
    expect(ast.t).toBe("binary");
    if (ast.t !== "binary") return;
    expect([ast.start, ast.end, ast.opStart, ast.opEnd]).toEqual([2, 24, 18, 20]);
    expect([ast.left.start, ast.left.end, ast.right.start, ast.right.end]).toEqual([2, 17, 21, 24]);
    if (ast.left.t !== "call") throw new Error("call expected");
    expect([ast.left.name.start, ast.left.name.end, ast.left.args[0]!.start, ast.left.args[0]!.end]).toEqual([2, 7, 8, 16]);
  });
});
