/**
 * omopetl as a library: compile workflows, load the CDM spec, read plans. The CLI is a thin wrapper over this.
 */
export { compileWorkflow, DEFAULT_SCHEMAS, ID_MAP_TABLE } from "./core/compile/compile-workflow.js";
export type { CompileOptions, CompileResult } from "./core/compile/compile-workflow.js";
export type { ParamOverride, ParamValue } from "./core/compile/params.js";
export { canonicalJson } from "./core/compile/canonical-json.js";
export { OmopetlError, compareDiagnostics, hasErrors } from "./core/diagnostics/diagnostic.js";
export type { Diagnostic, Severity, SourceLocation } from "./core/diagnostics/diagnostic.js";
export { formatDiagnostic, codeFrame, summarize } from "./core/diagnostics/format.js";
export { toDot, toMermaid } from "./core/graph/render-graph.js";
export * from "./core/model/plan.js";
export type { Expr, ValueType, CastType } from "./core/expr/ast.js";
export { SpecificationManager } from "./core/spec/specification-manager.js";
export type { SpecificationManagerOptions } from "./core/spec/specification-manager.js";
export type { CdmSpec, CdmTable, CdmColumn, CdmVersion, CdmDataType } from "./core/spec/spec-model.js";
export { jsonSchemas } from "./core/model/json-schemas.js";
