import type { SqlBody } from "../model/plan.js";
import type { AnalysisContext } from "./analysis-context.js";
import { parseColumnType } from "./column-types.js";
import { unknownSchemaPlaceholder } from "./compile-errors.js";
import type { LoadedStep } from "./load-workflow.js";
import { substituteRaw } from "./params.js";
import { resolveTableName } from "./step-io.js";

const SCHEMA_REF = /\$\{schemas\.([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * The escape hatch: statements are kept as written (parameters substituted; `${schemas.x}` left for the provider),
 * and what the step declares it writes is registered so later steps can be checked against it.
 */
export function analyzeSql(step: LoadedStep, ctx: AnalysisContext): SqlBody | undefined {
  if (step.dml.kind !== "sql") return undefined;
  const s = step.dml.dml;
  const y = step.yaml;
  let ok = true;
  const toList = (v: string | string[]) => (Array.isArray(v) ? v : [v]).map((x) => substituteRaw(x, ctx.params));
  const statements: Record<string, string[]> = { default: toList(s.sql) };
  for (const [dialect, v] of Object.entries(s.dialects ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) statements[dialect] = toList(v);
  for (const [dialect, list] of Object.entries(statements)) {
    for (const [i, text] of list.entries()) {
      for (const m of text.matchAll(SCHEMA_REF)) {
        if (!ctx.schemas.has(m[1]!.toLowerCase())) {
          const p = dialect === "default" ? (Array.isArray(s.sql) ? ["sql", i] : ["sql"]) : ["dialects", dialect];
          ctx.diagnostics.push(unknownSchemaPlaceholder(y.locate(p), m[1]!, [...ctx.schemas].sort()));
          ok = false;
        }
      }
    }
  }
  for (const [i, w] of s.writes.entries()) {
    const name = typeof w === "string" ? w : w.table;
    const ref = resolveTableName(name, y.locate(["writes", i]), ctx.schemas, ctx.spec, []);
    if (!ref || ctx.catalog.cdmTable(ref)) continue;
    const cols = typeof w === "string" || !w.columns ? "any" : Object.entries(w.columns).map(([n, t]) => ({ name: n.toLowerCase(), type: parseColumnType(t), required: false }));
    ctx.catalog.declare(ref, cols, [], []);
  }
  if (!ok) return undefined;
  return { kind: "sql", statements, transactional: s.transactional ?? true };
}
