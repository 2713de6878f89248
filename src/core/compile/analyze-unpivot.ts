import type { Expr, ValueType } from "../expr/ast.js";
import { issueToDiagnostic } from "../expr/expr-errors.js";
import { analyzeExpression, type ScopeTable } from "../expr/index.js";
import type { UnpivotDml } from "../model/dml-schema.js";
import { SUB_SELECT_SCHEMA, type Join } from "../model/plan.js";
import type { YamlFile, YamlPath } from "../yaml/yaml-file.js";
import type { AnalysisContext } from "./analysis-context.js";
import type { AnalyzedSubSelect } from "./analyze-sub-selects.js";
import { RANGE_MAX } from "./analyze-values.js";
import { unpivotEmpty, unpivotSlotName, unpivotSlotsMismatch, unpivotTypeMismatch } from "./compile-errors.js";
import { and, bin, col, isNull, lit, mapExpr, or } from "./expr-builders.js";
import { substituteAsLiteral } from "./params.js";

/**
 * A select's `unpivot:` after analysis. It compiles into plain plan constructs, so every provider renders it with
 * what it already has: an inner join (ON TRUE) on an implicit VALUES table of the slot numbers, whose column `slot`
 * is the alias's `slot`; `<alias>.value` (or each `<alias>.<name>` of a map of columns) expanded into
 * `CASE <alias>.slot WHEN 1 THEN <first column> ... END` wherever it is used; and a WHERE part that skips the empty
 * slots (every value NULL, or '' for text), which the row accounting counts under its own reason.
 */
export interface AnalyzedUnpivot {
  alias: string;
  /** The implicit table of slot numbers (its key: slot). */
  slots: AnalyzedSubSelect;
  join: Join;
  /** The alias as the select's expressions see it: slot (integer) and value (the columns' type). */
  scope: ScopeTable;
  /** Each value column (`value`, or the names of a map of columns): CASE over the slot. */
  values: ReadonlyMap<string, Expr>;
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
function slotColumns(columns: string | readonly (string | number | boolean | null)[], path: YamlPath): SlotColumn[] | string {
  if (Array.isArray(columns)) return columns.map((text, i) => ({ slot: i + 1, text, path: [...path, i] }));
  const text = columns as string;
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
    out.push({ slot, text: expanded, path, offset: (o) => (o < start ? o : o >= start + n.length ? o - n.length + m[0].length : start) });
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

/** One value column of an unpivot: its name and, per slot, the column it takes the value from. */
interface ValueGroup {
  name: string;
  /** Where the group's columns are written (the pattern or list). */
  path: YamlPath;
  columns: { slot: number; expr: Expr; label: string; path: YamlPath }[];
  type: ValueType;
}

/**
 * One value column's columns (a pattern or list), each checked like an expression over `scope` (an unknown column
 * is UNKNOWN_COLUMN at the list item or pattern), all of one type (UNPIVOT_TYPE_MISMATCH at the first that differs),
 * at least one (UNPIVOT_EMPTY). Undefined when it has errors (reported).
 */
function analyzeGroup(
  name: string,
  columns: string | readonly (string | number | boolean | null)[],
  path: YamlPath,
  y: YamlFile,
  ctx: AnalysisContext,
  scope: readonly ScopeTable[],
): ValueGroup | undefined {
  const slots = slotColumns(columns, path);
  if (typeof slots === "string") {
    ctx.diagnostics.push(unpivotEmpty(y.locate(path), String(columns), slots));
    return undefined;
  }
  const out: ValueGroup["columns"] = [];
  let failed = false;
  for (const c of slots) {
    const text = typeof c.text === "string" ? substituteAsLiteral(c.text, ctx.params) : c.text;
    const result = analyzeExpression(text, { tables: [...scope] });
    for (const issue of result.issues) {
      if (issue.severity === "error") failed = true;
      const exact = typeof c.text === "string" && text === c.text;
      ctx.diagnostics.push(issueToDiagnostic(issue, (o) => (exact ? y.locateInScalar(c.path, c.offset ? c.offset(o) : o) : y.locate(c.path))));
    }
    if (result.expr) out.push({ slot: c.slot, expr: result.expr, label: String(text), path: c.path });
  }
  if (failed || out.length !== slots.length) return undefined;
  let type: ValueType = out[0]!.expr.type;
  for (const c of out.slice(1)) {
    const t = commonType(type, c.expr.type);
    if (!t) {
      const first = out.find((x) => commonType(x.expr.type, type) !== undefined && x.expr.type !== "any") ?? out[0]!;
      ctx.diagnostics.push(unpivotTypeMismatch(y.locate(c.path), c.label, c.expr.type, first.label, first.expr.type));
      return undefined;
    }
    type = t;
  }
  return { name, path, columns: out, type };
}

/**
 * Analyzes a select's `unpivot:` over the tables in `scope` (its from table): one value column (`columns` a pattern
 * or list: `<as>.value`) or several (`columns` a map name -> pattern or list: `<as>.<name>` each, over the same slots,
 * else UNPIVOT_SLOTS_MISMATCH). Undefined when it has errors (reported).
 */
export function analyzeUnpivot(u: UnpivotDml, path: YamlPath, y: YamlFile, ctx: AnalysisContext, scope: readonly ScopeTable[]): AnalyzedUnpivot | undefined {
  const base = [...path, "unpivot", "columns"];
  const entries: [string, string | readonly (string | number | boolean | null)[], YamlPath][] =
    typeof u.columns === "string" || Array.isArray(u.columns)
      ? [["value", u.columns, base]]
      : Object.entries(u.columns).map(([name, c]) => [name.toLowerCase(), c, [...base, name]]);
  const groups: ValueGroup[] = [];
  for (const [name, columns, p] of entries) {
    if (name === "slot") {
      ctx.diagnostics.push(unpivotSlotName(y.locate(p, "key")));
      continue;
    }
    const g = analyzeGroup(name, columns, p, y, ctx, scope);
    if (g) groups.push(g);
  }
  const slotsOf = (g: ValueGroup) => g.columns.map((c) => c.slot);
  let ok = groups.length === entries.length;
  const first = groups[0];
  for (const g of groups.slice(1)) {
    if (slotsOf(g).join(",") !== slotsOf(first!).join(",")) {
      ctx.diagnostics.push(unpivotSlotsMismatch(y.locate(g.path), g.name, slotsOf(g), first!.name, slotsOf(first!)));
      ok = false;
    }
  }
  if (!ok || !first) return undefined;
  const alias = u.as;
  const slotNumbers = slotsOf(first);
  const [a, b] = [slotNumbers[0]!, slotNumbers[slotNumbers.length - 1]!];
  const name = `__slots_${a}_${b}`;
  const slotsTable: AnalyzedSubSelect = {
    name,
    columns: [{ name: "slot", type: { kind: "integer" }, required: false }],
    values: slotNumbers.map((n) => [lit(n)]),
    reads: new Set(),
    key: ["slot"],
  };
  const slot = col(alias, "slot", "integer");
  const values = new Map<string, Expr>(
    groups.map((g) => [g.name, { k: "case", operand: slot, whens: g.columns.map((c) => ({ when: lit(c.slot), then: c.expr })), type: g.type } as Expr]),
  );
  // A slot is skipped when every value column is empty there: a slot with any value keeps its row.
  const filled = (v: Expr): Expr => (v.type === "string" ? and(isNull(v, true), bin("<>", v, lit(""))) : isNull(v, true));
  const nonEmpty = or(...[...values.values()].map(filled));
  return {
    alias,
    slots: slotsTable,
    join: { type: "inner", table: { schema: SUB_SELECT_SCHEMA, name }, alias, on: lit(true), role: "user", sub: name, unpivot: alias },
    scope: { alias, columns: new Map<string, ValueType>([["slot", "integer"], ...groups.map((g) => [g.name, g.type] as [string, ValueType])]), description: `unpivot ${alias}` },
    values,
    nonEmpty,
    reason: `empty value in unpivot ${alias} (slot skipped)`,
  };
}

/** `e` with each value column of the unpivot (`<alias>.value`, or `<alias>.<name>`) replaced by its CASE over the slot. */
export function expandUnpivot(e: Expr, u: AnalyzedUnpivot): Expr {
  return mapExpr(e, (n) => (n.k === "col" && n.table === u.alias ? u.values.get(n.column) : undefined));
}
