import type { Expr } from "../expr/ast.js";
import type { ExprScope, ScopeNames } from "../expr/scope.js";
import type { SelectDml, SubSelectDml } from "../model/dml-schema.js";
import type { YamlPath } from "../yaml/yaml-file.js";

/**
 * The names of a select an unqualified reference may stand for (scope.ts, ScopeNames): its lets and output columns,
 * each checked once, when first used, in the scope `bind` gives (the select's tables and lookups, and these names).
 * A let and an output column may share a name: in expressions the name means the let; `output` is the column.
 */
export function selectNames(
  s: SelectDml | SubSelectDml,
  path: YamlPath,
  check: (path: YamlPath, raw: string | number | boolean | null, scope: ExprScope) => Expr | undefined,
): { scope: ScopeNames; output(name: string): Expr | undefined; bind(scope: ExprScope): void } {
  type Def = { name: string; raw: string | number | boolean | null; path: YamlPath };
  const lets = new Map<string, Def>();
  const outputs = new Map<string, Def>();
  for (const [name, raw] of Object.entries(s.columns)) outputs.set(name.toLowerCase(), { name: name.toLowerCase(), raw, path: [...path, "columns", name] });
  for (const [name, raw] of Object.entries(s.let ?? {})) lets.set(name.toLowerCase(), { name: name.toLowerCase(), raw, path: [...path, "let", name] });
  const memo = new Map<Def, Expr | null | "checking">();
  const stack: Def[] = [];
  let bound: ExprScope | undefined;
  const resolveDef = (d: Def): Expr | null | { cycle: string[] } => {
    const m = memo.get(d);
    if (m === "checking") return { cycle: [...stack.slice(stack.indexOf(d)), d].map((x) => x.name) };
    if (m !== undefined) return m;
    if (!bound) return null;
    memo.set(d, "checking");
    stack.push(d);
    const e = check(d.path, d.raw, bound) ?? null;
    stack.pop();
    memo.set(d, e);
    return e;
  };
  const scope: ScopeNames = {
    kind: (name) => (lets.has(name) ? "let" : outputs.has(name) ? "output" : undefined),
    all: () => new Set([...lets.keys(), ...outputs.keys()]),
    resolve: (name) => {
      const d = lets.get(name) ?? outputs.get(name);
      return d ? resolveDef(d) : null;
    },
  };
  return {
    scope,
    output: (name) => {
      const d = outputs.get(name);
      const r = d ? resolveDef(d) : null;
      return r === null || "cycle" in r ? undefined : r;
    },
    bind: (b) => (bound = b),
  };
}
