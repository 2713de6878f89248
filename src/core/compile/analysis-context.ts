import type { Diagnostic } from "../diagnostics/diagnostic.js";
import type { Expr, ValueType } from "../expr/ast.js";
import { issueToDiagnostic } from "../expr/expr-errors.js";
import { analyzeExpression, type AnalyzeOptions, type ExprScope, type ScopeTable } from "../expr/index.js";
import type { TableRef } from "../model/plan.js";
import type { ParamDecl } from "../model/workflow-schema.js";
import type { CdmSpec } from "../spec/spec-model.js";
import type { YamlFile, YamlPath } from "../yaml/yaml-file.js";
import { castTypeToValue } from "./column-types.js";
import { substituteAsLiteral, type ParamValue } from "./params.js";
import type { CatalogTable, TableCatalog } from "./table-catalog.js";

/** What every step analysis needs: the spec, the tables known so far, parameter values, and where to report. */
/** A note of the compiler: information about a step, not a problem (no severity, never an error under --strict). */
export interface CompileNote {
  /** The DML file, as diagnostics name it. */
  file: string;
  message: string;
}

export interface AnalysisContext {
  spec: CdmSpec;
  catalog: TableCatalog;
  params: Record<string, ParamValue>;
  schemas: ReadonlySet<string>;
  idMap: TableRef;
  diagnostics: Diagnostic[];
  /** Parameters the workflow declares (with or without a value). */
  declaredParams: ReadonlySet<string>;
  /** The declarations themselves (type, pattern, enum): `kind: sql` renders parameters by their declared type. */
  paramDecls: Readonly<Record<string, ParamDecl>>;
  /** What the compiler tells without it being a problem (a load's ignored header columns), per DML file. */
  notes: CompileNote[];
  /** Set while analysing a step that reads a table whose writer failed: its own follow-on errors are not reported. */
  poisoned: { value: boolean };
}

/**
 * Parses and type-checks one expression of a YAML file, reporting issues at their exact position.
 * Returns undefined when it has errors (they are already reported).
 */
export function analyzeAt(
  ctx: AnalysisContext,
  yaml: YamlFile,
  path: YamlPath,
  value: string | number | boolean | null,
  scope: ExprScope,
  opts: AnalyzeOptions = {},
): Expr | undefined {
  const text = typeof value === "string" ? substituteAsLiteral(value, ctx.params) : value;
  const result = analyzeExpression(text, scope, opts);
  let failed = false;
  for (const issue of result.issues) {
    if (issue.severity === "error") failed = true;
    ctx.diagnostics.push(
      issueToDiagnostic(issue, (offset) => (typeof value === "string" && text === value ? yaml.locateInScalar(path, offset) : yaml.locate(path))),
    );
  }
  return failed ? undefined : result.expr;
}

/** A scope entry for a catalogued table under `alias`. */
export function scopeTableFor(alias: string, table: CatalogTable | undefined, ref: TableRef): ScopeTable {
  const description = table?.cdm ? `CDM table ${table.cdm.name}` : `${ref.schema}.${ref.name}`;
  if (table?.looseColumns) return { alias, columns: new Map(table.looseColumns.map((c) => [c, "any"] as [string, ValueType])), description };
  if (!table || table.columns === "any") return { alias, columns: "any", description };
  return { alias, columns: new Map(table.columns.map((c) => [c.name, castTypeToValue(c.type)] as [string, ValueType])), description };
}
