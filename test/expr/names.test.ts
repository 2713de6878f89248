import { describe, expect, it } from "vitest";
import type { ValueType } from "../../src/core/expr/ast.js";
import {
  type ExprScope,
  analyzeExpression,
  columnsReferenced,
  containsAggregate,
  containsWindow,
  issueToDiagnostic,
} from "../../src/core/expr/index.js";
import { fails, oneIssue, ok, scope, scopeWithUntyped, show } from "./helpers.js";

describe("column resolution", () => {
  it("qualified columns carry the alias and the lower-cased column name", () => {
    expect(show(ok("P.Gender_Concept_ID"))).toBe("p.gender_concept_id:integer");
  });

  it("unqualified columns resolve when exactly one table has them", () => {
    expect(show(ok("gender"))).toBe("p.gender:string");
    expect(show(ok("concept_code"))).toBe("c.concept_code:string");
  });

  it("AMBIGUOUS_COLUMN when several tables have the column", () => {
    const i = oneIssue("id + 1");
    expect([i.code, i.offset, i.length, i.message, i.hint]).toEqual([
      "AMBIGUOUS_COLUMN", 0, 2, '"id" is ambiguous: it is a column of "p", "c".', "Qualify it, e.g. p.id.",
    ]);
  });

  it("UNKNOWN_COLUMN on a qualified name, with the table description and did-you-mean", () => {
    const i = oneIssue("p.gender_concept = 8507");
    expect([i.code, i.offset, i.length, i.at]).toEqual(["UNKNOWN_COLUMN", 2, 14, "gender_concept"]);
    expect(`${i.message} ${i.hint}`).toBe('"gender_concept" is not a column of "p" (source.patients). Did you mean "gender_concept_id"?');
  });

  it("UNKNOWN_COLUMN on an unqualified name suggests across all visible columns", () => {
    const i = oneIssue("vocabulary = 'SNOMED'");
    expect(i.message).toBe('"vocabulary" is not a column of any table in scope ("p", "c").');
    expect(i.hint).toBe('Did you mean "vocabulary_id"?');
    expect(oneIssue("zzzzzz").hint).toBeUndefined();
  });

  it("UNKNOWN_ALIAS with did-you-mean over aliases", () => {
    const s: ExprScope = { tables: [{ alias: "person", columns: new Map<string, ValueType>([["person_id", "integer"]]) }] };
    const i = oneIssue("persn.person_id", {}, s);
    expect([i.code, i.at, i.message, i.hint]).toEqual([
      "UNKNOWN_ALIAS", "persn", '"persn" is not a table alias in scope ("person").', 'Did you mean "person"?',
    ]);
  });

  it("an empty scope says so", () => {
    expect(oneIssue("x", {}, { tables: [] }).message).toBe('"x" is not a column: no table is in scope here.');
    expect(oneIssue("t.x", {}, { tables: [] }).message).toBe('"t" is not a table alias: no table is in scope here.');
  });

  it("tables with unknown columns resolve anything as any", () => {
    expect(show(ok("u.whatever + 1", {}, scopeWithUntyped))).toBe("(+:any u.whatever:any 1:integer)");
    // a typed table that has the column wins over an untyped one
    expect(show(ok("gender", {}, scopeWithUntyped))).toBe("p.gender:string");
    // otherwise the single untyped table takes it
    expect(show(ok("mystery", {}, scopeWithUntyped))).toBe("u.mystery:any");
    const two: ExprScope = { tables: [...scopeWithUntyped.tables, { alias: "w", columns: "any" }] };
    expect(oneIssue("mystery", {}, two).code).toBe("AMBIGUOUS_COLUMN");
    // any is compatible with everything
    expect(ok("u.x = p.birth_date AND u.y || 'a' = 'b' AND u.z", { expected: "boolean" }, scopeWithUntyped).type).toBe("boolean");
  });

  it("column maps with mixed-case keys are normalised", () => {
    const s: ExprScope = { tables: [{ alias: "T", columns: new Map<string, ValueType>([["PersonID", "integer"]]) }] };
    expect(show(ok("t.personid", {}, s))).toBe("T.personid:integer");
  });
});

describe("issues are collected across one expression", () => {
  it("reports every unknown column and function, ordered by offset", () => {
    const text = "concat(p.gendr, lowr(c.vocab), q.x) || nosuch";
    const issues = fails(text);
    expect(issues.map((i) => [i.code, text.slice(i.offset, i.offset + i.length)])).toEqual([
      ["UNKNOWN_COLUMN", "gendr"],
      ["UNKNOWN_FUNCTION", "lowr"],
      ["UNKNOWN_COLUMN", "vocab"],
      ["UNKNOWN_ALIAS", "q"],
      ["UNKNOWN_COLUMN", "nosuch"],
    ]);
  });

  it("a failed node causes no follow-on type errors", () => {
    const issues = fails("p.gendr + 1 = 'x' AND p.nope");
    expect(issues.map((i) => i.code)).toEqual(["UNKNOWN_COLUMN", "UNKNOWN_COLUMN"]);
  });

  it("issueToDiagnostic maps offsets through the caller's locator", () => {
    const r = analyzeExpression("p.gender_concept = 1", scope);
    const d = issueToDiagnostic(r.issues[0]!, (offset) => ({ file: "dml/person.yaml", line: 12, column: 20 + offset }));
    expect(d).toEqual({
      code: "UNKNOWN_COLUMN",
      severity: "error",
      message: '"gender_concept" is not a column of "p" (source.patients).',
      hint: 'Did you mean "gender_concept_id"?',
      location: { file: "dml/person.yaml", line: 12, column: 22, endLine: 12, endColumn: 36 },
    });
  });
});

describe("walkers", () => {
  it("columnsReferenced lists distinct columns in order of appearance", () => {
    const e = ok("CASE WHEN p.active THEN p.id ELSE c.concept_id END + p.id + coalesce(c.concept_id, p.gender_concept_id)");
    expect(columnsReferenced(e)).toEqual([
      { table: "p", column: "active" },
      { table: "p", column: "id" },
      { table: "c", column: "concept_id" },
      { table: "p", column: "gender_concept_id" },
    ]);
    const w = ok("lag(p.weight) over (partition by c.id order by p.birth_date)", { allowWindows: true });
    expect(columnsReferenced(w).map((c) => `${c.table}.${c.column}`)).toEqual(["p.weight", "c.id", "p.birth_date"]);
    expect(columnsReferenced(ok("p.birth_date - 1 BETWEEN DATE '2000-01-01' AND current_date"))).toEqual([{ table: "p", column: "birth_date" }]);
  });

  it("containsAggregate / containsWindow", () => {
    expect(containsAggregate(ok("coalesce(max(p.id), 0)", { allowAggregates: true }))).toBe(true);
    expect(containsAggregate(ok("coalesce(p.id, 0)"))).toBe(false);
    expect(containsAggregate(ok("sum(p.id) over ()", { allowWindows: true }))).toBe(false);
    expect(containsAggregate(ok("sum(count(*)) over ()", { allowWindows: true, allowAggregates: true }))).toBe(true);
    expect(containsWindow(ok("1 + row_number() over (order by p.id)", { allowWindows: true }))).toBe(true);
    expect(containsWindow(ok("count(*)", { allowAggregates: true }))).toBe(false);
  });
});
