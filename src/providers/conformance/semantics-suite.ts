/**
 * Result-level conformance: every case of the semantics catalogue is compiled by the expression checker, rendered by
 * the provider as a transform step (the way a workflow runs it) and executed; the values read back must be the
 * catalogue's. One test per catalogue entry; a failure lists every case of the entry that differs.
 */
import type { CastType, Expr, ValueType } from "../../core/expr/ast.js";
import { analyzeExpression } from "../../core/expr/index.js";
import type { ExprScope } from "../../core/expr/scope.js";
import type { TableDef } from "../../core/model/plan.js";
import type { RenderContext } from "../provider-api.js";
import type { ConformanceHarness } from "./conformance-harness.js";
import * as b from "./plan-builders.js";
import { SEMANTICS_CATALOGUE, SEMANTICS_ROWS, type SemanticsCase, type SemanticsEntry, type SemanticsValue } from "./semantics-catalogue.js";
import type { ConformanceExpect } from "./test-api.js";

const ROWS_TABLE = b.tableDef("source", "semantics_rows", [b.column("x", b.INT), b.column("g", b.varchar()), b.column("y", b.INT)]);
const SCOPE: ExprScope = {
  tables: [
    {
      alias: "v",
      columns: new Map<string, ValueType>([
        ["x", "integer"],
        ["g", "string"],
        ["y", "integer"],
      ]),
      description: "the semantics rows",
    },
  ],
};
const ROWS_CSV = ["x,g,y", ...SEMANTICS_ROWS.map((r) => `${r.x},${r.g},${r.y ?? ""}`)].join("\n") + "\n";
const X = b.col("v", "x", "integer");

/** The column type a result of `t` is stored in. */
function storedAs(t: ValueType): CastType {
  switch (t) {
    case "integer":
    case "bigint":
    case "float":
    case "date":
    case "datetime":
    case "boolean":
      return { kind: t };
    default:
      return b.varchar();
  }
}

/** A case compiled by the expression checker, or why not (a catalogue defect, reported as a failure). */
function compileCase(entry: SemanticsEntry, c: SemanticsCase): Expr {
  const r = analyzeExpression(c.dml, SCOPE, { allowAggregates: entry.shape === "aggregate", allowWindows: entry.shape === "window" });
  if (!r.expr) throw new Error(`semantics catalogue: "${c.dml}" does not compile: ${r.issues.map((i) => i.message).join("; ")}`);
  return r.expr;
}

/** Whether an engine value is the promised one (numbers compared as numbers: bigint and decimal arrive as text). */
function same(actual: unknown, expected: SemanticsValue): boolean {
  if (expected === null || actual === null || actual === undefined) return expected === null && (actual === null || actual === undefined);
  if (typeof expected === "number") return Number(actual) === expected;
  return actual === expected;
}

/** Runs the cases of one entry that must produce values: all in one step, or one by one to find the failing one. */
async function valuesOf(h: ConformanceHarness, ctx: RenderContext, entry: SemanticsEntry, exprs: Expr[], tag: string): Promise<unknown[][]> {
  const window = entry.shape === "window";
  const target = b.tableDef("staging", `semantics_${tag}`, [
    ...(window ? [b.column("x", b.INT)] : []),
    ...exprs.map((e, i) => b.column(`c${i}`, storedAs(e.type))),
  ]);
  const columns: Record<string, Expr> = window ? { x: X } : {};
  exprs.forEach((e, i) => (columns[`c${i}`] = e));
  const where = entry.shape === undefined || entry.shape === "scalar" ? { where: b.eq(X, b.lit(1)) } : {};
  const sel = b.select({ table: b.ref("source", ROWS_TABLE.name), alias: "v" }, columns, where);
  const local = { ...ctx, tables: [...ctx.tables, target] };
  await h.run(b.transformStep(`semantics_${tag}`, b.ref("staging", target.name), "rebuild", target.columns, [sel]), local);
  const rows = await h.rows("staging", target.name, window ? { orderBy: [{ column: "x" }] } : {});
  return exprs.map((_, i) => rows.map((r) => r[`c${i}`]));
}

const show = (v: unknown): string => (typeof v === "string" ? JSON.stringify(v) : String(v));

/**
 * Registers one test per catalogue entry. `it` runs its callback with a fresh harness (schemas created and dropped).
 */
export function defineSemanticsTests(it: (name: string, test: (h: ConformanceHarness) => Promise<void>) => void, expect: ConformanceExpect): void {
  for (const [n, entry] of SEMANTICS_CATALOGUE.entries()) {
    it(`${entry.construct}: ${entry.cases.length} case${entry.cases.length === 1 ? "" : "s"}`, async (h) => {
      const ctx = h.context([ROWS_TABLE]);
      await h.run(b.loadStep("semantics_rows", b.ref("source", ROWS_TABLE.name), [await h.writeFile("semantics_rows.csv", ROWS_CSV)], ROWS_TABLE.columns), ctx);
      const wrong: string[] = [];
      const valued = entry.cases.filter((c) => !isError(c.expected) && !varies(c.expected));
      const exprs = valued.map((c) => compileCase(entry, c));
      let results: unknown[][] | undefined;
      try {
        results = await valuesOf(h, ctx, entry, exprs, `${n}`);
      } catch {
        // One of them fails: run each alone, so the report names it.
        results = [];
        for (const [i, e] of exprs.entries()) {
          try {
            results.push((await valuesOf(h, ctx, entry, [e], `${n}_${i}`))[0]!);
          } catch (err) {
            wrong.push(`${valued[i]!.dml}: expected ${show(valued[i]!.expected)}, failed: ${firstLine(err)}`);
            results.push([]);
          }
        }
      }
      for (const [i, c] of valued.entries()) {
        const got = results[i]!;
        if (got.length === 0) continue;
        const want = Array.isArray(c.expected) ? c.expected : [c.expected as SemanticsValue];
        if (got.length !== want.length || got.some((v, j) => !same(v, want[j]!))) {
          wrong.push(`${c.dml}: expected ${want.map(show).join(", ")}, got ${got.map(show).join(", ")}`);
        }
      }
      for (const [i, c] of entry.cases.entries()) {
        if (!isError(c.expected)) continue;
        const e = compileCase(entry, c);
        try {
          await valuesOf(h, ctx, entry, [e], `${n}_e${i}`);
          wrong.push(`${c.dml}: expected an error, but the engine computed a value`);
        } catch {
          // refused, as promised
        }
      }
      for (const [i, c] of entry.cases.entries()) {
        if (!varies(c.expected)) continue;
        // Not promised the same value, but it must compute on every engine.
        try {
          await valuesOf(h, ctx, entry, [compileCase(entry, c)], `${n}_v${i}`);
        } catch (err) {
          wrong.push(`${c.dml}: expected a value (which one is not promised), failed: ${firstLine(err)}`);
        }
      }
      expect(wrong, `${entry.construct}: cases whose results differ from docs/semantics.md`).toEqual([]);
    });
  }
}

function isError(v: SemanticsCase["expected"]): v is { error: true } {
  return typeof v === "object" && v !== null && !Array.isArray(v) && "error" in v;
}

function varies(v: SemanticsCase["expected"]): v is { varies: true } {
  return typeof v === "object" && v !== null && !Array.isArray(v) && "varies" in v;
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0]!.slice(0, 200);
}

/** The tables the semantics tests read (for a provider's own checks). */
export const SEMANTICS_TABLES: readonly TableDef[] = [ROWS_TABLE];
