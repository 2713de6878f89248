import type { Expr, ValueType } from "../expr/ast.js";
import type { SubSelectDml } from "../model/dml-schema.js";
import type { ColumnDef, Select, SubSelect } from "../model/plan.js";
import type { YamlPath } from "../yaml/yaml-file.js";
import type { AnalysisContext } from "./analysis-context.js";
import { valueToCastType } from "./column-types.js";
import { subSelectCycle, subSelectUnionType, untypedColumn } from "./compile-errors.js";
import { unify } from "../expr/types.js";
import type { LoadedStep } from "./load-workflow.js";
import { isSubSelectName, parseFrom, subSelectsOf } from "./step-io.js";

/** A `with:` sub-select after analysis: its plan form, and what selects reading it need to know. */
export interface AnalyzedSubSelect extends SubSelect {
  /** The sub-selects it reads directly. */
  reads: ReadonlySet<string>;
  /** Output columns that identify a row of it (its source's row key, passed through), for window tie-breaking. */
  key?: string[];
}

/** The sub-selects a select may read: all those declared, and those analyzed without error (in dependency order). */
export interface SubSelectEnv {
  declared: ReadonlySet<string>;
  analyzed: ReadonlyMap<string, AnalyzedSubSelect>;
  /** Tables the selects name without declaring them (the one-row table, `range(a, b)`), added as they are read. */
  implicit: Map<string, AnalyzedSubSelect>;
}

/** What {@link analyzeSubSelects} needs of the select analysis (analyze-transform.ts). */
export interface SelectAnalysis {
  select: Omit<Select, "with">;
  mapped: ReadonlyMap<string, { expr: Expr; path: YamlPath }>;
  /** The expressions identifying a row of the select, when the compiler knows them. */
  rowKey?: readonly Expr[];
  /** The sub-selects the select reads directly. */
  reads: ReadonlySet<string>;
}


/**
 * Analyzes the `with:` sub-selects of a transform, each after the sub-selects it reads (whatever their YAML order),
 * reporting a cycle among them (SUB_SELECT_CYCLE, at the reference closing it). A sub-select's columns are typed
 * from their expressions; one that fails to analyze is left out of `analyzed`, so that its readers stop without
 * reporting more.
 */
export function analyzeSubSelects(
  step: LoadedStep,
  ctx: AnalysisContext,
  analyze: (select: SubSelectDml, path: YamlPath, env: SubSelectEnv) => SelectAnalysis | undefined,
  /** The step's `values:` tables, analyzed (absent: failed); all of them declared, whatever their fate. */
  values: { declared: readonly string[]; analyzed: readonly AnalyzedSubSelect[] } = { declared: [], analyzed: [] },
): SubSelectEnv {
  const subs = subSelectsOf(step);
  if (subs.length === 0 && values.declared.length === 0) return { declared: new Set(), analyzed: new Map(), implicit: new Map() };
  const y = step.yaml;
  const declared = new Set([...values.declared, ...subs.map((s) => s.name)]);
  const withNames = new Set(subs.map((s) => s.name));
  const byName = new Map(subs.map((s) => [s.name, s]));
  // Each sub-select's references to others, with the YAML path naming each.
  const refs = (s: SubSelectDml, path: YamlPath): { name: string; path: YamlPath }[] => {
    const out: { name: string; path: YamlPath }[] = [];
    const from = parseFrom(s.from);
    if (from && isSubSelectName(from.table) && withNames.has(from.table)) out.push({ name: from.table, path: [...path, "from"] });
    for (const [i, j] of (s.joins ?? []).entries()) if (isSubSelectName(j.table) && withNames.has(j.table)) out.push({ name: j.table, path: [...path, "joins", i, "table"] });
    return out;
  };

  // Depth-first in YAML order: a sub-select comes after those it reads; a reference back into the path is a cycle.
  const order: string[] = [];
  const state = new Map<string, "visiting" | "done" | "cyclic">();
  const visit = (name: string, stack: string[]): boolean => {
    const st = state.get(name);
    if (st === "done") return true;
    if (st === "cyclic") return false;
    state.set(name, "visiting");
    const s = byName.get(name)!;
    let ok = true;
    for (const r of s.selects.flatMap((b) => refs(b.select, b.path))) {
      if (state.get(r.name) === "visiting") {
        const cycle = [...stack.slice(stack.indexOf(r.name)), name, r.name];
        ctx.diagnostics.push(subSelectCycle(y.locate(r.path), cycle));
        ok = false;
        continue;
      }
      if (!visit(r.name, [...stack, name])) ok = false;
    }
    state.set(name, ok ? "done" : "cyclic");
    if (ok) order.push(name);
    return ok;
  };
  for (const s of subs) visit(s.name, []);

  const analyzed = new Map<string, AnalyzedSubSelect>(values.analyzed.map((v) => [v.name, v]));
  const env: SubSelectEnv = { declared, analyzed, implicit: new Map() };
  for (const name of order) {
    const sub = byName.get(name)!;
    // Each select (a union_all's branches each), then the columns: every column a select names, typed alike.
    const branches = sub.selects.map(({ select, path }) => ({ a: analyze(select, path, env), path }));
    if (branches.some((b) => !b.a)) continue;
    const analyses = branches.map((b) => b.a!);
    const columns: ColumnDef[] = [];
    let typed = true;
    const names = [...new Set(analyses.flatMap((a) => [...a.mapped.keys()]))];
    for (const column of names) {
      let type: ValueType = "null";
      let firstIndex = -1;
      let firstPath: YamlPath | undefined;
      for (const [i, a] of analyses.entries()) {
        const m = a.mapped.get(column);
        if (!m) continue;
        const u = unify(type, m.expr.type);
        if (u === undefined) {
          ctx.diagnostics.push(subSelectUnionType(y.locate(m.path), column, name, m.expr.type, i, type, firstIndex));
          typed = false;
          break;
        }
        if (firstIndex < 0 && m.expr.type !== "null") firstIndex = i;
        firstPath ??= m.path;
        type = u;
      }
      if (!typed) break;
      const cast = valueToCastType(type);
      if (!cast) {
        if (!ctx.poisoned.value) ctx.diagnostics.push(untypedColumn(y.locate(firstPath!), column, `sub-select ${name}`, type));
        typed = false;
        continue;
      }
      columns.push({ name: column, type: cast, required: false });
    }
    if (!typed) continue;
    const plan = analyses.map((a) => ({ ...a.select, columns: [...a.mapped].map(([column, m]) => ({ name: column, expr: m.expr })) }));
    const key = sub.union ? undefined : outputKey(analyses[0]!);
    analyzed.set(name, {
      name,
      columns,
      ...(sub.union ? { union: plan } : { select: plan[0]! }),
      reads: new Set(analyses.flatMap((a) => [...a.reads])),
      ...(key ? { key } : {}),
    });
  }
  return env;
}

/**
 * The output columns carrying the select's row key, when every part of the key is output as it is: a window over
 * the sub-select then breaks ties by them as it would over a table with that key.
 */
function outputKey(a: SelectAnalysis): string[] | undefined {
  if (!a.rowKey || a.rowKey.length === 0) return undefined;
  const same = (x: Expr, y: Expr): boolean =>
    x.k === "col" && y.k === "col" ? x.table === y.table && x.column === y.column : JSON.stringify(x) === JSON.stringify(y);
  const names: string[] = [];
  for (const part of a.rowKey) {
    const found = [...a.mapped].find(([, m]) => same(m.expr, part));
    if (!found) return undefined;
    names.push(found[0]);
  }
  return names;
}

/**
 * The sub-selects a select reads, directly or through each other, each after those it reads (the order of
 * `env.analyzed`): what the select's `with` carries in the plan.
 */
export function subSelectsRead(reads: ReadonlySet<string>, env: SubSelectEnv): SubSelect[] {
  const needed = new Set<string>();
  const add = (name: string): void => {
    if (needed.has(name)) return;
    needed.add(name);
    for (const r of env.analyzed.get(name)?.reads ?? env.implicit.get(name)?.reads ?? []) add(r);
  };
  for (const r of reads) add(r);
  // Implicit tables (the one-row table, ranges) read nothing: they come first.
  return [...env.implicit.values(), ...env.analyzed.values()]
    .filter((s) => needed.has(s.name))
    .map(({ name, columns, select, union, values }) => ({ name, columns, ...(select ? { select } : {}), ...(union ? { union } : {}), ...(values ? { values } : {}) }));
}
