import { didYouMean } from "../diagnostics/did-you-mean.js";
import type { YamlPath } from "../yaml/yaml-file.js";
import { MappedYamlFile } from "../yaml/mapped-yaml-file.js";
import type { AnalysisContext } from "./analysis-context.js";
import { derivedColumnType, derivedUnknownColumn } from "./compile-errors.js";
import type { LoadedStep } from "./load-workflow.js";
import { parseRef } from "./table-catalog.js";

/** A source column a derivation reads, by role, with the type it must have and where it was named (or defaulted). */
export interface SourceColumn {
  role: string;
  column: string;
  /** What the column must hold. */
  expect: "integer" | "date" | "number" | "date_or_datetime" | "text";
  /** Where a finding about it is reported (a path of the file as written). */
  path: YamlPath;
  /** The DML field naming it, for the fix ("columns.start"). */
  field: string;
}

/** One table a derivation reads and the columns it needs of it. */
export interface SourceCheck {
  /** "era", "observation period": whose column it is, in messages. */
  owner: string;
  table: string;
  columns: SourceColumn[];
}

const EXPECTED: Record<SourceColumn["expect"], { kinds: readonly string[]; label: string }> = {
  integer: { kinds: ["integer", "bigint"], label: "integer" },
  date: { kinds: ["date"], label: "date" },
  number: { kinds: ["integer", "bigint", "float"], label: "number" },
  date_or_datetime: { kinds: ["date", "datetime"], label: "date or datetime" },
  text: { kinds: ["varchar"], label: "varchar" },
};

/**
 * Checks the columns a derivation (`kind: era`, `kind: observation_period`) reads against its source tables before
 * the transform it expanded into is analyzed: a missing or mistyped column is reported at the DML field naming it
 * (or at `source:` when defaulted), in the derivation's words, rather than as a type error inside a generated stage.
 * Returns false when it reported an error. A source whose columns are unknown (its writer failed, a sql step
 * declared none) is left to the transform's analysis.
 */
export function checkDerivationSources(step: LoadedStep, checks: readonly SourceCheck[], ctx: AnalysisContext): boolean {
  const y = step.yaml;
  // The checks' paths are the derivation's own fields (columns.start, source:), not paths of the expanded transform.
  const at = (path: YamlPath) => (y instanceof MappedYamlFile ? y.locateWritten(path) : y.locate(path));
  let ok = true;
  for (const check of checks) {
    const table = ctx.catalog.get(parseRef(check.table));
    if (!table || table.columns === "any") continue;
    const names = table.columns.map((c) => c.name);
    for (const c of check.columns) {
      const def = table.columns.find((d) => d.name === c.column.toLowerCase());
      if (!def) {
        ctx.diagnostics.push(derivedUnknownColumn(at(c.path), c.column, `${check.owner}'s ${c.role}`, check.table, c.field, didYouMean(c.column, names)));
        ok = false;
        continue;
      }
      const want = EXPECTED[c.expect];
      if (!want.kinds.includes(def.type.kind)) {
        ctx.diagnostics.push(derivedColumnType(at(c.path), c.column, `${check.owner}'s ${c.role}`, check.table, want.label, def.type.kind, c.field));
        ok = false;
      }
    }
  }
  return ok;
}
