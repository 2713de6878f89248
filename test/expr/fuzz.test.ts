import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { ExprSchema } from "../../src/core/expr/ast.js";
import { analyzeExpression } from "../../src/core/expr/index.js";
import { compileFixture } from "../helpers/compile.js";
import { fixturesDir } from "../helpers/paths.js";
import { scope } from "./helpers.js";

/**
 * Property-based tests of the expression language (fast-check): whatever the text, the parser and type checker give
 * either a typed expression the plan schema accepts or at least one error located inside the text, and never throw
 * (a throw is exit 70 for the user). Fixed seeds keep the runs reproducible; fast-check prints a shrunk counterexample.
 */
const TOKENS = [
  "p.id", "p.gender", "p.birth_date", "p.weight", "p.active", "c.concept_id", "c.concept_code", "nope.x", "p.nope", "id",
  "1", "0", "2.5", "1e3", "1e999", "1e-999", "99999999999999999999", "'x'", "''", "'it''s'", "\"p\"", "TRUE", "NULL",
  "(", ")", ",", ".", "+", "-", "*", "/", "%", "||", "=", "<>", "!=", "<", "<=", ">", ">=",
  "AND", "OR", "NOT", "IS", "IN", "BETWEEN", "LIKE", "CASE", "WHEN", "THEN", "ELSE", "END", "CAST", "AS",
  "integer", "bigint", "varchar", "varchar(10)", "date", "datetime", "float", "numeric(10,2)", "boolean",
  "EXTRACT", "FROM", "YEAR", "MONTH", "coalesce", "upper", "date_diff", "'day'", "date_add", "concat", "length",
  "sum", "count", "count(*)", "max", "DISTINCT", "row_number()", "OVER", "PARTITION", "BY", "ORDER", "ASC", "DESC",
  "ROWS", "RANGE", "UNBOUNDED", "PRECEDING", "FOLLOWING", "CURRENT", "ROW", "SELECT", "--", "\n", "\t", "\u0000", "\u001b",
];

/** Token soup: mostly nonsense, often close to the grammar, so the parser's error paths are all reached. */
const tokenSoup = fc.array(fc.constantFrom(...TOKENS), { maxLength: 40 }).map((ts) => ts.join(" "));

/** Grammatical expressions (so the type checker's paths are reached too), up to a modest depth. */
const { expr: grammatical } = fc.letrec<{ expr: string }>((tie) => ({
  expr: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom("p.id", "p.gender", "p.birth_date", "p.weight", "p.active", "c.concept_id", "1", "2.5", "'a'", "NULL", "TRUE"),
    fc.tuple(tie("expr"), fc.constantFrom("+", "-", "*", "/", "%", "||", "=", "<>", "<", ">=", "AND", "OR"), tie("expr")).map(([a, op, b]) => `(${a} ${op} ${b})`),
    fc.tuple(fc.constantFrom("coalesce", "upper", "length", "concat", "abs", "round", "sum", "max"), fc.array(tie("expr"), { minLength: 1, maxLength: 3 })).map(([f, args]) => `${f}(${args.join(", ")})`),
    fc.tuple(tie("expr"), tie("expr"), tie("expr")).map(([a, b, c]) => `CASE WHEN ${a} THEN ${b} ELSE ${c} END`),
    fc.tuple(tie("expr"), fc.constantFrom("integer", "varchar", "date", "float", "boolean", "bigint")).map(([a, t]) => `CAST(${a} AS ${t})`),
    fc.tuple(tie("expr"), fc.array(tie("expr"), { minLength: 1, maxLength: 3 })).map(([a, xs]) => `${a} IN (${xs.join(", ")})`),
    tie("expr").map((a) => `NOT ${a}`),
    tie("expr").map((a) => `${a} IS NULL`),
    tie("expr").map((a) => `EXTRACT(YEAR FROM ${a})`),
  ),
}));

/** Nesting around the depth limit (200), where the parser must stop with EXPR_TOO_DEEP rather than overflow. */
const deep = fc.tuple(fc.integer({ min: 150, max: 3000 }), fc.constantFrom(["(", ")"], ["coalesce(", ", 1)"], ["NOT (", ")"], ["- (", ")"], ["CAST(", " AS integer)"]), tokenSoup).map(
  ([n, [open, close], inner]) => open!.repeat(n) + (inner || "1") + close!.repeat(n),
);

const anyText = fc.oneof(tokenSoup, grammatical, deep, fc.string({ maxLength: 60 }), fc.string({ unit: "binary", maxLength: 60 }));

function checkExpression(text: string): void {
  let result: ReturnType<typeof analyzeExpression> | undefined;
  expect(() => {
    result = analyzeExpression(text, scope, { allowAggregates: true, allowWindows: true });
  }, text).not.toThrow();
  const { expr, issues } = result!;
  if (expr) {
    const parsed = ExprSchema.safeParse(expr);
    expect(parsed.success, `${text}: ${parsed.error?.message}`).toBe(true);
  } else {
    expect(issues.some((i) => i.severity === "error"), text).toBe(true);
  }
  for (const i of issues) {
    expect(i.offset, text).toBeGreaterThanOrEqual(0);
    expect(i.length, text).toBeGreaterThanOrEqual(0);
    expect(i.offset, text).toBeLessThanOrEqual(text.length);
    expect(i.code, text).toMatch(/^[A-Z_]+$/);
  }
}

describe("expression fuzzing (fast-check)", () => {
  it("any text: a typed expression or a located error, never a throw", () => {
    fc.assert(fc.property(anyText, (text) => checkExpression(text)), { seed: 1414, numRuns: 3000 });
  });

  it("grammatical expressions: a typed expression or a located error", () => {
    fc.assert(fc.property(grammatical, (text) => checkExpression(text)), { seed: 2718, numRuns: 1000 });
  });

  it("deep nesting: EXPR_TOO_DEEP past 200 levels, never a stack overflow", () => {
    fc.assert(
      fc.property(fc.integer({ min: 201, max: 20_000 }), (n) => {
        const r = analyzeExpression("(".repeat(n) + "1" + ")".repeat(n), scope);
        expect(r.issues.map((i) => i.code)).toEqual(["EXPR_TOO_DEEP"]);
      }),
      { seed: 31, numRuns: 50 },
    );
  });

  describe("through the compiler", () => {
    const root = mkdtempSync(path.join(os.tmpdir(), "omopetl-fuzz-"));
    afterAll(() => rmSync(root, { recursive: true, force: true }));
    const dir = path.join(root, "basic");
    cpSync(path.join(fixturesDir, "compile/basic"), dir, { recursive: true });
    const person = path.join(dir, "dml/person.yaml");

    it("a column mapped to any text: a plan, or diagnostics that are all located", async () => {
      const base = (await import("node:fs")).readFileSync(person, "utf8");
      await fc.assert(
        fc.asyncProperty(anyText, async (text) => {
          // JSON string syntax is YAML double-quoted syntax: the text reaches the compiler unchanged.
          writeFileSync(person, base.replace(/^ {2}month_of_birth: .*$/m, () => `  month_of_birth: ${JSON.stringify(text)}`));
          const result = await compileFixture("workflow.yaml", dir, { source_dir: "s3://example-bucket/synthea" });
          if (result.plan) expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
          else expect(result.diagnostics.length).toBeGreaterThan(0);
          for (const d of result.diagnostics) expect(d.location, `${d.code} for ${JSON.stringify(text)}`).toBeDefined();
        }),
        { seed: 99, numRuns: 150 },
      );
    }, 120_000);
  });
});
