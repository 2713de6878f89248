import { didYouMean } from "../diagnostics/did-you-mean.js";
import type { SqlBody } from "../model/plan.js";
import { scanSqlPlaceholders } from "../model/sql-placeholders.js";
import type { YamlPath } from "../yaml/yaml-file.js";
import type { AnalysisContext } from "./analysis-context.js";
import { parseColumnType } from "./column-types.js";
import { paramInComment, paramInQuotes, rawParamNotAllowed, rawParamSplice, unknownParam, unknownSchemaPlaceholder } from "./compile-errors.js";
import type { LoadedStep } from "./load-workflow.js";
import { resolveTableName } from "./step-io.js";

/**
 * The escape hatch: statements are kept as written, with their placeholders left for the provider: `${schemas.x}`
 * becomes a quoted identifier, `${params.x}` a literal of the parameter's declared type (a value, never code), and
 * `${raw:params.x}` the value as written (only for parameters whose pattern or enum bounds what they can hold).
 * What the step declares it writes is registered so later steps can be checked against it.
 */
export function analyzeSql(step: LoadedStep, ctx: AnalysisContext): SqlBody | undefined {
  if (step.dml.kind !== "sql") return undefined;
  const s = step.dml.dml;
  const y = step.yaml;
  let ok = true;
  const toList = (v: string | string[], at: YamlPath) => (Array.isArray(v) ? v.map((text, i) => ({ text, path: [...at, i] })) : [{ text: v, path: at }]);
  const sources: Record<string, { text: string; path: YamlPath }[]> = { default: toList(s.sql, ["sql"]) };
  for (const [dialect, v] of Object.entries(s.dialects ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) sources[dialect] = toList(v, ["dialects", dialect]);
  const params: NonNullable<SqlBody["params"]> = {};
  for (const list of Object.values(sources)) {
    for (const { text, path } of list) {
      for (const p of scanSqlPlaceholders(text)) {
        const loc = y.locateInScalar(path, p.start);
        const written = text.slice(p.start, p.end);
        if (p.context === "string" || p.context === "identifier") {
          // Schemas inside quotes were always substituted as they stand; only values are refused there.
          if (p.kind !== "schema") {
            ctx.diagnostics.push(paramInQuotes(loc, written, p.context));
            ok = false;
            continue;
          }
        } else if (p.context === "comment" && p.kind !== "schema") {
          ctx.diagnostics.push(paramInComment(loc, written));
          ok = false;
          continue;
        }
        if (p.kind === "schema") {
          if (!ctx.schemas.has(p.name.toLowerCase())) {
            ctx.diagnostics.push(unknownSchemaPlaceholder(loc, p.name, [...ctx.schemas].sort()));
            ok = false;
          }
          continue;
        }
        const decl = ctx.paramDecls[p.name];
        if (!decl) {
          ctx.diagnostics.push(unknownParam(loc, p.name, didYouMean(p.name, ctx.declaredParams)));
          ok = false;
          continue;
        }
        if (p.kind === "raw") {
          if (decl.pattern === undefined && decl.enum === undefined) {
            ctx.diagnostics.push(rawParamNotAllowed(loc, p.name));
            ok = false;
            continue;
          }
          ctx.diagnostics.push(rawParamSplice(loc, p.name));
        }
        const value = ctx.params[p.name];
        if (value === undefined) {
          ok = false; // its missing or invalid value is already reported where the parameter is declared
          continue;
        }
        params[p.name] = { type: decl.type, value };
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
  const statements = Object.fromEntries(Object.entries(sources).map(([d, list]) => [d, list.map((x) => x.text)]));
  const sorted = Object.fromEntries(Object.keys(params).sort().map((k) => [k, params[k]!]));
  return { kind: "sql", statements, transactional: s.transactional ?? true, ...(Object.keys(sorted).length ? { params: sorted } : {}) };
}
