import type { CastType, Expr } from "../expr/ast.js";
import { isIsoDate, isIsoDateTime } from "../expr/types.js";
import type { ValuesTableDml } from "../model/dml-schema.js";
import type { ColumnDef } from "../model/plan.js";
import type { YamlFile } from "../yaml/yaml-file.js";
import type { AnalysisContext } from "./analysis-context.js";
import type { AnalyzedSubSelect } from "./analyze-sub-selects.js";
import { castTypeLabel, parseColumnType } from "./column-types.js";
import { valuesBadValue, valuesRowLength } from "./compile-errors.js";
import { cast, lit } from "./expr-builders.js";

const INT32_MAX = 2147483647;

/** The name of the one-row table a select without `from` reads, and its one column. */
export const ONE_ROW_TABLE = "__one_row";

/**
 * A `values:` table as the plan carries it: its columns with their declared types, and each value as a literal of
 * its column's type (cast where the literal's own type differs, so every engine types the VALUES columns alike).
 * Every value is checked here (VALUES_BAD_VALUE, VALUES_ROW_LENGTH at the value or row): rows are data, not
 * expressions, so a text value is text even when it looks like a column name.
 */
export function analyzeValuesTable(name: string, t: ValuesTableDml, y: YamlFile, ctx: AnalysisContext): AnalyzedSubSelect | undefined {
  const columns: ColumnDef[] = Object.entries(t.columns).map(([c, type]) => ({ name: c.toLowerCase(), type: parseColumnType(type), required: false }));
  const rows: Expr[][] = [];
  let ok = true;
  for (const [i, row] of t.rows.entries()) {
    const at = ["values", name, "rows", i];
    if (row.length !== columns.length) {
      ctx.diagnostics.push(valuesRowLength(y.locate(at), name, i + 1, row.length, columns.length));
      ok = false;
      continue;
    }
    const out: Expr[] = [];
    for (const [j, v] of row.entries()) {
      const c = columns[j]!;
      const r = cell(v, c.type);
      if (typeof r === "string") {
        ctx.diagnostics.push(valuesBadValue(y.locate([...at, j]), name, c.name, i + 1, JSON.stringify(v), castTypeLabel(c.type), r));
        ok = false;
      } else out.push(r);
    }
    rows.push(out);
  }
  return ok ? { name, columns, values: rows, reads: new Set(), key: [] } : undefined;
}

/** The most numbers a range(a, b) writes into the SQL (as VALUES rows). */
export const RANGE_MAX = 10_000;

/**
 * `range(a, b)`: the integers a..b (both included) as a table with one column `n`, its key; `a` and `b` are integer
 * literals or integer params (`${params.x}`). A string saying why otherwise.
 */
export function rangeTable(text: string, params: Record<string, string | number | boolean>): AnalyzedSubSelect | string {
  const m = /^range\(\s*([^,()]+?)\s*,\s*([^,()]+?)\s*\)$/i.exec(text.trim());
  if (!m) return "it takes two arguments, range(a, b)";
  const bound = (arg: string): number | string => {
    const p = /^\$\{params\.([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(arg);
    const v = p ? params[p[1]!] : Number(arg);
    if (p && v === undefined) return `the parameter ${p[1]} is not declared`;
    if (typeof v !== "number" || !Number.isSafeInteger(v)) return `${arg} is not an integer`;
    return v;
  };
  const a = bound(m[1]!);
  const b = bound(m[2]!);
  if (typeof a === "string") return a;
  if (typeof b === "string") return b;
  if (b < a) return `it would be empty (${b} < ${a})`;
  if (b - a + 1 > RANGE_MAX) return `it has ${b - a + 1} numbers, more than ${RANGE_MAX}`;
  const rows: Expr[][] = [];
  for (let i = a; i <= b; i++) rows.push([lit(i)]);
  const type: CastType = Math.max(Math.abs(a), Math.abs(b)) > INT32_MAX ? { kind: "bigint" } : { kind: "integer" };
  return { name: `__range_${a < 0 ? `m${-a}` : a}_${b < 0 ? `m${-b}` : b}`, columns: [{ name: "n", type, required: false }], values: rows.map((r) => (type.kind === "bigint" ? [cast(r[0]!, type)] : r)), reads: new Set(), key: ["n"] };
}

/** The one-row table a select without `from` reads. */
export function oneRowTable(): AnalyzedSubSelect {
  return { name: ONE_ROW_TABLE, columns: [{ name: "one", type: { kind: "integer" }, required: false }], values: [[lit(1)]], reads: new Set() };
}

/** A value as a typed literal, or why it is not one (the hint of VALUES_BAD_VALUE). */
function cell(v: string | number | boolean | null, type: CastType): Expr | string {
  if (v === null) return cast(lit(null), type);
  switch (type.kind) {
    case "varchar":
      if (typeof v !== "string") return `Quote it: '${String(v)}' (text columns take text, so that 01 and 1 stay distinct).`;
      if (type.length !== undefined && [...v].length > type.length) return `It has ${[...v].length} characters; the column holds ${type.length}.`;
      return lit(v);
    case "integer":
    case "bigint":
      if (typeof v !== "number" || !Number.isSafeInteger(v)) return "Write a whole number, unquoted.";
      if (type.kind === "integer" && Math.abs(v) > INT32_MAX) return "It is outside the integer range; declare the column bigint.";
      return type.kind === "bigint" ? cast(lit(v), type) : lit(v);
    case "float":
      if (typeof v !== "number") return "Write a number, unquoted.";
      return cast({ k: "lit", value: v, type: "float" }, type);
    case "boolean":
      if (typeof v !== "boolean") return "Write true or false.";
      return lit(v);
    case "date":
      if (typeof v !== "string" || !isIsoDate(v)) return "Write a date as 'YYYY-MM-DD' (a real calendar date).";
      return cast(lit(v), type);
    case "datetime":
      if (typeof v !== "string" || !(isIsoDateTime(v) || isIsoDate(v))) return "Write a datetime as 'YYYY-MM-DD HH:MM:SS'.";
      return cast(lit(v), type);
  }
}
