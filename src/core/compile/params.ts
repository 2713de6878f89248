import path from "node:path";
import type { Diagnostic, SourceLocation } from "../diagnostics/diagnostic.js";
import { didYouMean } from "../diagnostics/did-you-mean.js";
import type { ParamDecl } from "../model/workflow-schema.js";
import { badParamPattern, missingParam, paramType, paramValueRejected, unknownParam } from "./compile-errors.js";

export type ParamValue = string | number | boolean;

/** Where a parameter value came from decides what a relative `path` is relative to. */
export interface ParamOverride {
  value: string | number | boolean;
  /** Directory relative paths resolve against (the working directory for --param, the config file's folder for config). */
  baseDir: string;
}

/**
 * Resolves declared parameters: --param beats config beats the default. Defaults of `path` parameters are relative
 * to the workflow file, so a workflow folder can be copied anywhere.
 */
export function resolveParams(
  decls: Record<string, ParamDecl>,
  overrides: Record<string, ParamOverride>,
  workflowDir: string,
  locate: (name: string) => SourceLocation,
  locateWorkflow: SourceLocation,
): { values: Record<string, ParamValue>; diagnostics: Diagnostic[] } {
  const values: Record<string, ParamValue> = {};
  const diagnostics: Diagnostic[] = [];
  for (const name of Object.keys(overrides).sort()) {
    if (!(name in decls)) diagnostics.push(unknownParam(locateWorkflow, name, didYouMean(name, Object.keys(decls))));
  }
  for (const name of Object.keys(decls).sort()) {
    const decl = decls[name]!;
    const override = overrides[name];
    const raw = override?.value ?? decl.default;
    const baseDir = override?.baseDir ?? workflowDir;
    if (raw === undefined) {
      diagnostics.push(missingParam(locate(name), name));
      continue;
    }
    const coerced = coerce(decl.type, raw, baseDir);
    if (coerced === undefined) {
      diagnostics.push(paramType(override ? undefined : locate(name), name, decl.type, String(raw)));
      continue;
    }
    const rejected = checkAllowed(decl, name, coerced, override ? undefined : locate(name), locate(name));
    if (rejected) diagnostics.push(rejected);
    else values[name] = coerced;
  }
  return { values, diagnostics };
}

/** A parameter's `pattern` (a whole-value match) and `enum`, which also make it eligible for `${raw:params.x}`. */
function checkAllowed(decl: ParamDecl, name: string, value: ParamValue, loc: SourceLocation | undefined, declLoc: SourceLocation): Diagnostic | undefined {
  const text = String(value);
  if (decl.pattern !== undefined) {
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${decl.pattern})$`, "u");
    } catch (e) {
      return badParamPattern(declLoc, name, (e as Error).message);
    }
    if (!re.test(text)) return paramValueRejected(loc, name, text, `does not match the pattern ${JSON.stringify(decl.pattern)}`);
  }
  if (decl.enum !== undefined && !decl.enum.some((v) => String(v) === text)) {
    return paramValueRejected(loc, name, text, `is not one of ${decl.enum.map((v) => JSON.stringify(String(v))).join(", ")}`);
  }
  return undefined;
}

function coerce(type: ParamDecl["type"], raw: ParamValue, baseDir: string): ParamValue | undefined {
  switch (type) {
    case "string":
      return String(raw);
    case "path": {
      const s = String(raw);
      // URIs (s3://, file://, ...) are kept as written.
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) return s;
      return path.resolve(baseDir, s).split(path.sep).join("/");
    }
    case "integer": {
      const n = typeof raw === "number" ? raw : Number(String(raw).trim());
      return Number.isInteger(n) && String(raw).trim() !== "" ? n : undefined;
    }
    case "number": {
      const n = typeof raw === "number" ? raw : Number(String(raw).trim());
      return Number.isFinite(n) && String(raw).trim() !== "" ? n : undefined;
    }
    case "boolean": {
      if (typeof raw === "boolean") return raw;
      const s = String(raw).toLowerCase();
      return s === "true" || s === "1" || s === "yes" ? true : s === "false" || s === "0" || s === "no" ? false : undefined;
    }
  }
}

const PARAM_REF = /\$\{params\.([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Names of parameters referenced as `${params.name}` in a string. */
export function paramRefs(text: string): { name: string; offset: number }[] {
  return [...text.matchAll(PARAM_REF)].map((m) => ({ name: m[1]!, offset: m.index }));
}

/** Substitutes `${params.x}` with the raw value (for file paths and names). */
export function substituteRaw(text: string, values: Record<string, ParamValue>): string {
  return text.replace(PARAM_REF, (whole, name: string) => (name in values ? String(values[name]) : whole));
}

/**
 * Substitutes `${params.x}` in an expression with a literal token (a quoted string, a number, TRUE/FALSE), so a
 * parameter can never inject SQL: the result still goes through the expression parser.
 */
export function substituteAsLiteral(text: string, values: Record<string, ParamValue>): string {
  return text.replace(PARAM_REF, (whole, name: string) => {
    if (!(name in values)) return whole;
    const v = values[name]!;
    if (typeof v === "number") return String(v);
    if (typeof v === "boolean") return v ? "TRUE" : "FALSE";
    return `'${v.replaceAll("'", "''")}'`;
  });
}
