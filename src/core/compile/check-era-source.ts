import { didYouMean } from "../diagnostics/did-you-mean.js";
import type { AnalysisContext } from "./analysis-context.js";
import { eraColumnType, eraUnknownColumn } from "./compile-errors.js";
import type { EraSourceCheck } from "./expand-era.js";
import type { LoadedStep } from "./load-workflow.js";
import { parseRef } from "./table-catalog.js";
import { MappedYamlFile } from "../yaml/mapped-yaml-file.js";

const EXPECTED: Record<string, { kinds: readonly string[]; label: string }> = {
  integer: { kinds: ["integer", "bigint"], label: "integer" },
  date: { kinds: ["date"], label: "date" },
  number: { kinds: ["integer", "bigint", "float"], label: "number" },
};

/**
 * Checks the columns an era reads against its source table before the transform it expanded into is analyzed:
 * a missing or mistyped column is reported at the DML field naming it (or at `source:` when defaulted), in the
 * era's words, rather than as a type error inside a generated stage. Returns false when it reported an error.
 * A source whose columns are unknown (its writer failed, a sql step declared none) is left to the run.
 */
export function checkEraSource(step: LoadedStep, check: EraSourceCheck, ctx: AnalysisContext): boolean {
  const table = ctx.catalog.get(parseRef(check.table));
  if (!table || table.columns === "any") return true;
  const y = step.yaml;
  // The check's paths are the era's own fields (columns.start, source:), not paths of the expanded transform.
  const at = (path: readonly (string | number)[]) => (y instanceof MappedYamlFile ? y.locateWritten(path) : y.locate(path));
  const names = table.columns.map((c) => c.name);
  let ok = true;
  for (const c of check.columns) {
    const def = table.columns.find((d) => d.name === c.column.toLowerCase());
    if (!def) {
      ctx.diagnostics.push(eraUnknownColumn(at(c.path), c.column, c.role, check.table, check.field(c.role), didYouMean(c.column, names)));
      ok = false;
      continue;
    }
    const want = EXPECTED[c.expect]!;
    if (!want.kinds.includes(def.type.kind)) {
      ctx.diagnostics.push(eraColumnType(at(c.path), c.column, c.role, check.table, want.label, def.type.kind, check.field(c.role)));
      ok = false;
    }
  }
  return ok;
}
