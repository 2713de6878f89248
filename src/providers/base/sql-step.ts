import type { SqlBody } from "../../core/model/plan.js";
import { substituteSqlPlaceholders } from "../../core/model/sql-placeholders.js";
import type { RenderContext, RenderedStep } from "../provider-api.js";
import { invalidLiteral, invalidPlan, UnsupportedFeatureError } from "../provider-errors.js";

/** The generator hooks a `sql` step is rendered with. */
export interface SqlStepHooks {
  readonly dialect: string;
  ident(name: string): string;
  physicalSchema(logical: string, ctx: RenderContext): string;
  paramLiteral(value: string | number | boolean, type: ParamType): string;
  stringLiteral(s: string): string;
  numberLiteral(n: number, type: "integer" | "float"): string;
}

/** The declared type of a workflow parameter, as the plan records it for a sql step. */
export type ParamType = NonNullable<SqlBody["params"]>[string]["type"];

/**
 * A parameter value as a complete SQL literal of its declared type: strings (and paths) quoted with quotes doubled,
 * integers and numbers checked to be finite numbers of that kind, booleans TRUE/FALSE. A value whose JSON type does
 * not fit its declared type (a hand-edited plan) is refused rather than rendered.
 * @throws INVALID_LITERAL
 */
export function renderParamLiteral(g: SqlStepHooks, value: string | number | boolean, type: ParamType): string {
  switch (type) {
    case "string":
    case "path":
      if (typeof value !== "string") break;
      return g.stringLiteral(value);
    case "integer":
      if (typeof value !== "number" || !Number.isSafeInteger(value)) break;
      return g.numberLiteral(value, "integer");
    case "number":
      if (typeof value !== "number" || !Number.isFinite(value)) break;
      return g.numberLiteral(value, "float");
    case "boolean":
      if (typeof value !== "boolean") break;
      return value ? "TRUE" : "FALSE";
  }
  throw invalidLiteral(g.dialect, JSON.stringify(value), `it is not a valid ${type} (the parameter's declared type)`);
}

/**
 * A `sql` step: the dialect's statements (or the default ones) with `${schemas.x}` replaced by quoted physical
 * names, `${params.x}` by a literal (the `paramLiteral` hook) and `${raw:params.x}` by the value as written (the
 * compiler allows it only for parameters bounded by a pattern or enum). Placeholders are replaced in one pass over
 * the statement, so a value is never scanned for placeholders itself.
 */
export function renderSqlStep(g: SqlStepHooks, body: SqlBody, ctx: RenderContext): RenderedStep {
  const statements = Object.hasOwn(body.statements, g.dialect) ? body.statements[g.dialect] : body.statements["default"];
  if (!statements) {
    throw new UnsupportedFeatureError(
      g.dialect,
      "this sql step",
      `it has statements for ${Object.keys(body.statements).sort().join(", ") || "no dialect"} only`,
      `Add a "${g.dialect}" or "default" variant.`,
    );
  }
  const params = body.params ?? {};
  return {
    statements: statements.map((s) =>
      substituteSqlPlaceholders(s, (p) => {
        if (p.kind === "schema") return g.ident(g.physicalSchema(p.name, ctx));
        if (p.context !== "code") throw invalidPlan(`\${params.${p.name}} stands inside a quoted string, identifier or comment; the compiler refuses that.`);
        const param = Object.hasOwn(params, p.name) ? params[p.name]! : undefined;
        if (!param) throw invalidPlan(`the sql step names \${params.${p.name}}, which is not in the step's params.`);
        return p.kind === "raw" ? String(param.value) : g.paramLiteral(param.value, param.type);
      }),
    ),
    transactional: body.transactional,
  };
}
