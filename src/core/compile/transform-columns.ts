import type { CastType, Expr } from "../expr/ast.js";
import type { ColumnDef, TableRef } from "../model/plan.js";
import { didYouMean } from "../diagnostics/did-you-mean.js";
import type { YamlPath } from "../yaml/yaml-file.js";
import { analyzeAt, type AnalysisContext } from "./analysis-context.js";
import { parseColumnType, valueToCastType } from "./column-types.js";
import { requiredColumnMissing, unionColumnsMismatch, unknownTargetColumn, untypedColumn } from "./compile-errors.js";
import type { LoadedStep } from "./load-workflow.js";
import type { CatalogTable } from "./table-catalog.js";

/** What {@link transformColumns} needs of each analyzed select of a transform. */
export interface SelectColumns {
  /** Column name -> its expression and YAML path, in YAML order. */
  mapped: ReadonlyMap<string, { expr: Expr; path: YamlPath }>;
  /** Target columns suggested for a misspelt one: not reported again as "required but not mapped". */
  suggested: ReadonlySet<string>;
  path: YamlPath;
}

/**
 * The columns a transform writes, and its `defaults:` (what a select leaving a column out writes there), checking
 * that the selects of a union agree: a CDM target's columns are the table's (a nullable one left out is NULL, a
 * required one needs a mapping or default in every select); a staging target's are those any select maps, in order of
 * first appearance, then default-only ones, typed from their expressions or `column_types`. Undefined when a column's
 * type is unknown because an earlier error poisoned the step (that error says what to fix).
 */
export function transformColumns(
  step: LoadedStep,
  ctx: AnalysisContext,
  target: TableRef,
  targetTable: CatalogTable | undefined,
  analyzed: readonly SelectColumns[],
): { columns: ColumnDef[]; defaults: Map<string, { expr: Expr; path: YamlPath }> } | undefined {
  if (step.dml.kind !== "transform") return undefined;
  const t = step.dml.dml;
  const y = step.yaml;
  // defaults: what a select that omits a column writes there (a constant; null for NULL).
  const defaults = new Map<string, { expr: Expr; path: YamlPath }>();
  for (const [name, raw] of Object.entries(t.defaults ?? {})) {
    const colName = name.toLowerCase();
    const p = ["defaults", name];
    if (targetTable && targetTable.columns !== "any" && !targetTable.columns.some((c) => c.name === colName)) {
      ctx.diagnostics.push(unknownTargetColumn(y.locate(p, "key"), name, target.name, didYouMean(name, targetTable.columns.map((c) => c.name))));
      continue;
    }
    const e = analyzeAt(ctx, y, p, raw, { tables: [] });
    if (e) defaults.set(colName, { expr: e, path: p });
  }

  // The union's selects must agree on their columns, except those with a default; a CDM target's nullable columns
  // may be left out by any select (NULL, as for a single select). A staging target's column left out without a
  // default stays an error: a misspelt column would otherwise become a new column and NULLs in the intended one.
  const first = analyzed[0]!;
  const cdmColumns = targetTable && targetTable.columns !== "any" ? targetTable.columns : undefined;
  if (!cdmColumns) {
    const firstNames = [...first.mapped.keys()];
    for (const [i, a] of analyzed.entries()) {
      if (i === 0) continue;
      const names = [...a.mapped.keys()];
      const missing = firstNames.filter((n) => !a.mapped.has(n) && !defaults.has(n));
      const extra = names.filter((n) => !first.mapped.has(n) && !defaults.has(n));
      if (missing.length || extra.length) ctx.diagnostics.push(unionColumnsMismatch(y.locate([...a.path, "columns"], "key"), i, missing, extra));
    }
  }

  // Target columns: the CDM table's (all of them, unmapped nullable ones as NULL), or inferred for staging tables.
  let columns: ColumnDef[];
  if (cdmColumns) {
    columns = cdmColumns;
    for (const a of analyzed) {
      const missing = columns.filter((c) => c.required && !a.mapped.has(c.name) && !a.suggested.has(c.name) && !defaults.has(c.name)).map((c) => c.name);
      if (missing.length) ctx.diagnostics.push(requiredColumnMissing(y.locate([...a.path, "columns"], "key"), missing, target.name));
    }
  } else {
    columns = [];
    // Every column some select maps (in order of first appearance), then those only a default writes.
    const named = new Map<string, { expr: Expr; path: YamlPath }>();
    for (const a of analyzed) for (const [name, m] of a.mapped) if (!named.has(name)) named.set(name, m);
    for (const [name, d] of defaults) if (!named.has(name)) named.set(name, d);
    for (const [name, m] of named) {
      const declared = t.column_types?.[name];
      // A NULL default says nothing of the type: a select mapping the column, or column_types, does.
      const inferred: CastType | undefined = declared ? parseColumnType(declared) : valueToCastType(m.expr.type);
      if (!inferred) {
        if (ctx.poisoned.value) return undefined;
        ctx.diagnostics.push(untypedColumn(y.locate([...m.path]), name, `${target.schema}.${target.name}`, m.expr.type));
        continue;
      }
      columns.push({ name, type: inferred, required: false });
    }
  }
  return { columns, defaults };
}
