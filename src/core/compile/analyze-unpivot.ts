import type { Expr, ValueType } from "../expr/ast.js";
import { issueToDiagnostic } from "../expr/expr-errors.js";
import { analyzeExpression, type ScopeTable } from "../expr/index.js";
import type { UnpivotDml } from "../model/dml-schema.js";
import { SUB_SELECT_SCHEMA, type Join } from "../model/plan.js";
import type { YamlFile, YamlPath } from "../yaml/yaml-file.js";
import type { AnalysisContext } from "./analysis-context.js";
import type { AnalyzedSubSelect } from "./analyze-sub-selects.js";
import { RANGE_MAX } from "./analyze-values.js";
import { unpivotEmpty, unpivotTypeMismatch } from "./compile-errors.js";
import { and, bin, col, isNull, lit, mapExpr } from "./expr-builders.js";
import { substituteAsLiteral } from "./params.js";

/**
 * A select's `unpivot:` after analysis. It compiles into plain plan constructs, so every provider renders it with
 * what it already has: an inner join (ON TRUE) on an implicit VALUES table of the slot numbers, whose column `slot`
 * is the alias's `slot`; `<alias>.value` expanded into `CASE <alias>.slot WHEN 1 THEN <first column> ... END`
 * wherever it is used; and a WHERE part that skips the empty values (NULL, and '' for text), which the row
 * accounting counts under its own reason.
 */
export interface AnalyzedUnpivot {
  alias: string;
  /** The implicit table of slot numbers (its key: slot). */
  slots: AnalyzedSubSelect;
  join: Join;
  /** The alias as the select's expressions see it: slot (integer) and value (the columns' type). */
  scope: ScopeTable;
  /** The value of a row: CASE over the slot. */
  value: Expr;
  /** True for the rows whose value is not empty. */
  nonEmpty: Expr;
  /** The row accounting's reason for the rows `nonEmpty` drops. */
  reason: string;
}

/** One column to unpivot: its slot number, its expression text, and where its text is. */
interface SlotColumn {
  slot: number;
  text: string | number | boolean | null;
  path: YamlPath;
  /** Maps an offset into `text` back to an offset into the YAML scalar (a pattern's expansion), or undefined. */
  offset?: (o: number) => number;
}

const PATTERN = /\{\s*(\d+)\s*\.\.\s*(\d+)\s*\}/g;

/**
 * The columns of `unpivot.columns`: a list (slots 1..n in order), or a pattern with one `{a..b}` slot range (slots
 * a..b, each substituted into the text; `{01..10}` pads to the width written). A string saying why it names no
 * column otherwise.
 */
function slotColumns(u: UnpivotDml, path: YamlPath): SlotColumn[] | string {
  if (Array.isArray(u.columns)) return u.columns.map((text, i) => ({ slot: i + 1, text, path: [...path, "columns", i] }));
  const text = u.columns;
  const ranges = [...text.matchAll(PATTERN)];
  if (ranges.length === 0) return "a single pattern needs one slot range {a..b} (or write a list of columns)";
  if (ranges.length > 1) return "a pattern takes one slot range {a..b}";
  const m = ranges[0]!;
  const [a, b] = [Number(m[1]), Number(m[2])];
  if (b < a) return `the range {${m[1]}..${m[2]}} is empty (${b} < ${a})`;
  if (b - a + 1 > RANGE_MAX) return `the range {${m[1]}..${m[2]}} has ${b - a + 1} slots, more than ${RANGE_MAX}`;
  const width = m[1]!.startsWith("0") ? m[1]!.length : 0;
  const start = m.index;
  const end = start + m[0].length;
  const out: SlotColumn[] = [];
  for (let slot = a; slot <= b; slot++) {
    const n = String(slot).padStart(width, "0");
    const expanded = text.slice(0, start) + n + text.slice(end);
    // Offsets before the range are the scalar's; inside or after it, the range's own position.
    out.push({ slot, text: expanded, path: [...path, "columns"], offset: (o) => (o < start ? o : o >= start + n.length ? o - n.length + m[0].length : start) });
  }
  return out;
}

/** The common type of the unpivoted columns: equal types, integer with bigint, or untyped (`any`) columns. */
function commonType(a: ValueType, b: ValueType): ValueType | undefined {
  if (a === b) return a;
  if (a === "any" || a === "null") return b;
  if (b === "any" || b === "null") return a;
  if ((a === "integer" && b === "bigint") || (a === "bigint" && b === "integer")) return "bigint";
  return undefined;
}

/**
 * Analyzes a select's `unpivot:` over the tables in `scope` (its from and joins): each column is checked like an
 * expression (an unknown column is UNKNOWN_COLUMN at the list item or pattern), every column must have one type
 * (UNPIVOT_TYPE_MISMATCH at the first that differs), a pattern must name at least one column (UNPIVOT_EMPTY).
 * Undefined when it has errors (reported).
 */
export function analyzeUnpivot(u: UnpivotDml, path: YamlPath, y: YamlFile, ctx: AnalysisContext, scope: readonly ScopeTable[]): AnalyzedUnpivot | undefined {
  const base = [...path, "unpivot"];
  const slots = slotColumns(u, base);
  if (typeof slots === "string") {
    ctx.diagnostics.push(unpivotEmpty(y.locate([...base, "columns"]), String(u.columns), slots));
    return undefined;
  }
  const columns: { slot: number; expr: Expr; label: string; path: YamlPath }[] = [];
  let failed = false;
  for (const c of slots) {
    const text = typeof c.text === "string" ? substituteAsLiteral(c.text, ctx.params) : c.text;
    const result = analyzeExpression(text, { tables: [...scope] });
    for (const issue of result.issues) {
      if (issue.severity === "error") failed = true;
      const exact = typeof c.text === "string" && text === c.text;
      ctx.diagnostics.push(issueToDiagnostic(issue, (o) => (exact ? y.locateInScalar(c.path, c.offset ? c.offset(o) : o) : y.locate(c.path))));
    }
    if (result.expr) columns.push({ slot: c.slot, expr: result.expr, label: String(text), path: c.path });
  }
  if (failed || columns.length !== slots.length) return undefined;
  let type: ValueType = columns[0]!.expr.type;
  for (const c of columns.slice(1)) {
    const t = commonType(type, c.expr.type);
    if (!t) {
      const first = columns.find((x) => commonType(x.expr.type, type) !== undefined && x.expr.type !== "any") ?? columns[0]!;
      ctx.diagnostics.push(unpivotTypeMismatch(y.locate(c.path), c.label, c.expr.type, first.label, first.expr.type));
      return undefined;
    }
    type = t;
  }
  const alias = u.as;
  const [a, b] = [columns[0]!.slot, columns[columns.length - 1]!.slot];
  const name = `__slots_${a}_${b}`;
  const slotsTable: AnalyzedSubSelect = {
    name,
    columns: [{ name: "slot", type: { kind: "integer" }, required: false }],
    values: columns.map((c) => [lit(c.slot)]),
    reads: new Set(),
    key: ["slot"],
  };
  const slot = col(alias, "slot", "integer");
  const value: Expr = { k: "case", operand: slot, whens: columns.map((c) => ({ when: lit(c.slot), then: c.expr })), type };
  const nonEmpty = type === "string" ? and(isNull(value, true), bin("<>", value, lit(""))) : isNull(value, true);
  return {
    alias,
    slots: slotsTable,
    join: { type: "inner", table: { schema: SUB_SELECT_SCHEMA, name }, alias, on: lit(true), role: "user", sub: name, unpivot: alias },
    scope: { alias, columns: new Map<string, ValueType>([["slot", "integer"], ["value", type]]), description: `unpivot ${alias}` },
    value,
    nonEmpty,
    reason: `empty value in unpivot ${alias} (slot skipped)`,
  };
}

/** `e` with each `<alias>.value` of the unpivot replaced by its CASE over the slot. */
export function expandUnpivot(e: Expr, u: AnalyzedUnpivot): Expr {
  return mapExpr(e, (n) => (n.k === "col" && n.table === u.alias && n.column === "value" ? u.value : undefined));
}
