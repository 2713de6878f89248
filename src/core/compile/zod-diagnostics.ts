import type { z } from "zod";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { didYouMean } from "../diagnostics/did-you-mean.js";
import type { YamlFile } from "../yaml/yaml-file.js";
import { invalidType, invalidValue, missingField, unknownField } from "./compile-errors.js";

type AnySchema = z.ZodType;
type Def = { type: string; innerType?: AnySchema; shape?: Record<string, AnySchema>; element?: AnySchema; valueType?: AnySchema; options?: AnySchema[]; getter?: () => AnySchema };

function def(s: AnySchema): Def {
  return (s as unknown as { _zod: { def: Def } })._zod.def;
}

/** The object schemas reachable at `path`, so an unknown key can be compared with the known ones. */
function objectsAt(schema: AnySchema, path: readonly PropertyKey[]): AnySchema[] {
  let current: AnySchema[] = [schema];
  for (const seg of [...path, null]) {
    const next: AnySchema[] = [];
    const stack = [...current];
    while (stack.length > 0) {
      const s = stack.pop()!;
      const d = def(s);
      if (d.innerType) stack.push(d.innerType);
      else if (d.type === "lazy" && d.getter) stack.push(d.getter());
      else if (d.type === "union" && d.options) stack.push(...d.options);
      else if (seg === null) next.push(s);
      else if (d.type === "object" && d.shape && typeof seg === "string" && d.shape[seg]) next.push(d.shape[seg]);
      else if (d.type === "array" && d.element && typeof seg === "number") next.push(d.element);
      else if (d.type === "record" && d.valueType) next.push(d.valueType);
    }
    current = next;
  }
  return current.filter((s) => def(s).type === "object");
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `${typeof value} ${JSON.stringify(value)}`;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const seg of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[seg];
  }
  return v;
}

/** Maps zod issues onto diagnostics at the YAML node each one is about. */
export function zodIssuesToDiagnostics(file: YamlFile, schema: AnySchema, issues: readonly z.core.$ZodIssue[], what: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const issue of issues) {
    const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
    const field = path.length > 0 ? path.join(".") : what;
    switch (issue.code) {
      case "unrecognized_keys": {
        const known = new Set<string>();
        for (const o of objectsAt(schema, path)) for (const k of Object.keys(def(o).shape ?? {})) known.add(k);
        for (const key of issue.keys) {
          out.push(unknownField(file.locate([...path, key], "key"), key, path.join(".") || what, didYouMean(key, known), [...known].sort()));
        }
        break;
      }
      case "invalid_type": {
        const actual = valueAt(file.value, path);
        if (actual === undefined) out.push(missingField(file.locate(path), String(path[path.length - 1] ?? what), path.slice(0, -1).join(".") || what, issue.expected));
        else out.push(invalidType(file.locate(path), field, issue.expected, describe(actual)));
        break;
      }
      case "invalid_union": {
        // A union failing on every branch: report the branch that got furthest, as that is what the user meant.
        const branches = issue.errors.filter((b) => b.length > 0);
        const best = branches.sort((a, b) => deepest(b) - deepest(a))[0];
        if (best && deepest(best) > 0) {
          out.push(...zodIssuesToDiagnostics(file, schema, best.map((i) => ({ ...i, path: [...issue.path, ...i.path] })) as z.core.$ZodIssue[], what));
        } else {
          const actual = valueAt(file.value, path);
          if (actual === undefined) out.push(missingField(file.locate(path), String(path[path.length - 1] ?? what), path.slice(0, -1).join(".") || what, "a value"));
          else out.push(invalidType(file.locate(path), field, expectedOfUnion(issue), describe(actual)));
        }
        break;
      }
      default:
        if (path.length > 0 && valueAt(file.value, path) === undefined) {
          out.push(missingField(file.locate(path), String(path[path.length - 1]), path.slice(0, -1).join(".") || what, issue.message.replace(/^Invalid option: expected /, "")));
        } else out.push(invalidValue(file.locate(path), field, issue.message));
    }
  }
  return out;
}

function deepest(issues: readonly z.core.$ZodIssue[]): number {
  return Math.max(0, ...issues.map((i) => i.path.length + (i.code === "unrecognized_keys" ? 1 : 0)));
}

function expectedOfUnion(issue: z.core.$ZodIssue & { code: "invalid_union" }): string {
  const names = new Set<string>();
  for (const b of issue.errors) for (const i of b) if (i.code === "invalid_type") names.add(i.expected);
  return names.size > 0 ? [...names].sort().join(" or ") : "a valid value";
}
